"""Fixes keep code runnable in execution order (cell order in a notebook), and which fixes are
unsafe because they change what is trained. Through the real ``lora-lint`` console script.

The notebook test runs the fixed cells, in order, in a subprocess whose ``transformers``,
``peft`` and ``trl`` are small stand-ins (no weights, no GPU): they accept the arguments and
record them, so a NameError (or a TypeError from a keyword the fix forgot to move) shows.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List

from .conftest import dedent
from .test_cli import check_json, err, lora_lint, out, write

# Stand-ins that accept what the real APIs accept and record it (``record`` in each module).
STUBS = {
    "transformers/__init__.py": """
        class _Loaded:
            def __init__(self, name):
                self.name = name

            @classmethod
            def from_pretrained(cls, name, **kwargs):
                return cls(name)

            def apply_chat_template(self, messages, tokenize=True, **kwargs):
                return "chat text"

        class AutoModelForCausalLM(_Loaded):
            pass

        class AutoTokenizer(_Loaded):
            pass
    """,
    "peft/__init__.py": """
        class LoraConfig:
            def __init__(self, **kwargs):
                self.kwargs = kwargs

        def get_peft_model(model, config):
            return model
    """,
    "trl/__init__.py": """
        CONFIG_KEYWORDS = {"output_dir", "learning_rate", "max_length", "dataset_text_field",
                           "packing"}
        TRAINER_KEYWORDS = {"model", "args", "processing_class", "train_dataset"}

        class SFTConfig:
            def __init__(self, **kwargs):
                unknown = set(kwargs) - CONFIG_KEYWORDS
                if unknown:
                    raise TypeError(f"SFTConfig got unexpected keyword arguments {unknown}")
                self.kwargs = kwargs

        class SFTTrainer:
            def __init__(self, **kwargs):
                unknown = set(kwargs) - TRAINER_KEYWORDS
                if unknown:
                    raise TypeError(f"SFTTrainer got unexpected keyword arguments {unknown}")
                self.kwargs = kwargs
    """,
}

RUNNER = """
import json, sys
cells = json.load(open(sys.argv[1], encoding="utf-8"))["cells"]
namespace = {}
for cell in cells:
    if cell["cell_type"] != "code":
        continue
    lines = "".join(cell["source"]).splitlines()
    code = "\\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)
    exec(compile(code, "cell", "exec"), namespace)
trainer = namespace["trainer"]
print(json.dumps({"config": trainer.kwargs["args"].kwargs,
                  "trainer": sorted(trainer.kwargs),
                  "model": namespace["model"].name,
                  "targets": namespace["config"].kwargs["target_modules"]}))
"""

CELLS = [
    """
    %pip install -q trl peft
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from peft import LoraConfig, get_peft_model
    from trl import SFTConfig, SFTTrainer
    """,
    """
    model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B")
    tokenizer = AutoTokenizer.from_pretrained("Qwen/Qwen2.5-7B")
    """,
    # The config is built before the cell that sets max_seq_length and the text field.
    """
    args = SFTConfig(output_dir="out", learning_rate=2e-4)
    """,
    """
    max_seq_length = 2048
    field = "text"
    text = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False)
    """,
    """
    config = LoraConfig(r=16, target_modules=["q_proj", "v_proj", "embed_tokens"])
    model = get_peft_model(model, config)
    trainer = SFTTrainer(model=model, args=args, tokenizer=tokenizer, train_dataset=None,
                         max_seq_length=max_seq_length, dataset_text_field=field)
    """,
]


def notebook(cells: List[str]) -> Dict[str, Any]:
    return {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                       "source": dedent(text).splitlines(keepends=True)} for text in cells],
            "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}


def run_cells(tmp_path: Path, path: Path) -> subprocess.CompletedProcess:
    stubs = tmp_path / "stubs"
    for name, code in STUBS.items():
        write(stubs / name, textwrap.dedent(code))
    write(tmp_path / "runner.py", RUNNER)
    return subprocess.run([sys.executable, "-I", "-c",
                           f"import sys; sys.path.insert(0, {str(stubs)!r}); "
                           f"sys.argv = ['runner', {str(path)!r}]; "
                           f"exec(open({str(tmp_path / 'runner.py')!r}).read())"],
                          capture_output=True, text=True, timeout=120)


def test_notebook_fixed_with_unsafe_fixes_runs_in_cell_order(tmp_path: Path):
    path = write(tmp_path / "nb.ipynb", json.dumps(notebook(CELLS), indent=1))
    before = run_cells(tmp_path, path)
    assert "TypeError" in before.stderr  # the premise: TRL rejects the notebook as written

    result = lora_lint("fix", "--unsafe-fixes", "nb.ipynb", cwd=tmp_path)
    assert "fixed" in err(result), out(result) + err(result)
    ran = run_cells(tmp_path, path)
    assert ran.returncode == 0, ran.stderr
    outcome = json.loads(ran.stdout)
    # the moved values are the ones the trainer got before, written where the config is built
    assert outcome["config"] == {"output_dir": "out", "learning_rate": 2e-4, "max_length": 2048,
                                 "dataset_text_field": "text"}
    assert outcome["trainer"] == ["args", "model", "processing_class", "train_dataset"]
    assert outcome["model"] == "Qwen/Qwen2.5-7B-Instruct"  # LOR301, applied as unsafe
    assert outcome["targets"] == ["q_proj", "v_proj"]  # LOR101


def test_moved_value_keeps_its_name_where_it_is_bound(tmp_path: Path):
    source = dedent("""
        from trl import SFTConfig, SFTTrainer
        max_seq_length = 2048
        args = SFTConfig(output_dir="out")
        trainer = SFTTrainer(model=model, args=args, max_seq_length=max_seq_length)
    """)
    path = write(tmp_path / "train.py", source)
    lora_lint("fix", "train.py", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == source.replace(
        'SFTConfig(output_dir="out")', 'SFTConfig(output_dir="out", max_length=max_seq_length)').replace(
        ", max_seq_length=max_seq_length)", ")")


def test_rebinding_between_the_places_writes_the_value_the_trainer_got(tmp_path: Path):
    source = dedent("""
        from trl import SFTConfig, SFTTrainer
        length = 1024
        args = SFTConfig(output_dir="out")
        length = 4096
        trainer = SFTTrainer(model=model, args=args, max_seq_length=length)
    """)
    path = write(tmp_path / "train.py", source)
    lora_lint("fix", "train.py", cwd=tmp_path)
    fixed = path.read_text(encoding="utf-8")
    assert 'SFTConfig(output_dir="out", max_length=4096)' in fixed
    assert "SFTTrainer(model=model, args=args)" in fixed


def test_no_fix_when_the_value_is_unbound_there_and_not_a_literal(tmp_path: Path):
    source = dedent("""
        from trl import SFTConfig, SFTTrainer
        args = SFTConfig(output_dir="out")
        max_seq_length = compute_length()
        trainer = SFTTrainer(model=model, args=args, max_seq_length=max_seq_length)
    """)
    path = write(tmp_path / "train.py", source)
    code, items = check_json(tmp_path, "train.py")
    [moved] = [d for d in items if "max_seq_length" in d["message"]]
    assert moved["code"] == "LOR505" and moved["fix"] is None
    result = lora_lint("fix", "train.py", cwd=tmp_path)
    assert result.returncode == 1 and path.read_text(encoding="utf-8") == source


# -- fix safety of the Base -> Instruct switch -------------------------------------------------

CHAT_ON_BASE = dedent("""
    from transformers import AutoModelForCausalLM
    from peft import LoraConfig, get_peft_model
    model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B")
    model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
    texts = [tokenizer.apply_chat_template(m, tokenize=False) for m in dataset["messages"]]
""")


def test_base_to_instruct_is_an_unsafe_fix(tmp_path: Path):
    path = write(tmp_path / "train.py", CHAT_ON_BASE)
    code, items = check_json(tmp_path, "train.py")
    [diagnostic] = [d for d in items if d["code"] == "LOR301"]
    assert diagnostic["fix"]["applicability"] == "unsafe"
    assert " LOR301 [*] " not in out(lora_lint("check", "train.py", cwd=tmp_path))

    safe = lora_lint("fix", "train.py", cwd=tmp_path)
    assert safe.returncode == 1 and path.read_text(encoding="utf-8") == CHAT_ON_BASE
    assert "--unsafe-fixes" in err(safe)
    lora_lint("fix", "--unsafe-fixes", "train.py", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == CHAT_ON_BASE.replace(
        '"Qwen/Qwen2.5-7B"', '"Qwen/Qwen2.5-7B-Instruct"')


def test_rules_table_lists_the_safety_of_each_base_model_fix(tmp_path: Path):
    rows = {line.split()[0]: line for line in out(lora_lint("rules", cwd=tmp_path)).splitlines()
            if line.startswith("LOR3") or line.startswith("LOR903")}
    assert "unsafe" in rows["LOR301"] and "unsafe" in rows["LOR903"]
    assert " safe" in rows["LOR302"] and "unsafe" not in rows["LOR302"]
