"""LOR904 (opt-in): a LoRA setup on a model lora-lint could not identify."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from ..analysis.diagnostics import Diagnostic
from ..analysis.model import FileModel
from .base import Rule, RuleContext, register

if TYPE_CHECKING:  # pragma: no cover
    from ..catalog.identify import ModelIdentity


def _family_only(model_id: str, identity: "ModelIdentity", reason: str) -> str:
    """The message for a model known by its family's name pattern, without sizes."""
    names = identity.module_names()
    checked = "its module names were checked" if names is not None and names.complete else \
        "its module names are not fully known"
    variant = f", {identity.variant}" if identity.variant else ""
    return (f"model '{model_id}' is known only by its family ({identity.family}, model type "
            f"'{identity.model_type}'{variant}), not its size: {checked}, but its embedding "
            f"sizes and the memory budget were not: {reason}")


@register
class UnidentifiedModel(Rule):
    """
    ## What it does
    Reports a LoRA setup whose model id is known (a literal, or a value lora-lint resolves) but
    names a model lora-lint cannot identify: it is not in the bundled catalog, and no usable
    `config.json` for it was found in a local model directory or the Hugging Face cache (a
    config whose `model_type` the catalog describes gives the module names, and is not
    reported). Every model-specific check (module names, embedding sizes, tied embeddings, base
    vs instruct, the memory budget) was skipped for it. A model known only by its family's name
    (`bigcode/starcoderbase-3b`: StarCoder's architecture, size not listed) is reported too, with
    what was checked (its module names, base or instruct) and what was not (its sizes). Opt-in:
    select `LOR9` or `LOR904`.

    ## Why is this bad?
    Nothing is wrong with the code. But a silent run can mean "checked and fine" or "not
    checkable", and a misspelled `target_modules` entry on a private fine-tune is exactly the
    mistake lora-lint exists to catch. This rule says which setups were not checked, and why.

    ## Example
    ```python
    model = AutoModelForCausalLM.from_pretrained("my-org/support-bot-v3")
    model = get_peft_model(model, LoraConfig(target_modules=["q_proj", "v_proj"]))
    ```

    ## How to fix
    Make the model's `config.json` available without the network: download it into the Hugging
    Face cache (`hf download my-org/support-bot-v3 config.json`, or any earlier
    `from_pretrained` on this machine), or load the model from a local directory that holds
    its `config.json` (relative paths are taken from the current directory, as
    `from_pretrained` does). lora-lint reads it when `hf-cache` is on (the default). The
    message says what was tried.

    ## Fix safety
    No automatic fix: the model itself cannot be changed by an edit.
    """

    code = "LOR904"
    name = "unidentified-model"
    summary = "Model of a LoRA setup not identified: model-specific checks were skipped"
    default_enabled = False

    VALID = (
        # A catalog model: identified.
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.2-1B-Instruct")
        model = get_peft_model(model, LoraConfig(r=16, target_modules=["q_proj", "v_proj"]))
        """,
        # A model id that is not known statically: nothing to identify.
        """
        import sys
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained(sys.argv[1])
        model = get_peft_model(model, LoraConfig(r=16, target_modules=["q_proj", "v_proj"]))
        """,
        # Inference only: no LoRA setup.
        """
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("my-org/support-bot-v3")
        """,
    )
    INVALID = (
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        MODEL = "my-org/support-bot-v3"  # expect: LOR904
        model = AutoModelForCausalLM.from_pretrained(MODEL)
        model = get_peft_model(model, LoraConfig(r=16, target_modules=["q_proj", "v_proj"]))
        """,
        # Known by its family's name only: module names checked, sizes not.
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("bigcode/starcoderbase-3b")  # expect: LOR904
        model = get_peft_model(model, LoraConfig(r=16, target_modules=["c_attn", "c_proj"]))
        """,
    )

    def check(self, file: FileModel, context: RuleContext) -> Iterator[Diagnostic]:
        from ..catalog.hf_config import how_to_make_known
        from ..catalog.identify import FAMILY_NAME

        for setup in file.setups:
            if setup.lora is None or setup.model_id is None:
                continue
            identification = context.identification(setup)
            if identification is None or identification.architecture is not None:
                continue
            model_id = setup.model_id.python
            reason = how_to_make_known(model_id, identification, context.settings.hf_cache,
                                       setup.model_revision)
            identity = context.model_identity(setup)
            if identity is not None and identity.how == FAMILY_NAME:
                yield self.diagnostic(setup.model_id.span, _family_only(model_id, identity, reason))
                continue
            yield self.diagnostic(
                setup.model_id.span,
                f"model '{model_id}' is not identified, so its module names, sizes and "
                f"variant were not checked: {reason}")
