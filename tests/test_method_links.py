"""Methods called on ``self`` and functions whose returns differ by branch, linked from the
loader to the LoRA call (``functions.py``, ``extract.py``), through the real CLI and flake8."""

from __future__ import annotations

import time
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


def fan_of_returns(depth: int = 20, branches: int = 7) -> str:
    """Functions each returning calls of the next one on ``branches`` branches: following
    every ``return`` to its loader would take ``(branches + 1) ** depth`` steps."""
    lines = ["from transformers import AutoModelForCausalLM",
             "from peft import LoraConfig, get_peft_model",
             f"def f{depth}(x):", "    return AutoModelForCausalLM.from_pretrained('gpt2')"]
    for level in range(depth - 1, -1, -1):
        lines.append(f"def f{level}(x):")
        for branch in range(branches):
            lines += [f"    if x == {branch}:", f"        return f{level + 1}({branch})"]
        lines.append(f"    return f{level + 1}(9)")
    lines.append("model = get_peft_model(f0(1), LoraConfig(r=8, target_modules=['q_proj']))")
    return "\n".join(lines) + "\n"


def test_returns_that_fan_out_stay_cheap(tmp_path: Path) -> None:
    write(tmp_path / "fan.py", fan_of_returns())
    started = time.monotonic()
    assert codes(tmp_path, "fan.py") == []
    assert time.monotonic() - started < 60


def fan_of_parameters(depth: int = 20) -> str:
    """Functions each passing their two parameters to the next one in four orders: what a
    parameter may be, read call by call, would take ``4 ** depth`` steps."""
    lines = ["import sys", "from transformers import AutoModelForCausalLM",
             "from peft import LoraConfig, get_peft_model",
             f"def h{depth}(a, b):",
             "    return get_peft_model(a, LoraConfig(r=8, target_modules=['q_proj']))"]
    for level in range(depth - 1, -1, -1):
        calls = [f"    h{level + 1}({first}, {second})" for first, second in ("ab", "ba", "aa", "bb")]
        lines += [f"def h{level}(a, b):", *calls]
        lines.append("    return a")
    lines.append("h0(AutoModelForCausalLM.from_pretrained('gpt2'), "
                 "AutoModelForCausalLM.from_pretrained(sys.argv[1]))")
    return "\n".join(lines) + "\n"


def test_parameters_passed_on_in_many_orders_stay_cheap(tmp_path: Path) -> None:
    write(tmp_path / "fan.py", fan_of_parameters())
    started = time.monotonic()
    assert codes(tmp_path, "fan.py") == []
    assert time.monotonic() - started < 60
