from __future__ import annotations

import re
from typing import FrozenSet, Iterator, List, Optional

from ..analysis.diagnostics import Diagnostic, FixSafety
from ..analysis.model import LORA_CONFIG
from ..analysis.values import Value
from .base import Invalid, Rule, register

# A bare leaf or an alternation of leaves, optionally in one group: "q_proj", "q_proj|v_proj",
# "(q_proj|v_proj)". No ".", no "*": nothing that could match a dotted path.
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
BARE_ALTERNATION = rf"^\(?{_NAME}(?:\|{_NAME})*\)?$"   # compiled on first use (re caches it)
# Modules that sit at the top of a causal LM, whose full dotted name is the bare leaf: a
# regex naming them does match.
TOP_LEVEL_MODULES = frozenset({"lm_head", "embed_out", "score", "classifier"})


def leaves_of(pattern: str) -> Optional[List[str]]:
    """``"(q_proj|v_proj)"`` -> ``["q_proj", "v_proj"]``; None when not a bare alternation."""
    if pattern.lower() == "all-linear" or not re.match(BARE_ALTERNATION, pattern):
        return None
    if pattern.startswith("(") != pattern.endswith(")"):
        return None
    names: List[str] = []
    for name in pattern.strip("()").split("|"):
        if name not in names:
            names.append(name)
    return names


def list_literal(template: Optional[str], names: List[str]) -> Optional[str]:
    """``["q_proj", "v_proj"]`` with the quotes and prefix of the literal ``template``."""
    from ..fixing.edits import string_code  # loaded with the first fix
    strings = [string_code(template, name) for name in names]
    if any(s is None for s in strings):
        return None
    return "[" + ", ".join(strings) + "]"  # type: ignore[arg-type]


@register
class BareStringTargetModules(Rule):
    """
    ## What it does
    Flags `target_modules` given as one string that is a bare module name or an alternation of
    names (`"q_proj"`, `"q_proj|v_proj"`) in PEFT's `LoraConfig`.

    ## Why is this bad?
    A string `target_modules` is a regular expression that PEFT full-matches (`re.fullmatch`)
    against each module's *complete* dotted name, such as `model.layers.0.self_attn.q_proj`.
    A bare leaf never equals such a path, so nothing matches and `get_peft_model` raises
    `Target modules q_proj|v_proj not found in the base model.` (Lists are matched by suffix,
    which is what the author meant.) Names of top-level modules (`lm_head`, or the known
    model's own head, such as InternLM2's `output`) do match; the others in the alternation do
    not.

    ## Example
    ```python
    config = LoraConfig(r=16, target_modules="q_proj|v_proj")
    ```

    ## How to fix
    Pass a list, `target_modules=["q_proj", "v_proj"]`, or a regex that matches full paths,
    `r".*\\.(q_proj|v_proj)"`.

    ## Fix safety
    Safe: the string becomes the list of its names, in the same quote style; that is what the
    string was meant to select.
    """

    code = "LOR105"
    name = "bare-string-target-modules"
    summary = "target_modules is a bare name string: as a full-match regex it matches no module"
    fix_safety = FixSafety.SAFE

    VALID = (
        """
        from peft import LoraConfig
        config = LoraConfig(r=16, target_modules=["q_proj", "v_proj"])
        """,
        """
        from peft import LoraConfig
        config = LoraConfig(r=16, target_modules=r".*\\.(q_proj|v_proj)")
        """,
        """
        import peft as p
        config = p.LoraConfig(r=16, target_modules="all-linear")
        """,
        """
        # InternLM2's head is the top-level module "output": the regex matches it
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("internlm/internlm2-chat-7b",
                                                     trust_remote_code=True)
        model = get_peft_model(model, LoraConfig(r=8, target_modules="output"))
        """,
        """
        from peft import LoraConfig
        config = LoraConfig(r=16, target_modules="lm_head")
        """,
        """
        from peft import LoraConfig
        import sys
        config = LoraConfig(r=16, target_modules=sys.argv[1])
        """,
    )
    INVALID = (
        Invalid("""
        from peft import LoraConfig
        config = LoraConfig(r=16, target_modules="q_proj|v_proj")  # expect: LOR105
        """, fixed="""
        from peft import LoraConfig
        config = LoraConfig(r=16, target_modules=["q_proj", "v_proj"])  # expect: LOR105
        """),
        Invalid("""
        import peft as p
        TARGET = 'q_proj'  # expect: LOR105
        config = p.LoraConfig(r=16, target_modules=TARGET)
        """, fixed="""
        import peft as p
        TARGET = ['q_proj']  # expect: LOR105
        config = p.LoraConfig(r=16, target_modules=TARGET)
        """),
    )

    @staticmethod
    def _model_top_level(context, setup) -> FrozenSet[str]:
        """The Linear children of the model class itself, when the model is known: a regex
        naming one matches (InternLM2's head is ``output``)."""
        identity = context.model_identity(setup) if setup is not None else None
        names = identity.module_names() if identity is not None else None
        return names.top_level_linear if names is not None else frozenset()

    def check(self, file, context) -> Iterator[Diagnostic]:
        # Only PEFT's LoraConfig: FastLanguageModel.get_peft_model does not take strings as
        # regexes (it iterates them), FastModel builds its own regexes.
        for call in file.calls_with_role(LORA_CONFIG):
            argument = call.args.get("target_modules")
            if argument is None or not isinstance(argument.value, Value):
                continue
            value = argument.value
            if not isinstance(value.python, str):
                continue
            names = leaves_of(value.python)
            if names is None or all(name in TOP_LEVEL_MODULES for name in names):
                continue
            top_level = TOP_LEVEL_MODULES | self._model_top_level(context, file.setup_of(call))
            if all(name in top_level for name in names):
                continue
            suggested = "[" + ", ".join(f'"{name}"' for name in names) + "]"
            fix = None
            if value.literal:
                from ..fixing.edits import make_fix, replace_with_code  # loaded with the first fix
                new = list_literal(value.raw, names)
                if new is not None:
                    fix = make_fix(FixSafety.SAFE, f"replace the string with {suggested}",
                                   replace_with_code(value, new))
            top = [name for name in names if name in top_level]
            if top:
                consequence = (f"it matches only the top-level {', '.join(top)}; the other "
                               "names match nothing")
            else:
                consequence = (f"it matches no module and PEFT raises 'Target modules "
                               f"{value.python} not found in the base model'")
            yield self.diagnostic(
                argument.report_span,
                f"target_modules='{value.python}' is a regex full-matched against complete "
                f"module paths (model.layers.0.self_attn.q_proj), so {consequence}; "
                f"pass a list: target_modules={suggested}",
                fix)
