"""LOR505 stays silent where Unsloth may be active because the program imports it elsewhere.

Real multi-module layouts written to disk, checked through the ``lora-lint`` console script and
flake8 (subprocesses); stdin has no program around it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest

from .conftest import dedent, flake8_codes
from .test_cli import check_json, write

TRAINER_MODULE = dedent("""
    from trl import SFTConfig, SFTTrainer

    def build(model, tokenizer, data):
        args = SFTConfig(output_dir="out", max_seq_length=2048)
        return SFTTrainer(model=model, tokenizer=tokenizer, train_dataset=data, args=args)
""")
UNSLOTH_LOADER = dedent("""
    def load_model(name):
        from unsloth import FastLanguageModel
        return FastLanguageModel.from_pretrained(name, max_seq_length=2048)
""")
UNSLOTH_MODULE_LOADER = dedent("""
    from unsloth import FastLanguageModel

    def load_model(name):
        return FastLanguageModel.from_pretrained(name, max_seq_length=2048)
""")
# TRL taken inside the function, after the helper that imports Unsloth was called.
LATE_TRL_TRAINER = dedent("""
    from training.model import load_model

    def main(data):
        model, tokenizer = load_model("unsloth/llama-3-8b-bnb-4bit")
        from trl import SFTConfig, SFTTrainer
        args = SFTConfig(output_dir="out", max_seq_length=2048)
        return SFTTrainer(model=model, tokenizer=tokenizer, train_dataset=data, args=args)
""")
PLAIN_LOADER = dedent("""
    from transformers import AutoModelForCausalLM

    def load_model(name):
        return AutoModelForCausalLM.from_pretrained(name)
""")


def lor505_count(root: Path, relative: str) -> int:
    _, items = check_json(root, "--isolated", "--select", "LOR505", relative)
    cli = len(items)
    assert len(flake8_codes(root / relative, "--select=LOR505")) == cli
    return cli


def project(tmp_path: Path, files: Dict[str, str]) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for name, text in files.items():
        write(root / name, text)
    return root


@pytest.mark.parametrize("files, package", [
    # the package's entry point imports Unsloth before it imports this module
    ({"src/training/__init__.py": "",
      "src/training/__main__.py": "from unsloth import FastLanguageModel\n"
                                  "from src.training.trainer import build\n"}, "src/training"),
    # an enclosing package imports Unsloth when any of its modules is imported
    ({"pkg/__init__.py": "import unsloth  # noqa: F401\n", "pkg/training/__init__.py": ""},
     "pkg/training"),
])
def test_package_importing_unsloth_keeps_lor505_silent(tmp_path: Path, files: Dict[str, str],
                                                       package: str):
    root = project(tmp_path, files)
    write(root / package / "trainer.py", TRAINER_MODULE)
    assert lor505_count(root, f"{package}/trainer.py") == 0


@pytest.mark.parametrize("import_line", [
    "from .model import load_model\n",
    "from training.model import load_model\n",
    "from training import model\n",
    "import model\n",
])
def test_local_import_of_a_module_importing_unsloth(tmp_path: Path, import_line: str):
    root = project(tmp_path, {"src/training/model.py": UNSLOTH_MODULE_LOADER})
    write(root / "src/training/train.py", import_line + TRAINER_MODULE)
    assert lor505_count(root, "src/training/train.py") == 0


def test_trl_taken_after_the_helper_imported_unsloth_in_a_function(tmp_path: Path):
    root = project(tmp_path, {"src/training/model.py": UNSLOTH_LOADER})
    write(root / "src/training/train.py", LATE_TRL_TRAINER)
    assert lor505_count(root, "src/training/train.py") == 0


def test_unsloth_imported_in_a_helper_function_is_too_late_for_names_bound_on_import(
        tmp_path: Path):
    """Unsloth rebinds trl.SFTTrainer; `from trl import SFTTrainer` at module level keeps TRL's
    own class when Unsloth is only imported later, inside a helper's function (a PEFT-example
    copy whose utils.py imports Unsloth under `if args.use_unsloth:`)."""
    root = project(tmp_path, {"src/training/model.py": UNSLOTH_LOADER})
    write(root / "src/training/train.py", "from .model import load_model\n" + TRAINER_MODULE)
    assert lor505_count(root, "src/training/train.py") == 2


@pytest.mark.parametrize("files", [
    # a loader without Unsloth
    {"src/training/model.py": PLAIN_LOADER},
    # a script next to an Unsloth script, in a directory that is no package: separate programs
    {"src/training/other_script.py": "from unsloth import FastLanguageModel\n"},
    # a package whose other module (not its entry point) imports Unsloth
    {"src/training/__init__.py": "", "src/training/unsloth_variant.py": UNSLOTH_LOADER},
])
def test_no_unsloth_in_the_program_reports(tmp_path: Path, files: Dict[str, str]):
    root = project(tmp_path, files)
    write(root / "src/training/train.py", "from .model import load_model\n" + TRAINER_MODULE)
    assert lor505_count(root, "src/training/train.py") == 2


def test_stdin_has_no_program_around_it(tmp_path: Path):
    root = project(tmp_path, {"model.py": UNSLOTH_LOADER})
    source = ("from model import load_model\n" + TRAINER_MODULE).encode()
    _, items = check_json(root, "--isolated", "--select", "LOR505", "-", stdin=source)
    assert len(items) == 2
