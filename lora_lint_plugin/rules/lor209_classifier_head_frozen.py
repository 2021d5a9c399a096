from __future__ import annotations

from typing import Iterator, Optional, Set

from ..analysis.diagnostics import Diagnostic, FixSafety, Span
from ..analysis.model import LORA_CONFIG, CallSite, FileModel, TrainingSetup
from ._common import peft_fact
from .base import Invalid, Rule, register

# Where the new head of a *ForSequenceClassification model lives: the names PEFT's
# PeftModelForSequenceClassification adds to modules_to_save for task_type="SEQ_CLS".
_HEAD_NAMES = ("classifier", "score")


def _sequence_classifier(load: Optional[CallSite]) -> bool:
    if load is None or load.library != "transformers" or load.is_unsloth:
        return False
    class_name = load.name.split(".")[0]
    # A label count (or mapping) asked for: the head is built for this task, so it is new; a
    # checkpoint that already is a classifier is loaded without them and keeps its trained head.
    labelled = any(name in load.args for name in ("num_labels", "id2label", "label2id"))
    return class_name.endswith("ForSequenceClassification") and labelled


def _head_may_train(file: FileModel, lora: CallSite) -> bool:
    """Something in the file may make the head trainable after all: a task type other than
    a known non-classification one, modules_to_save (in the call or set later), target
    modules naming the head, or parameters unfrozen by hand."""
    args = lora.args
    if not args.complete or "modules_to_save" in args:
        return True
    task_type = args.plain("task_type", default=None)
    if task_type is not None and (not isinstance(task_type, str) or task_type == "SEQ_CLS"
                                  or task_type not in peft_fact("task_types")):
        return True   # SEQ_CLS, unknown, or a spelling LOR206 reports
    targets = args.plain("target_modules", default=None)
    names: Set[str] = set()
    if isinstance(targets, str):
        names = {targets}
    elif isinstance(targets, (list, tuple, set)):
        names = {str(name) for name in targets}
    elif targets is not None:
        return True
    if any(head in name for name in names for head in _HEAD_NAMES):
        return True
    source = file.lines.source if file.lines is not None else ""
    return "requires_grad" in source or source.count("modules_to_save") > 0


@register
class ClassifierHeadFrozen(Rule):
    """
    ## What it does
    Flags a PEFT `LoraConfig` applied with `get_peft_model` to a model loaded with
    `AutoModelForSequenceClassification` (or a `*ForSequenceClassification` class) when the
    config has no `task_type="SEQ_CLS"` (none, or another task type such as `CAUSAL_LM`) and no
    `modules_to_save`.

    Only when the loader is given `num_labels` (or `id2label`/`label2id`): the head is then
    built for the task. A checkpoint that already is a classifier, loaded without them, keeps
    its trained head, and is not reported. Nor when something in the file may train the head
    anyway: `modules_to_save` set
    anywhere, a target module naming `classifier`/`score`, any `requires_grad` in the file
    (parameters unfrozen by hand), a task type that cannot be read, or keywords hidden in
    `**kwargs`. Unsloth's loaders are not checked.

    ## Why is this bad?
    Loading a base checkpoint with `AutoModelForSequenceClassification` adds a new, randomly
    initialised classification head (`classifier` for BERT-style encoders, `score` for
    decoder models). Only with `task_type="SEQ_CLS"` does PEFT (`get_peft_model` ->
    `PeftModelForSequenceClassification`) add `classifier` and `score` to `modules_to_save` so
    the head trains. Without it `get_peft_model` returns a plain `PeftModel` (a `CAUSAL_LM`
    task type gives a `PeftModelForCausalLM`), and every weight that is not a LoRA weight is
    frozen, the new head included: training adapts the body to a random projection, and the
    saved adapter does not contain the head, so a reloaded model gets another random head.

    ## Example
    ```python
    model = AutoModelForSequenceClassification.from_pretrained("klue/roberta-base", num_labels=2)
    model = get_peft_model(model, LoraConfig(r=8, target_modules=["query", "value"]))
    ```

    ## How to fix
    Add `task_type="SEQ_CLS"` (or `task_type=TaskType.SEQ_CLS`) to the `LoraConfig`; or list
    the head in `modules_to_save` yourself.

    ## Fix safety
    Unsafe: adding `task_type="SEQ_CLS"` makes the head trainable and saved with the adapter,
    which changes what gets trained (as intended, but it is a change), and it is offered only
    when the config has no task type.
    """

    code = "LOR209"
    name = "classifier-head-frozen"
    summary = "LoRA on a sequence classifier without task_type=\"SEQ_CLS\": the new head never trains"
    TRIGGERS = {"roles": (LORA_CONFIG,)}  # only setups with a LoraConfig
    fix_safety = FixSafety.UNSAFE

    VALID = (
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForSequenceClassification
        model = AutoModelForSequenceClassification.from_pretrained("roberta-base", num_labels=2)
        model = get_peft_model(model, LoraConfig(r=8, task_type="SEQ_CLS"))
        """,
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForSequenceClassification
        model = AutoModelForSequenceClassification.from_pretrained("roberta-base", num_labels=2)
        model = get_peft_model(model, LoraConfig(r=8, modules_to_save=["classifier"]))
        """,
        # The head is unfrozen by hand.
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForSequenceClassification
        model = AutoModelForSequenceClassification.from_pretrained("roberta-base", num_labels=2)
        model = get_peft_model(model, LoraConfig(r=8))
        for parameter in model.base_model.model.classifier.parameters():
            parameter.requires_grad = True
        """,
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-0.5B")
        model = get_peft_model(model, LoraConfig(r=8, target_modules="all-linear"))
        """,
        # A classifier checkpoint keeps its trained head.
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForSequenceClassification
        model = AutoModelForSequenceClassification.from_pretrained("my-org/sentiment-classifier")
        model = get_peft_model(model, LoraConfig(r=8))
        """,
    )

    INVALID = (
        Invalid("""
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForSequenceClassification
        model = AutoModelForSequenceClassification.from_pretrained("klue/roberta-base", num_labels=2)
        config = LoraConfig(r=8, target_modules=["query", "value"])  # expect: LOR209
        model = get_peft_model(model, config)
        """, fixed="""
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForSequenceClassification
        model = AutoModelForSequenceClassification.from_pretrained("klue/roberta-base", num_labels=2)
        config = LoraConfig(r=8, target_modules=["query", "value"], task_type="SEQ_CLS")  # expect: LOR209
        model = get_peft_model(model, config)
        """),
        Invalid("""
        from peft import LoraConfig, get_peft_model
        from transformers import LlamaForSequenceClassification
        model = LlamaForSequenceClassification.from_pretrained("meta-llama/Llama-3.1-8B", num_labels=3)
        model = get_peft_model(model, LoraConfig(r=16, task_type="CAUSAL_LM"))  # expect: LOR209
        """, fixed=None),
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        reported: Set[Span] = set()
        for setup in file.setups:
            lora = self._frozen_head_config(file, setup)
            if lora is not None and lora.span not in reported:
                reported.add(lora.span)
                yield self._diagnostic(lora, setup)

    @staticmethod
    def _frozen_head_config(file: FileModel, setup: TrainingSetup) -> Optional[CallSite]:
        lora, adapter = setup.lora, setup.adapter_call
        if lora is None or adapter is None or lora.name != "LoraConfig" \
                or adapter.name != "get_peft_model" or setup.uses_unsloth_api:
            return None
        if not _sequence_classifier(setup.model_load) or _head_may_train(file, lora):
            return None
        return lora

    def _diagnostic(self, lora: CallSite, setup: TrainingSetup) -> Diagnostic:
        from ..fixing.edits import add_keyword, make_fix  # loaded with the first fix
        assert setup.model_load is not None
        loader = setup.model_load.name.split(".")[0]
        written = lora.args.plain("task_type", default=None)
        task = f'task_type="{written}"' if written else "no task_type"
        fix = None if written else make_fix(
            FixSafety.UNSAFE, 'add task_type="SEQ_CLS"', add_keyword(lora.span, "task_type", '"SEQ_CLS"'))
        return self.diagnostic(
            lora.head_span,
            f"the model is loaded with {loader} and this LoraConfig has {task} and no modules_to_save: "
            f"get_peft_model freezes every non-LoRA weight, so its new classification head "
            f"(classifier/score) never trains and is not saved with the adapter; set "
            f'task_type="SEQ_CLS"',
            fix)
