"""LOR508: names imported from peft that PEFT removed, through flake8 and the ``lora-lint`` CLI.

PEFT's own history: ``prepare_model_for_int8_training`` is exported up to 0.9.0 and gone in
0.10.0 (the ImportError text is Python's own for a missing name).
"""

from __future__ import annotations

from pathlib import Path

from .conftest import dedent, flake8_codes, run_flake8, write_source
from .test_cli import check_json, write

SOURCE = dedent("""
    from peft import (
        LoraConfig,
        get_peft_model,
        prepare_model_for_int8_training,
    )
    model = get_peft_model(prepare_model_for_int8_training(model), LoraConfig(r=8))
""")


def lor508(items):
    return sorted((d["location"]["row"], d["message"]) for d in items if d["code"] == "LOR508")


def test_import_through_flake8(tmp_path: Path) -> None:
    path = write_source(tmp_path, SOURCE)
    assert [c for c in flake8_codes(path) if c[2] == "LOR508"] == [(4, 5, "LOR508")]
    output = run_flake8(path, "--select=LOR508").stdout
    assert "cannot import name 'prepare_model_for_int8_training' from 'peft'" in output
    assert "since PEFT 0.10" in output and "no peft version is pinned" in output


def test_pins_decide(tmp_path: Path) -> None:
    write(tmp_path / "train.py", SOURCE)
    write(tmp_path / "requirements.txt", "peft>=0.11.0\n")
    _, items = check_json(tmp_path, "train.py")
    [(row, message)] = lor508(items)
    assert row == 4 and "peft>=0.11.0 pinned in requirements.txt:1 removed it" in message
    write(tmp_path / "requirements.txt", "peft==0.9.0\n")
    _, items = check_json(tmp_path, "train.py")
    assert lor508(items) == []
    write(tmp_path / "requirements.txt", "peft>=0.3\n")
    _, items = check_json(tmp_path, "train.py")
    [(row, message)] = lor508(items)
    assert "allows versions before 0.10" in message


def test_guarded_import_and_vendored_peft_are_silent(tmp_path: Path) -> None:
    write(tmp_path / "guarded.py", dedent("""
        from peft import LoraConfig, get_peft_model
        try:
            from peft.utils import prepare_model_for_int8_training
        except (ImportError, AttributeError):
            prepare_model_for_int8_training = None
        model = get_peft_model(model, LoraConfig(r=8))
    """))
    write(tmp_path / "vendored" / "train.py", SOURCE)
    write(tmp_path / "vendored" / "peft" / "__init__.py", "def prepare_model_for_int8_training(m):\n    return m\n")
    write(tmp_path / "examples" / "train.py", SOURCE)
    write(tmp_path / "examples" / "peft" / "notes.md", "not a package\n")
    _, items = check_json(tmp_path, "guarded.py", "vendored/train.py", "examples/train.py")
    assert sorted((d["filename"], d["location"]["row"]) for d in items if d["code"] == "LOR508") \
        == [("examples/train.py", 4)]


def test_other_modules_and_names_are_silent(tmp_path: Path) -> None:
    write(tmp_path / "train.py", dedent("""
        from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
        from my_peft import prepare_model_for_int8_training
        model = get_peft_model(prepare_model_for_kbit_training(model), LoraConfig(r=8))
    """))
    _, items = check_json(tmp_path, "train.py")
    assert lor508(items) == []
