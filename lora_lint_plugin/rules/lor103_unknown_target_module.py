from __future__ import annotations

import re
from typing import Dict, FrozenSet, Iterator, List, Optional, Tuple

from ..catalog import levenshtein
from ..analysis.diagnostics import Diagnostic, FixSafety
from ..analysis.values import Value
from ._common import (absent_or_none, embedding_leaves, embedding_removal_advice, leaf, listed_modules,
                      may_lower_embedding_learning_rate, quoted)
from ._model_names import KnownNames, known_names
from .base import Invalid, Rule, register

# What each well-known leaf name computes, across architectures. A name that is real for
# another architecture (GPT-2's ``c_attn`` on Llama, Llama's ``q_proj`` on Phi-3's fused
# ``qkv_proj``) is mapped to the model's names that compute some of the same things; edit
# distance would suggest nonsense there (``q_proj`` -> ``o_proj``). A split projection is
# never mapped to a sibling split projection: ``k_proj`` on a model with ``q_proj`` but
# latent key/value projections (DeepSeek-V2, GLM-4.7-Flash) means ``kv_a_proj_with_mqa`` and
# ``kv_b_proj``, not the query's ``q_proj``.
_QKV = ("query", "key", "value")
_MLP_IN = ("gate", "up")
LAYER_FUNCTIONS: Dict[str, Tuple[str, ...]] = {
    "q_proj": ("query",), "q_a_proj": ("query",), "q_b_proj": ("query",),
    "k_proj": ("key",), "v_proj": ("value",),
    "kv_a_proj_with_mqa": ("key", "value"), "kv_b_proj": ("key", "value"),
    **dict.fromkeys(("qkv_proj", "c_attn", "query_key_value", "Wqkv", "W_pack", "wqkv"), _QKV),
    **dict.fromkeys(("o_proj", "out_proj", "dense", "wo"), ("attention output",)),
    "c_proj": ("attention output", "MLP output"),   # GPT-2 uses it for both
    "gate_proj": ("gate",), "w1": ("gate",), "up_proj": ("up",), "w3": ("up",),
    **dict.fromkeys(("gate_up_proj", "c_fc", "fc1", "fc_in", "dense_h_to_4h"), _MLP_IN),
    **dict.fromkeys(("down_proj", "fc2", "fc_out", "dense_4h_to_h", "w2"), ("MLP output",)),
    **dict.fromkeys(("embed_tokens", "wte", "embed_in", "word_embeddings"), ("input embedding",)),
    **dict.fromkeys(("lm_head", "embed_out"), ("output embedding",)),
}
# The MLP names of MoE experts are LOR107's business (fused experts on transformers 5).
MOE_EXPERT_LEAVES = frozenset({"gate_proj", "up_proj", "down_proj"})
REGEX_CHARACTERS = r"[*?+\[\]()|^$\\{}]"   # compiled by ``re`` when an entry is reported
SAFE_FIX_DISTANCE = 2


def role_equivalents(name: str, valid: FrozenSet[str]) -> List[str]:
    """This model's names for the layers ``name`` denotes in other architectures."""
    functions = set(LAYER_FUNCTIONS.get(name, ()))
    return [other for other in sorted(valid, key=_table_order)
            if functions & set(LAYER_FUNCTIONS.get(other, ()))]


_TABLE_ORDER = {name: index for index, name in enumerate(LAYER_FUNCTIONS)}


def _table_order(name: str) -> Tuple[int, str]:
    return (_TABLE_ORDER.get(name, len(_TABLE_ORDER)), name)


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


def suggestion(name: str, valid: FrozenSet[str], flagged: FrozenSet[str] = frozenset(),
               flagged_advice: str = "") -> Tuple[str, Optional[str]]:
    """(advice text, the one leaf a safe fix may write, or None).

    ``flagged`` are real names whose use in target_modules another rule reports (the
    embeddings, LOR101): they are never suggested as the replacement; when one of them is what
    the entry means, the advice says so with ``flagged_advice`` instead."""
    allowed = valid - flagged
    equivalents = role_equivalents(name, allowed)
    if equivalents:
        return f"use this model's names for that layer: {quoted(equivalents)}", None
    closest, distance = nearest(name, allowed)
    meant = role_equivalents(name, valid & flagged)
    near_flagged, flagged_distance = nearest(name, valid & flagged)
    if not meant and flagged_distance >= 0 and flagged_distance <= SAFE_FIX_DISTANCE and (
            not closest or flagged_distance < distance):
        meant = near_flagged
    if meant:
        return (f"this model's name for it is {quoted(meant)}, an embedding, which does not "
                f"belong in target_modules ({flagged_advice})"), None
    if closest and distance <= SAFE_FIX_DISTANCE:
        if len(closest) == 1:
            return f"did you mean '{closest[0]}'?", closest[0]
        return f"did you mean one of {quoted(closest)}?", None
    return f"its module names are {quoted(sorted(allowed))}", None


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
    LOR105. A model the catalog does not list but whose family lora-lint knows by name
    (`codellama/CodeLlama-7b-hf`, `THUDM/chatglm3-6b`, re-uploads, ModelScope directories) is
    checked against its architecture's names (derived from transformers, or from the model's
    own code for `trust_remote_code` families). Unknown models are never checked.

    Unsloth's `get_peft_model` on an MoE model whose experts are fused parameters
    (transformers 5: Qwen3-MoE's `mlp.experts.gate_up_proj`) turns `gate_proj`, `up_proj`
    and `gate_up_proj` into LoRA on the fused `gate_up_proj` parameter and `down_proj` into
    LoRA on `down_proj` (`unsloth_moe_expert_targets` in `catalog/data/peft_lora_config.json`):
    those entries are not reported there. Under plain PEFT `gate_up_proj` names no module of
    Qwen3-MoE and is reported.

    ## Example
    ```python
    model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")
    config = LoraConfig(target_modules=["q_proj", "v_prj"])
    ```

    ## How to fix
    Use the architecture's module names (print `model.named_modules()` when in doubt).

    The advice never proposes a name whose use in `target_modules` another rule reports: when
    the entry means an embedding (`embed_tokns`), the message says that the model's name for it
    is an embedding, which does not belong in `target_modules` (LOR101), instead of offering it.
    A name of another architecture is mapped only to this model's names that compute the same
    thing: `k_proj` on a model with multi-head latent attention (DeepSeek-V2, GLM-4.7-Flash) is
    `kv_a_proj_with_mqa`/`kv_b_proj`, never the query's `q_proj`.

    ## Fix safety
    Safe when one real name is nearest to the entry's leaf, within edit distance 2 (a typo,
    `v_prj` -> `v_proj`): the leaf is replaced by it. Ties get no fix, nor does an entry whose
    nearest name is an embedding. Names of other architectures are not rewritten automatically.
    """

    code = "LOR103"
    name = "unknown-target-module"
    summary = "target_modules entry that is not a module of the model: PEFT skips it or raises"
    fix_safety = FixSafety.SAFE

    VALID = (
        # Unsloth maps gate_up_proj to the fused experts' parameter of an MoE model.
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/Qwen3-30B-A3B")
        model = FastLanguageModel.get_peft_model(
            model, r=16, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_up_proj"])
        """,
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
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("THUDM/chatglm3-6b", trust_remote_code=True)
        config = LoraConfig(target_modules=["query_key_value", "dense_h_to_4h", "dense_4h_to_h"])
        model = get_peft_model(model, config)
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
        # Plain PEFT: gate_up_proj names no module of Qwen3-MoE (its experts are parameters).
        Invalid("""
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen3-30B-A3B")
        model = get_peft_model(model, LoraConfig(target_modules=[
            "q_proj",
            "gate_up_proj",  # expect: LOR103
        ]))
        """, fixed=None),
        Invalid("""
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")
        config = LoraConfig(target_modules=["q_proj", "v_prj"])  # expect: LOR103
        model = get_peft_model(model, config)
        """, fixed="""
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")
        config = LoraConfig(target_modules=["q_proj", "v_proj"])  # expect: LOR103
        model = get_peft_model(model, config)
        """),
        Invalid("""
        import peft as p
        from transformers import AutoModelForCausalLM
        TARGETS = [
            "c_attn",  # expect: LOR103
            "c_proj",  # expect: LOR103
        ]
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B-Instruct")
        model = p.get_peft_model(model, p.LoraConfig(r=8, target_modules=TARGETS))
        """, fixed=None),
        Invalid("""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16,
            target_modules=["qkv_proj", "o_proj", "gate_proj"],  # expect: LOR103
        )
        """, fixed=None),
        Invalid("""
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("microsoft/Phi-3-mini-4k-instruct")
        config = LoraConfig(target_modules=[
            "q_proj",  # expect: LOR103
            "v_proj",  # expect: LOR103
        ])
        model = get_peft_model(model, config)
        """, fixed=None),
        Invalid("""
        # the nearest name is an embedding: no fix writes it into target_modules (LOR101)
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")
        config = LoraConfig(target_modules=["q_proj", "embed_tokns"])  # expect: LOR103
        model = get_peft_model(model, config)
        """, fixed=None),
        Invalid("""
        # multi-head latent attention: k_proj/v_proj name no module; the key/value projections
        # are kv_a_proj_with_mqa and kv_b_proj
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("zai-org/GLM-4.7-Flash")
        config = LoraConfig(target_modules=[
            "q_proj",
            "k_proj",  # expect: LOR103
            "v_proj",  # expect: LOR103
        ])
        model = get_peft_model(model, config)
        """, fixed=None),
        Invalid("""
        # known by its family only (CodeLlama is a Llama): names of the llama architecture
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("codellama/CodeLlama-7b-hf")
        config = LoraConfig(target_modules=["q_proj", "k_prj"])  # expect: LOR103
        model = get_peft_model(model, config)
        """, fixed="""
        # known by its family only (CodeLlama is a Llama): names of the llama architecture
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("codellama/CodeLlama-7b-hf")
        config = LoraConfig(target_modules=["q_proj", "k_proj"])  # expect: LOR103
        model = get_peft_model(model, config)
        """),
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for call, setup, targets in listed_modules(file, "target_modules"):
            names = known_names(context, call, setup)
            if names is None:
                continue
            # LOR101 reports embeddings in target_modules: never suggest one as the fix
            flagged = (frozenset() if may_lower_embedding_learning_rate(file, setup)
                       else embedding_leaves(names.match))
            yield from self._check_targets(call, targets, names, flagged)

    @staticmethod
    def _unmatched(items: List[Value], names: KnownNames) -> Tuple[List[Value], List[Value]]:
        """(entries matching no module, those of them this rule reports)."""
        unmatched = [item for item in items
                     if not isinstance(item.python, str) or leaf(item.python) not in names.valid]
        reported = [item for item in unmatched
                    if isinstance(item.python, str) and not ignored(item.python)
                    and not (names.moe and leaf(item.python) in MOE_EXPERT_LEAVES)
                    and leaf(item.python) not in names.unsloth_expert_targets]
        return unmatched, reported

    def _check_targets(self, call, targets: Value, names: KnownNames,
                       flagged: FrozenSet[str]) -> Iterator[Diagnostic]:
        items = list(targets.items)
        unmatched, reported = self._unmatched(items, names)
        if reported:  # before reporting, also accept the names derived from transformers
            names = names.widened()
            unmatched, reported = self._unmatched(items, names)
        if not reported:
            return
        valid = names.valid
        parameters = call.args.value("target_parameters")
        no_parameters = absent_or_none(parameters)
        nothing_matches = len(unmatched) == len(items) and no_parameters
        for item in reported:
            entry = item.python
            name = leaf(entry)
            if nothing_matches:
                listed = "{" + ", ".join(repr(t.python) for t in items) + "}"
                consequence = (f"no entry matches, so PEFT raises 'Target modules {listed} not "
                               "found in the base model'")
            else:
                consequence = "PEFT silently skips it and adapts only the other entries"
            if re.search(REGEX_CHARACTERS, entry):
                advice = ("list entries are matched as plain module names, not regexes: list "
                          "each module name as its own entry")
                replacement = None
            else:
                advice, replacement = suggestion(name, valid, flagged,
                                                 embedding_removal_advice(names.match))
            fix = None
            if replacement is not None:
                prefix = entry[: len(entry) - len(name)]
                from ..fixing.edits import make_fix, replace_string  # loaded with the first fix
                fix = make_fix(FixSafety.SAFE, f"replace '{entry}' with '{prefix}{replacement}'",
                               replace_string(item, prefix + replacement))
            yield self.diagnostic(
                item.span,
                f"'{entry}' in target_modules is not a module of {names.model}: {consequence}; "
                f"{advice}",
                fix)
