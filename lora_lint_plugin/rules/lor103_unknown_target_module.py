from __future__ import annotations

import re
from typing import FrozenSet, Iterator, List, Optional, Tuple

from ..catalog import (
    Architecture,
    ModelMatch,
    architecture_for,
    levenshtein,
)
from ..analysis.diagnostics import Diagnostic, FixSafety
from ..fixing.edits import make_fix, replace_string
from ..analysis.values import Value
from ._arguments import absent_or_none
from ._common import is_unsloth_setup, leaf, lora_calls, module_list, quoted
from .base import Rule, register

# Leaf names grouped by what the layer does, across architectures. A name that is real for
# another architecture (GPT-2's ``c_attn`` on Llama, Llama's ``q_proj`` on Phi-3's fused
# ``qkv_proj``) is mapped to the same role's names in the model at hand; edit distance would
# suggest nonsense there (``q_proj`` -> ``o_proj``).
ROLES: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("attention input", ("q_proj", "k_proj", "v_proj", "qkv_proj", "c_attn",
                         "query_key_value", "Wqkv")),
    ("attention output", ("o_proj", "out_proj", "dense", "c_proj")),
    ("MLP input", ("gate_proj", "up_proj", "gate_up_proj", "c_fc", "fc1", "fc_in",
                   "dense_h_to_4h", "w1", "w3")),
    ("MLP output", ("down_proj", "fc2", "fc_out", "dense_4h_to_h", "w2", "c_proj")),
    ("input embedding", ("embed_tokens", "wte", "embed_in", "word_embeddings")),
    ("output embedding", ("lm_head", "embed_out")),
)
# The MLP names of MoE experts are LOR107's business (fused experts on transformers 5).
MOE_EXPERT_LEAVES = frozenset({"gate_proj", "up_proj", "down_proj"})
REGEX_CHARACTERS = re.compile(r"[*?+\[\]()|^$\\{}]")
SAFE_FIX_DISTANCE = 2


def valid_leaves(architecture: Architecture) -> FrozenSet[str]:
    """Leaves valid on transformers 5 or 4: the project may pin either, so never flag either."""
    return architecture.valid_leaves(5) | architecture.valid_leaves(4)


def role_equivalents(name: str, valid: FrozenSet[str]) -> List[str]:
    """This model's names for the layers ``name`` denotes in other architectures."""
    found: List[str] = []
    for _, names in ROLES:
        if name in names:
            found.extend(n for n in names if n in valid and n not in found)
    return found


def nearest(name: str, valid: FrozenSet[str]) -> Tuple[List[str], int]:
    """The valid leaves at the smallest edit distance (case-insensitive) and that distance."""
    best: List[str] = []
    best_distance = -1
    for candidate in sorted(valid):
        distance = levenshtein(name.lower(), candidate.lower())
        if best_distance < 0 or distance < best_distance:
            best, best_distance = [candidate], distance
        elif distance == best_distance:
            best.append(candidate)
    return best, best_distance


def suggestion(name: str, valid: FrozenSet[str]) -> Tuple[str, Optional[str]]:
    """(advice text, the one leaf a safe fix may write, or None)."""
    equivalents = role_equivalents(name, valid)
    if equivalents:
        return f"use this model's names for that layer: {quoted(equivalents)}", None
    closest, distance = nearest(name, valid)
    if closest and distance <= SAFE_FIX_DISTANCE:
        if len(closest) == 1:
            return f"did you mean '{closest[0]}'?", closest[0]
        return f"did you mean one of {quoted(closest)}?", None
    return f"its module names are {quoted(sorted(valid))}", None


def possible_architectures(match: ModelMatch, unsloth: bool) -> List[Architecture]:
    """The layouts the loaded model may have.

    Unsloth's loader maps upstream ids to its own re-uploads, some of which are converted to
    Llama layout (Phi-3/Phi-4): an upstream id loaded through Unsloth may have either layout.
    """
    found = [match.architecture] if match.architecture is not None else []
    if unsloth and match.override is None:
        for override in match.entry.architecture_overrides:
            other = architecture_for(override.model_type)
            if other is not None and other not in found:
                found.append(other)
    return found


def ignored(entry: str) -> bool:
    """Entries other rules own or that do not name a leaf module."""
    name = leaf(entry)
    return (entry.lower() == "all-linear"       # LOR104
            or not name or name.isdigit())     # "layers.0": a container, not a leaf name


@register
class UnknownTargetModule(Rule):
    """
    ## What it does
    Checks every `target_modules` entry against the module names of the model being trained
    (when the model id is known to lora-lint): an entry whose leaf (the text after the last
    dot) is not a Linear or embedding module of that architecture is reported, with the
    closest real name.

    ## Why is this bad?
    PEFT matches list entries against module names by suffix and only complains when *no*
    entry matches: `Target modules {'c_attn'} not found in the base model. Please check the
    target modules and try again.` When some entries match, the others are skipped silently,
    so a typo such as `"v_prj"` trains only `q_proj` and nobody notices. Typical mistakes are
    GPT-2 names (`c_attn`, `c_proj`) on Llama-style models, split names (`q_proj`) on Phi-3's
    fused `qkv_proj` and vice versa (Unsloth's Phi uploads are converted to Llama layout), and
    typos.

    Entries are checked against the names of both transformers 4 and 5; the MLP names of MoE
    experts are left to LOR107, `"all-linear"` in a list to LOR104 and single regex strings to
    LOR105. Unknown models are never checked.

    ## Example
    ```python
    model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")
    config = LoraConfig(target_modules=["q_proj", "v_prj"])
    ```

    ## How to fix
    Use the architecture's module names (print `model.named_modules()` when in doubt).

    ## Fix safety
    Safe when one real name is nearest to the entry's leaf, within edit distance 2 (a typo,
    `v_prj` -> `v_proj`): the leaf is replaced by it. Ties get no fix. Names of other
    architectures are not rewritten automatically.
    """

    code = "LOR103"
    name = "unknown-target-module"
    summary = "target_modules entry that is not a module of the model: PEFT skips it or raises"
    fix_safety = FixSafety.SAFE

    VALID = (
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")
        config = LoraConfig(target_modules=["q_proj", "self_attn.k_proj", "model.layers.0.mlp.up_proj"])
        model = get_peft_model(model, config)
        """,
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("my-org/private-model")
        model = get_peft_model(model, LoraConfig(target_modules=["c_attn", "v_prj"]))
        """,
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/Phi-3-mini-4k-instruct")
        model = FastLanguageModel.get_peft_model(
            model, r=16, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"])
        """,
        """
        # Unsloth may load its Llama-layout re-upload for the upstream Phi-3 id: either
        # layout's names can be right, so neither is reported
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("microsoft/Phi-3-mini-4k-instruct")
        model = FastLanguageModel.get_peft_model(model, r=16, target_modules=["q_proj", "gate_proj"])
        """,
        """
        from peft import LoraConfig
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("mistralai/Mixtral-8x7B-v0.1")
        config = LoraConfig(target_modules=["q_proj", "v_proj", "w1", "w2", "lm_head"])
        """,
        """
        from transformers import AutoModelForCausalLM
        import peft as p
        import sys
        model = AutoModelForCausalLM.from_pretrained("gpt2")
        model = p.get_peft_model(model, p.LoraConfig(target_modules=sys.argv[1:]))
        """,
    )
    INVALID = (
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")
        config = LoraConfig(target_modules=["q_proj", "v_prj"])  # expect: LOR103
        model = get_peft_model(model, config)
        """,
        """
        import peft as p
        from transformers import AutoModelForCausalLM
        TARGETS = [
            "c_attn",  # expect: LOR103
            "c_proj",  # expect: LOR103
        ]
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B-Instruct")
        model = p.get_peft_model(model, p.LoraConfig(r=8, target_modules=TARGETS))
        """,
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16,
            target_modules=["qkv_proj", "o_proj", "gate_proj"],  # expect: LOR103
        )
        """,
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("microsoft/Phi-3-mini-4k-instruct")
        config = LoraConfig(target_modules=[
            "q_proj",  # expect: LOR103
            "v_proj",  # expect: LOR103
        ])
        model = get_peft_model(model, config)
        """,
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for call, setup in lora_calls(file):
            if setup is None:
                continue
            targets = module_list(call, "target_modules")
            if targets is None:
                continue
            match = context.model_match(setup)
            if match is not None and match.architecture is not None:
                architectures = possible_architectures(match, is_unsloth_setup(call, setup))
                model_id = match.hub_id
            else:  # known by its config.json's model_type only: names without sizes
                names_only = context.model_architecture(setup)
                if names_only is None or setup.model_id is None:
                    continue
                architectures, model_id = [names_only], setup.model_id.python
            yield from self._check_targets(call, targets, model_id, architectures)

    def _check_targets(self, call, targets: Value, model_id: str,
                       architectures: List[Architecture]) -> Iterator[Diagnostic]:
        architecture = architectures[0]
        valid = frozenset().union(*(valid_leaves(a) for a in architectures))
        moe = any(a.moe for a in architectures)
        items = list(targets.items)
        unmatched = [item for item in items
                     if not isinstance(item.python, str) or leaf(item.python) not in valid]
        reported = [item for item in unmatched
                    if isinstance(item.python, str) and not ignored(item.python)
                    and not (moe and leaf(item.python) in MOE_EXPERT_LEAVES)]
        if not reported:
            return
        parameters = call.args.value("target_parameters")
        no_parameters = absent_or_none(parameters)
        nothing_matches = len(unmatched) == len(items) and no_parameters
        model = f"{architecture.model_type} ({model_id})"
        for item in reported:
            entry = item.python
            name = leaf(entry)
            if nothing_matches:
                listed = "{" + ", ".join(repr(t.python) for t in items) + "}"
                consequence = (f"no entry matches, so PEFT raises 'Target modules {listed} not "
                               "found in the base model'")
            else:
                consequence = "PEFT silently skips it and adapts only the other entries"
            if REGEX_CHARACTERS.search(entry):
                advice = ("list entries are matched as plain module names, not regexes: list "
                          "each module name as its own entry")
                replacement = None
            else:
                advice, replacement = suggestion(name, valid)
            fix = None
            if replacement is not None:
                prefix = entry[: len(entry) - len(name)]
                fix = make_fix(FixSafety.SAFE, f"replace '{entry}' with '{prefix}{replacement}'",
                               replace_string(item, prefix + replacement))
            yield self.diagnostic(
                item.span,
                f"'{entry}' in target_modules is not a module of {model}: {consequence}; "
                f"{advice}",
                fix)
