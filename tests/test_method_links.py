"""Methods called on ``self`` and functions whose returns differ by branch, linked from the
loader to the LoRA call (``functions.py``, ``extract.py``), through the real CLI and flake8."""

from __future__ import annotations

from pathlib import Path

from .conftest import dedent, flake8_codes
from .test_cli import check_json, write

TRAINER_CLASS = dedent('''
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM

    BASE = "meta-llama/Meta-Llama-3-8B"

    class Finetuner:
        def __init__(self, quantize):
            self.quantize = quantize
            self.model = self._load_model()
            self.lora_config = self._build_lora_config(8)

        def _load_model(self):
            try:
                model = AutoModelForCausalLM.from_pretrained(BASE, load_in_4bit=self.quantize)
            except OSError as error:
                raise RuntimeError("cannot load") from error
            if self.quantize:
                model = prepare_model_for_kbit_training(model)
            return model

        @staticmethod
        def _build_lora_config(rank):
            return LoraConfig(r=rank, target_modules=["q_proj", "c_attn"])  # LOR103

        def run(self):
            return get_peft_model(self.model, self.lora_config)
''')


def codes(root: Path, name: str) -> list:
    _, items = check_json(root, "--isolated", "--select", "LOR103", name)
    rows = sorted((item["location"]["row"], item["code"]) for item in items)
    assert sorted((row, code) for row, _, code in flake8_codes(root / name, "--select=LOR103")) == rows
    return rows


def test_methods_of_self_link_the_loader_to_the_lora_call(tmp_path: Path) -> None:
    write(tmp_path / "train.py", TRAINER_CLASS)
    line = TRAINER_CLASS.splitlines().index(
        next(text for text in TRAINER_CLASS.splitlines() if "# LOR103" in text)) + 1
    assert codes(tmp_path, "train.py") == [(line, "LOR103")]


def test_methods_that_may_be_replaced_are_not_followed(tmp_path: Path) -> None:
    """A base class (which may define ``_load_model`` differently in a subclass's view), or
    ``self._load_model = ...`` somewhere: the method is not known."""
    with_base = TRAINER_CLASS.replace("class Finetuner:", "class Finetuner(Base):").replace(
        'BASE = "meta-llama', 'class Base:\n    pass\n\nBASE = "meta-llama')
    replaced = TRAINER_CLASS.replace("self.quantize = quantize",
                                     "self.quantize = quantize\n        self._load_model = print")
    write(tmp_path / "with_base.py", with_base)
    write(tmp_path / "replaced.py", replaced)
    assert codes(tmp_path, "with_base.py") == []
    assert codes(tmp_path, "replaced.py") == []
