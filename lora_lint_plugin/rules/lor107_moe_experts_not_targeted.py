from __future__ import annotations

from typing import Iterator, List

from ..catalog import ModelMatch
from ..catalog.module_names import module_names, peft_rewritten_expert_targets
from ..analysis.diagnostics import Diagnostic
from ._common import absent_or_none, is_unsloth_setup, leaf, listed_modules
from .base import Rule, register

EXPERT_MLP_LEAVES = frozenset({"gate_proj", "up_proj", "down_proj"})
# Router layers: in a transformers 4 layout they sit next to the expert Linear modules.
ROUTER_LEAVES = frozenset({"gate", "router"})


def expert_parameter_names(match: ModelMatch) -> List[str]:
    """``mlp.experts.gate_up_proj``-style suffixes of the fused expert tensors."""
    names: List[str] = []
    moe = match.entry.moe
    if moe is not None:
        for parameter in moe.fused_expert_parameters:
            parts = parameter.param.split(".")
            # drop the "model.layers.*." prefix: target_parameters match by suffix
            tail = parts[parts.index("*") + 1:] if "*" in parts else parts[-3:]
            name = ".".join(tail)
            if name not in names:
                names.append(name)
    if not names and match.architecture is not None:
        names = [f"experts.{name}" for name in match.architecture.moe_expert_parameters]
    return names


def transformers_4_expert_leaves(match: ModelMatch) -> List[str]:
    """Linear modules only the transformers 4 layout has besides the router (Mixtral's
    ``w1``/``w2``/``w3``): there the experts are such modules; empty when not recorded or fused."""
    architecture = match.architecture
    if architecture is None or architecture.linear_leaves_transformers_4 is None:
        return []
    return sorted(architecture.linear_leaves_transformers_4 - architecture.linear_leaves - ROUTER_LEAVES)


def transformers_4_clause(match: ModelMatch, name: str) -> str:
    """What the same name does under transformers 4, when the layout is recorded."""
    architecture = match.architecture
    if architecture is None or architecture.linear_leaves_transformers_4 is None:
        return ""
    if name in architecture.linear_leaves_transformers_4:
        return f"; on transformers 4 the experts are Linear modules and '{name}' does reach them"
    experts = transformers_4_expert_leaves(match)
    if experts:
        return (f"; on transformers 4 they are Linear modules named {'/'.join(experts)}, which "
                f"'{name}' does not match either")
    return ""


@register
class MoeExpertsNotTargeted(Rule):
    """
    ## What it does
    Flags `gate_proj`, `up_proj` or `down_proj` in `target_modules` of a plain PEFT LoRA on a
    Mixture-of-Experts model (Mixtral, gpt-oss, ...) when `target_parameters` is not set.

    ## Why is this bad?
    In transformers 5 the routed experts of these models are fused 3-D `nn.Parameter`s
    (`mlp.experts.gate_up_proj`, `mlp.experts.down_proj`), not `nn.Linear` modules.
    `target_modules` only reaches modules, so the MLP names adapt no expert (at most a shared
    expert): the run trains attention-only LoRA while the author believes the experts, where
    most of the parameters are, are adapted. Only `target_parameters` reaches the fused
    experts. Under transformers 4 the layout depends on the model, and the message says which
    applies: gpt-oss's experts are fused there too, while Mixtral's are Linear modules named
    `w1`/`w2`/`w3` (`block_sparse_moe.experts.N.w1`), which `gate_proj`/`up_proj`/`down_proj`
    do not match either.

    Not reported under Unsloth (its `get_peft_model` fills `target_parameters` itself), nor
    for models where PEFT 0.21 rewrites the MLP names into `target_parameters` on its own
    (Qwen3-MoE), nor for unknown models. A model known only by its family (a checkpoint the
    catalog does not list) is checked with its architecture's transformers 5 layout; the message
    then gives no expert count.

    ## Example
    ```python
    model = AutoModelForCausalLM.from_pretrained("openai/gpt-oss-20b")
    config = LoraConfig(target_modules=["q_proj", "v_proj", "gate_proj", "down_proj"])
    ```

    ## How to fix
    On transformers 5, add `target_parameters=["mlp.experts.gate_up_proj",
    "mlp.experts.down_proj"]` (PEFT >= 0.17), or train through Unsloth, which does it for you.
    On transformers 4 with Mixtral, target `w1`, `w2`, `w3` instead.
    """

    code = "LOR107"
    name = "moe-experts-not-targeted"
    summary = "MLP names on an MoE model do not reach the fused experts: target_parameters needed"

    VALID = (
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("openai/gpt-oss-20b")
        config = LoraConfig(
            target_modules=["q_proj", "v_proj", "gate_proj"],
            target_parameters=["mlp.experts.gate_up_proj", "mlp.experts.down_proj"],
        )
        model = get_peft_model(model, config)
        """,
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/gpt-oss-20b")
        model = FastLanguageModel.get_peft_model(
            model, r=8, target_modules=["q_proj", "v_proj", "gate_proj", "up_proj", "down_proj"])
        """,
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")
        config = LoraConfig(target_modules=["q_proj", "gate_proj", "down_proj"])
        model = get_peft_model(model, config)
        """,
        """
        import peft as p
        from transformers import AutoModelForCausalLM
        import sys
        model = AutoModelForCausalLM.from_pretrained(sys.argv[1])
        model = p.get_peft_model(model, p.LoraConfig(target_modules=["gate_proj", "down_proj"]))
        """,
    )
    INVALID = (
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("openai/gpt-oss-20b")
        config = LoraConfig(target_modules=[
            "q_proj", "v_proj",
            "gate_proj",  # expect: LOR107
            "down_proj",  # expect: LOR107
        ])
        model = get_peft_model(model, config)
        """,
        """
        import peft as p
        from transformers import AutoModelForCausalLM
        from trl import SFTTrainer
        model = AutoModelForCausalLM.from_pretrained("mistralai/Mixtral-8x7B-Instruct-v0.1")
        config = p.LoraConfig(target_modules=["q_proj", "up_proj"])  # expect: LOR107
        trainer = SFTTrainer(model=model, peft_config=config)
        """,
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for call, setup, targets in listed_modules(file, "target_modules"):
            if setup is None or is_unsloth_setup(call, setup):
                continue
            parameters = call.args.value("target_parameters")
            if not absent_or_none(parameters):
                continue
            match = context.model_match(setup)
            if match is None or match.architecture is None:
                yield from self._check_by_family(context, setup, targets)
                continue
            if not match.architecture.moe:
                continue
            moe = match.entry.moe
            if moe is not None and moe.peft_rewrites_mlp_targets_to_parameters is not None:
                continue  # PEFT turns the names into target_parameters itself
            offending = [item for item in targets.strings() if leaf(item.python) in EXPERT_MLP_LEAVES]
            experts = f"{moe.num_experts} experts per layer" if moe is not None else "its experts"
            suggested = expert_parameter_names(match)
            advice = (f"add target_parameters={suggested}" if suggested
                      else "add target_parameters naming the expert tensors")
            experts_4 = transformers_4_expert_leaves(match)
            if experts_4:
                advice += f" (on transformers 4: target {', '.join(experts_4)})"
            for item in offending:
                name = leaf(item.python)
                yield self.diagnostic(
                    item.span,
                    f"'{item.python}' in target_modules does not reach the experts of "
                    f"{match.architecture.model_type} ({match.hub_id}, {experts}): on "
                    "transformers 5 they are fused nn.Parameters, not Linear modules, so the "
                    f"experts get no LoRA{transformers_4_clause(match, name)}; {advice}")

    def _check_by_family(self, context, setup, targets) -> Iterator[Diagnostic]:
        """A model known only by its family: its model_type's transformers 5 layout (fused
        experts) and PEFT's own rewrites decide; no expert count is known."""
        identity = context.model_identity(setup)
        if identity is None or identity.match is not None:
            return
        names = module_names(identity.model_type, 5)
        if names is None or not names.complete or not names.moe \
                or peft_rewritten_expert_targets(identity.model_type) & EXPERT_MLP_LEAVES:
            return
        suggested = list(names.fused_expert_parameters)
        for item in targets.strings():
            if leaf(item.python) in EXPERT_MLP_LEAVES:
                yield self.diagnostic(
                    item.span,
                    f"'{item.python}' in target_modules does not reach the experts of "
                    f"{identity.model_type} ({identity.model_id}): on transformers 5 they are "
                    "fused nn.Parameters, not Linear modules, so the experts get no LoRA; "
                    f"add target_parameters={suggested}")
