from __future__ import annotations

from typing import Iterator, Optional

import ast

from ..analysis.diagnostics import Diagnostic, Fix, FixSafety
from ..analysis.model import TRAINER, TRAINING_ARGS, CallSite, FileModel
from ..analysis.values import Value, is_number
from .base import Invalid, Rule, register
from ._common import format_learning_rate

# Classes whose switch to the Unsloth class keeps every other behaviour: UnslothTrainer
# subclasses SFTTrainer, UnslothTrainingArguments subclasses SFTConfig. transformers'
# Trainer/TrainingArguments have other defaults (learning rate, checkpointing), so no fix.
UNSLOTH_REPLACEMENT = {"SFTTrainer": "UnslothTrainer", "SFTConfig": "UnslothTrainingArguments"}


def unsloth_class_fix(file: FileModel, call: CallSite) -> Optional[Fix]:
    """Rename the callee of ``call`` to its Unsloth class, importing it when needed.

    The name must be reachable without guessing: bound by a module-level
    ``from unsloth import ...`` (or ``import unsloth``) written before the call, or added to
    such an existing ``from unsloth import`` line when nothing else binds that name.
    """
    from ..fixing.edits import add_imported_name, make_fix, ReplaceExpression  # loaded with the first fix
    target = UNSLOTH_REPLACEMENT.get(call.name)
    if target is None:
        return None
    qualified = f"unsloth.{target}"
    before = [record for record in file.imports
              if record.top_level and record.span.line < call.span.line]
    head = call.head_span
    description = f"use {target} instead of {call.name}"
    for record in before:
        for name, local in record.names:
            if name == qualified:
                return make_fix(FixSafety.SAFE, description, ReplaceExpression(head, local))
    bound_elsewhere = any(local == target for record in file.imports for _, local in record.names)
    for record in before:
        if ("unsloth", "unsloth") in record.names and isinstance(record.node, ast.Import):
            return make_fix(FixSafety.SAFE, description, ReplaceExpression(head, qualified))
    for record in before:
        if bound_elsewhere or not isinstance(record.node, ast.ImportFrom) or record.names == () \
                or not all(name.startswith("unsloth.") and name.count(".") == 1
                           for name, _ in record.names):
            continue
        return make_fix(FixSafety.SAFE, description + " (imported from unsloth)",
                        add_imported_name(record.span, target),
                        ReplaceExpression(head, target))
    return None


def shown(value: object) -> str:
    return format_learning_rate(value) if is_number(value) else repr(value)


@register
class IgnoredEmbeddingLearningRate(Rule):
    """
    ## What it does
    Flags `embedding_learning_rate` where it has no effect or breaks the script:

    * passed to `TrainingArguments(...)` or `SFTConfig(...)`, which do not have the field;
    * set in `UnslothTrainingArguments(...)` that go to a trainer other than `UnslothTrainer`
      (`SFTTrainer`, `Trainer`).

    ## Why is this bad?
    `TrainingArguments` and `SFTConfig` are dataclasses: an unknown keyword raises
    `TypeError: SFTConfig.__init__() got an unexpected keyword argument 'embedding_learning_rate'`.
    Only `UnslothTrainer.create_optimizer` reads the field (it gives the embedding weights
    their own parameter group); `SFTTrainer` and `Trainer` silently train the embeddings at
    the full learning rate.

    ## Example
    ```python
    trainer = SFTTrainer(
        model=model,
        args=UnslothTrainingArguments(learning_rate=5e-5, embedding_learning_rate=1e-5),
    )
    ```

    ## How to fix
    Use `UnslothTrainer` together with `UnslothTrainingArguments` (both from `unsloth`).

    ## Fix safety
    Safe: `SFTTrainer` is renamed to `UnslothTrainer` (a subclass with the same signature)
    and `SFTConfig` to `UnslothTrainingArguments` (a subclass of `SFTConfig` with the same
    defaults), using the name the file imports from `unsloth`, or adding it to an existing
    `from unsloth import ...` line. `Trainer`/`TrainingArguments` are not switched: the
    Unsloth classes bring TRL's defaults (learning rate, gradient checkpointing), so that
    change is left to the author.
    """

    code = "LOR502"
    name = "ignored-embedding-learning-rate"
    summary = "embedding_learning_rate ignored (not UnslothTrainer) or rejected (TypeError)"
    TRIGGERS = {"arguments": ("embedding_learning_rate",)}  # only an embedding_learning_rate argument
    fix_safety = FixSafety.SAFE

    VALID = (
        """
        from unsloth import UnslothTrainer, UnslothTrainingArguments
        trainer = UnslothTrainer(
            model=model,
            args=UnslothTrainingArguments(learning_rate=5e-5, embedding_learning_rate=1e-5),
        )
        """,
        """
        from unsloth import UnslothTrainingArguments
        from trl import SFTTrainer
        trainer = SFTTrainer(model=model, args=UnslothTrainingArguments(
            learning_rate=5e-5, embedding_learning_rate=None))
        """,
        """
        from unsloth import UnslothTrainer as SFTTrainer, UnslothTrainingArguments
        trainer = SFTTrainer(model=model, args=UnslothTrainingArguments(
            learning_rate=5e-5, embedding_learning_rate=1e-5))
        """,
    )
    INVALID = (
        Invalid("""
        from unsloth import FastLanguageModel, UnslothTrainingArguments
        from trl import SFTTrainer
        trainer = SFTTrainer(  # expect: LOR502
            model=model,
            args=UnslothTrainingArguments(learning_rate=5e-5, embedding_learning_rate=1e-5),
        )
        """, fixed="""
        from unsloth import FastLanguageModel, UnslothTrainingArguments, UnslothTrainer
        from trl import SFTTrainer
        trainer = UnslothTrainer(  # expect: LOR502
            model=model,
            args=UnslothTrainingArguments(learning_rate=5e-5, embedding_learning_rate=1e-5),
        )
        """),
        Invalid("""
        from trl import SFTConfig, SFTTrainer
        args = SFTConfig(
            learning_rate=5e-5,
            embedding_learning_rate=5e-6,  # expect: LOR502
        )
        """, fixed=None),
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for call in file.calls_with_role(TRAINING_ARGS):
            argument = call.args.get("embedding_learning_rate")
            if argument is None:
                continue
            if call.name != "UnslothTrainingArguments":
                yield self.diagnostic(
                    argument.span,
                    f"{call.name} has no embedding_learning_rate: it raises 'TypeError: "
                    f"{call.name}.__init__() got an unexpected keyword argument "
                    "'embedding_learning_rate''; use UnslothTrainingArguments with UnslothTrainer",
                    unsloth_class_fix(file, call))
        for trainer in file.calls_with_role(TRAINER):
            args = trainer.training_args
            if args is None or args.name != "UnslothTrainingArguments" \
                    or trainer.name == "UnslothTrainer":
                continue
            value = args.args.value("embedding_learning_rate")
            if not isinstance(value, Value) or value.python is None:
                continue
            yield self.diagnostic(
                trainer.head_span,
                f"{trainer.name} ignores embedding_learning_rate={shown(value.python)} of "
                f"UnslothTrainingArguments (line {args.span.line}): only UnslothTrainer reads it, "
                "so the embeddings train at the full learning rate; use UnslothTrainer",
                unsloth_class_fix(file, trainer))
