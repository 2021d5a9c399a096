from __future__ import annotations

from typing import Iterator

import ast

from ..analysis.diagnostics import Diagnostic, FixSafety
from ..analysis.model import CallSite
from ..analysis.values import Value
from ._common import listed_modules
from .base import Invalid, Rule, register

ALL_LINEAR = "all-linear"


def is_all_linear(text: object) -> bool:
    # PEFT compares the string case-insensitively with INCLUDE_LINEAR_LAYERS_SHORTHAND
    return isinstance(text, str) and text.lower() == ALL_LINEAR


def accepts_plain_string(call: CallSite) -> bool:
    """Whether the callee expands a plain ``"all-linear"`` string.

    PEFT's LoraConfig and Unsloth's FastModel/FastVisionModel do; FastLanguageModel's
    get_peft_model iterates ``target_modules`` entry by entry, so a string would be split
    into characters there.
    """
    return call.name != "FastLanguageModel.get_peft_model"


def sole_literal_list(call: CallSite, targets: Value) -> bool:
    """The list is written in the call itself and holds only the one string."""
    from ..fixing.edits import is_written_keyword  # loaded with the first fix
    argument = call.args.get("target_modules")
    node = targets.node
    return (argument is not None and is_written_keyword(argument) and argument.node.value is node
            and isinstance(node, (ast.List, ast.Tuple, ast.Set)) and len(node.elts) == 1)


@register
class AllLinearInList(Rule):
    """
    ## What it does
    Flags `"all-linear"` written as an element of a list, tuple or set in `target_modules`.

    ## Why is this bad?
    PEFT expands the shorthand only when `target_modules` *is* the string `"all-linear"`. Inside
    a list it is an ordinary module name that matches nothing: alone it makes `get_peft_model`
    raise `Target modules {'all-linear'} not found in the base model. Please check the target
    modules and try again.`; next to other names it is skipped silently and only those
    are adapted.

    ## Example
    ```python
    config = LoraConfig(r=16, target_modules=["all-linear"])
    ```

    ## How to fix
    Pass the plain string, `target_modules="all-linear"`, or list the module names. With
    Unsloth's `FastLanguageModel.get_peft_model`, list the module names (it expects a list).

    ## Fix safety
    Safe: `["all-linear"]` written in the call becomes `"all-linear"` (what the list was meant
    to say) for PEFT's `LoraConfig` and Unsloth's `FastModel`. No fix when the list holds other
    names, is defined elsewhere, or the call is `FastLanguageModel.get_peft_model`.
    """

    code = "LOR104"
    name = "all-linear-in-list"
    summary = "\"all-linear\" inside a list is not expanded and matches no module"
    fix_safety = FixSafety.SAFE

    VALID = (
        """
        from peft import LoraConfig
        config = LoraConfig(r=16, target_modules="all-linear")
        """,
        """
        import peft as p
        import os
        targets = [os.environ["TARGET"]]
        config = p.LoraConfig(r=16, target_modules=targets)
        """,
        """
        from peft import LoraConfig
        config = LoraConfig(r=16, target_modules=["q_proj", "all_linear_adapter"])
        """,
    )
    INVALID = (
        Invalid("""
        from peft import LoraConfig
        config = LoraConfig(r=16, target_modules=["all-linear"])  # expect: LOR104
        """, fixed="""
        from peft import LoraConfig
        config = LoraConfig(r=16, target_modules="all-linear")  # expect: LOR104
        """),
        Invalid("""
        import peft as p
        TARGETS = (
            "q_proj",
            "ALL-LINEAR",  # expect: LOR104
        )
        config = p.LoraConfig(r=16, target_modules=TARGETS)
        """, fixed=None),
        Invalid("""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16, target_modules=["all-linear"],  # expect: LOR104
        )
        """, fixed=None),
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for call, setup, targets in listed_modules(file, "target_modules"):
            shorthand = [item for item in targets.items if is_all_linear(item.python)]
            if not shorthand:
                continue
            alone = len(targets.items) == len(shorthand)
            if alone:
                consequence = ("it matches no module, so PEFT raises \"Target modules "
                               "{'all-linear'} not found in the base model\"")
            else:
                consequence = ("it matches no module and is skipped silently: only the other "
                               "entries are adapted")
            if accepts_plain_string(call):
                advice = "pass the plain string target_modules=\"all-linear\" instead of a list"
            else:
                match = context.model_match(setup) if setup is not None else None
                names = list(match.standard_target_modules) if match is not None else []
                example = f" ({match.hub_id}: {names})" if match is not None and names else ""
                advice = ("FastLanguageModel.get_peft_model takes a list: list the module "
                          f"names{example}")
            for item in shorthand:
                fix = None
                if alone and len(shorthand) == 1 and accepts_plain_string(call) \
                        and sole_literal_list(call, targets):
                    from ..fixing.edits import make_fix, replace_with_code, string_code  # loaded with the first fix
                    new = string_code(item.raw, item.python) if item.literal else None
                    if new is not None:
                        fix = make_fix(FixSafety.SAFE, f"replace the list with \"{item.python}\"",
                                       replace_with_code(targets, new))
                yield self.diagnostic(
                    item.span,
                    f"'{item.python}' inside a list is only a module name, not the shorthand: "
                    f"{consequence}; {advice}",
                    fix)
