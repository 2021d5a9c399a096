"""LOR507: keywords transformers' TrainingArguments and TRL's configs reject, through flake8,
the ``lora-lint`` CLI (check and fix) and the data generator run on sources it writes itself.

The expected facts are transformers' own: ``evaluation_strategy`` is a field up to 4.50.3 and
gone in 4.51.0; ``beta`` was never a field of ``TrainingArguments``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lora_lint_plugin.rules.lor507_unaccepted_training_arguments import training_argument_facts

from .conftest import dedent, flake8_codes, run_flake8, write_source
from .test_cli import check_json, lora_lint, write

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = REPO_ROOT / "dev" / "derive_training_arguments.py"

TRAINING_ARGUMENTS = dedent("""
    from peft import LoraConfig
    from transformers import TrainingArguments
    args = TrainingArguments(
        output_dir="out",
        evaluation_strategy="steps",
        beta=0.1,
        warmup_ratio=0.03,
    )
""")


def lor507(items):
    return sorted((d["location"]["row"], d["message"], d["fix"] is not None)
                  for d in items if d["code"] == "LOR507")


def test_removed_and_unknown_keywords_through_flake8(tmp_path: Path) -> None:
    path = write_source(tmp_path, TRAINING_ARGUMENTS)
    assert [c for c in flake8_codes(path) if c[2] == "LOR507"] == [(5, 5, "LOR507"), (6, 5, "LOR507")]
    output = run_flake8(path, "--select=LOR507").stdout
    # the removal's release and the renamed keyword; unpinned: the message says so
    assert "since transformers 4.51" in output and "use eval_strategy=" in output
    assert "no transformers version is pinned" in output
    # beta is named as a field of TRL's configs
    assert "takes no keyword beta in any release" in output and "DPOConfig" in output


def test_pins_decide_removals(tmp_path: Path) -> None:
    write(tmp_path / "train.py", TRAINING_ARGUMENTS)
    # every allowed release still has evaluation_strategy: only beta is reported
    write(tmp_path / "requirements.txt", "transformers==4.40.2\n")
    _, items = check_json(tmp_path, "train.py")
    assert [row[0] for row in lor507(items)] == [6]
    # the pin allows releases on both sides: reported, naming the pin, no fix
    write(tmp_path / "requirements.txt", "transformers>=4.36\n")
    _, items = check_json(tmp_path, "train.py")
    [(row, message, fixable), _beta] = lor507(items)
    assert row == 5 and "transformers>=4.36 pinned in requirements.txt:1" in message and not fixable
    # every allowed release has the removal; warmup_ratio (gone in 5.15) only from a >=5.15 pin
    write(tmp_path / "requirements.txt", "transformers>=5.15\n")
    _, items = check_json(tmp_path, "train.py")
    assert [(row, fixable) for row, _, fixable in lor507(items)] == [(5, True), (6, False), (7, False)]
    # a release older than the data: nothing is known about it
    write(tmp_path / "requirements.txt", "transformers==4.20.0\n")
    _, items = check_json(tmp_path, "train.py")
    assert lor507(items) == []


def test_fix_renames_evaluation_strategy(tmp_path: Path) -> None:
    path = write(tmp_path / "train.py", TRAINING_ARGUMENTS)
    result = lora_lint("fix", "--select", "LOR507", "train.py", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    assert path.read_text() == TRAINING_ARGUMENTS.replace("evaluation_strategy=", "eval_strategy=")
    again = lora_lint("fix", "--select", "LOR507", "train.py", cwd=tmp_path)
    assert again.returncode in (0, 1)
    assert path.read_text() == TRAINING_ARGUMENTS.replace("evaluation_strategy=", "eval_strategy=")
    _, items = check_json(tmp_path, "train.py")
    assert [row for row, _, _ in lor507(items)] == [6]   # beta stays: no fix can decide


def test_no_fix_when_the_new_name_is_passed_or_kwargs_hide_keywords(tmp_path: Path) -> None:
    write(tmp_path / "train.py", dedent("""
        from trl import SFTConfig
        a = SFTConfig(output_dir="out", evaluation_strategy="steps", eval_strategy="steps")
        b = SFTConfig(output_dir="out", evaluation_strategy="steps", not_a_field=1, **options)
    """))
    _, items = check_json(tmp_path, "train.py")
    # both removals reported without a fix; the unknown keyword is silent next to **options
    assert [(row, fixable) for row, _, fixable in lor507(items)] == [(2, False), (3, False)]


def test_only_the_libraries_classes_without_unsloth(tmp_path: Path) -> None:
    write(tmp_path / "own.py", dedent("""
        from peft import LoraConfig
        from transformers import TrainingArguments as Base
        class TrainingArguments(Base):
            beta: float = 0.1
        args = TrainingArguments(output_dir="out", beta=0.2)
    """))
    write(tmp_path / "pkg" / "__init__.py", "import unsloth\n")
    write(tmp_path / "pkg" / "train.py", dedent("""
        from trl import ORPOConfig
        config = ORPOConfig(output_dir="out", model=model, evaluation_strategy="steps")
    """))
    _, items = check_json(tmp_path, "own.py", "pkg/train.py")
    assert lor507(items) == []
    write(tmp_path / "pkg" / "__init__.py", "")
    _, items = check_json(tmp_path, "pkg/train.py")
    assert [row for row, _, _ in lor507(items)] == [2, 2]


def test_bundled_facts_match_transformers_releases() -> None:
    facts = training_argument_facts()
    base = facts["libraries"]["transformers"]["TrainingArguments"]
    assert base["removed"]["evaluation_strategy"]["last_accepted"] == "4.50.3"
    assert base["removed"]["evaluation_strategy"]["removed"] == "4.51"
    assert base["fields"]["eval_strategy"][0][0].startswith("4.41")
    assert "beta" not in base["fields"]
    assert "beta" in facts["libraries"]["trl"]["ORPOConfig"]["fields"]


def _tree(root: Path, version: str, files: dict) -> Path:
    for name, text in files.items():
        write(root / name, dedent(text))
    write(root / "METADATA", f"Name: x\nVersion: {version}\n")
    return root


def test_generator_reads_fields_and_removals_from_sources(tmp_path: Path) -> None:
    old = _tree(tmp_path / "t1", "4.40.2", {"transformers/training_args.py": """
        from dataclasses import dataclass, field
        @dataclass
        class TrainingArguments:
            output_dir: str = None
            evaluation_strategy: str = None
            _n_gpu: int = field(init=False, default=-1)
    """, "transformers/training_args_seq2seq.py": """
        from dataclasses import dataclass
        from .training_args import TrainingArguments
        @dataclass
        class Seq2SeqTrainingArguments(TrainingArguments):
            predict_with_generate: bool = False
    """})
    new = _tree(tmp_path / "t2", "4.51.0", {
        "transformers/training_args.py": """
        from dataclasses import dataclass
        @dataclass
        class TrainingArguments:
            output_dir: str = None
            eval_strategy: str = None
    """, "transformers/training_args_seq2seq.py": (old / "transformers/training_args_seq2seq.py").read_text()})
    trl = _tree(tmp_path / "trl", "1.0.0", {"trl/trainer/sft_config.py": """
        from dataclasses import dataclass
        from transformers import TrainingArguments
        @dataclass
        class SFTConfig(TrainingArguments):
            max_length: int = 1024
    """})
    output = tmp_path / "training_arguments.json"
    result = subprocess.run([sys.executable, str(SCRIPT), "--transformers", str(old), "--transformers",
                             str(new), "--trl", str(trl), "-o", str(output)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    libraries = json.loads(output.read_text())["libraries"]
    base = libraries["transformers"]["TrainingArguments"]
    assert base["fields"] == {"eval_strategy": [["4.51.0", "4.51.0"]],
                              "evaluation_strategy": [["4.40.2", "4.40.2"]],
                              "output_dir": [["4.40.2", "4.51.0"]]}
    assert base["removed"]["evaluation_strategy"]["removed"] == "4.51"
    assert base["removed"]["evaluation_strategy"]["replacement"] == "eval_strategy"
    assert list(libraries["transformers"]["Seq2SeqTrainingArguments"]["fields"]) == ["predict_with_generate"]
    assert libraries["trl"]["SFTConfig"]["fields"] == {"max_length": [["1.0.0", "1.0.0"]]}
    assert libraries["trl"]["SFTConfig"]["base"] == "TrainingArguments"
