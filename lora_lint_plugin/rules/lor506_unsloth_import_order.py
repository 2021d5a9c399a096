from __future__ import annotations

from typing import Iterator, List, Optional

from ..analysis.diagnostics import Diagnostic, Fix, FixSafety
from ..analysis.model import FileModel, ImportRecord
from ._common import first_module_level_import
from .base import Invalid, Rule, register

PATCHED_PACKAGES = ("transformers", "trl", "peft")


def _first(records: List[ImportRecord]) -> Optional[ImportRecord]:
    return records[0] if records else None


def move_up_fix(file: FileModel, unsloth: ImportRecord, first: ImportRecord) -> Optional[Fix]:
    """Move the unsloth import line up to where the first transformers/trl/peft import is.

    Only when both are module-level lines holding just that import and every line between
    them is an import line too (so nothing that runs in between, such as ``os.environ``
    settings or ``sys.path`` changes, is reordered around unsloth). The lines in between
    shift down by one, each keeping its own comments; the block's leading lines (blank lines,
    a header comment) stay at the top.
    """
    from ..fixing.edits import make_fix, move_statement_up  # loaded with the first fix
    if unsloth.statement is None or first.statement is None \
            or unsloth.body_index is None or first.body_index is None \
            or first.body_index >= unsloth.body_index:
        return None
    lines = {}
    for record in file.imports:
        if record.statement is not None and record.body_index is not None:
            lines[record.body_index] = record
    positions = range(first.body_index, unsloth.body_index + 1)
    if any(position not in lines for position in positions):
        return None  # a non-import statement (or a compound one) lies in between
    return make_fix(FixSafety.SAFE, "move the unsloth import above the transformers/trl/peft imports",
                    move_statement_up([lines[position].span for position in positions]))


@register
class UnslothImportOrder(Rule):
    """
    ## What it does
    Flags a file that imports `unsloth` after `transformers`, `trl` or `peft`.

    ## Why is this bad?
    Unsloth patches those libraries when it is imported; what was imported before keeps the
    unpatched code. Unsloth warns `WARNING: Unsloth should be imported before [trl,
    transformers, peft] to ensure all optimizations are applied. Your code may run slower or
    encounter memory issues without these optimizations.` Beyond speed and memory, names
    bound earlier (`from trl import SFTTrainer, SFTConfig`) are TRL's own classes, so the
    keywords Unsloth re-enables (`SFTConfig(max_seq_length=...)`, `SFTTrainer(tokenizer=...)`)
    raise `TypeError`, and `SFTTrainer(peft_config=...)` is no longer ignored. Imports inside
    functions run later than module-level ones and are judged that way.

    ## Example
    ```python
    from transformers import TrainingArguments
    from trl import SFTTrainer
    from unsloth import FastLanguageModel
    ```

    ## How to fix
    Put `import unsloth` (or `from unsloth import ...`) before any `transformers`, `trl` or
    `peft` import, right after the module docstring and `from __future__` imports.

    ## Fix safety
    Safe: the unsloth import line moves up to the first `transformers`/`trl`/`peft` import
    line, only when both are plain module-level import lines with nothing but import lines
    between them. Otherwise (imports under `try:`/`if`, code in between) there is no fix.
    """

    code = "LOR506"
    name = "unsloth-import-order"
    summary = "unsloth imported after transformers/trl/peft: its patches are not applied"
    TRIGGERS = {"imports": ("unsloth",)}  # only files that import unsloth
    fix_safety = FixSafety.SAFE

    VALID = (
        """
        '''Fine-tune with Unsloth.'''
        from __future__ import annotations
        import unsloth
        from unsloth import FastLanguageModel
        from transformers import TrainingArguments
        from trl import SFTTrainer
        """,
        """
        from unsloth import FastLanguageModel
        def evaluate():
            import transformers
            return transformers.pipeline("text-generation")
        from trl import SFTTrainer
        """,
        """
        from peft import LoraConfig
        import torch
        config = LoraConfig(r=16)
        """,
    )
    INVALID = (
        Invalid("""
        import os
        from transformers import TrainingArguments
        from trl import SFTTrainer
        from unsloth import FastLanguageModel  # expect: LOR506
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        """, fixed="""
        import os
        from unsloth import FastLanguageModel  # expect: LOR506
        from transformers import TrainingArguments
        from trl import SFTTrainer
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        """),
        Invalid("""
        from trl import SFTTrainer
        def main():
            from unsloth import FastLanguageModel  # expect: LOR506
            model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        """, fixed=None),
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        unsloth_imports = [r for r in file.imports if r.package == "unsloth"]
        if not unsloth_imports:
            return
        patched = [r for r in file.imports if r.package in PATCHED_PACKAGES and r.top_level]
        unsloth = first_module_level_import(file, "unsloth")
        if unsloth is not None:
            earlier = [r for r in patched
                       if (r.span.line, r.span.col) < (unsloth.span.line, unsloth.span.col)]
        else:
            unsloth, earlier = unsloth_imports[0], patched  # module-level imports run first
        first = _first(earlier)
        if first is None:
            return
        fix = move_up_fix(file, unsloth, first) if unsloth.top_level else None
        yield self.diagnostic(
            unsloth.span,
            f"unsloth is imported after {first.package} (line {first.span.line}): Unsloth warns "
            "'Unsloth should be imported before [trl, transformers, peft] to ensure all "
            "optimizations are applied' and what was imported before stays unpatched; "
            "import unsloth first",
            fix)
