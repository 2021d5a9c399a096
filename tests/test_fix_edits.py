"""The fix edits a report carries (JSON / SARIF) are the fix: applied as text they give valid
code, remove the finding, and equal what ``lora-lint fix`` writes for that rule.

Editors and review bots apply these edits without running lora-lint; they must agree with the
codemod path (both come from the same span edits, realised with LibCST).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Dict, List

import pytest

from lora_lint_plugin.analysis.engine import analyse_source
from lora_lint_plugin.fixing.fixes import fix_source
from lora_lint_plugin.rules import all_rules, example_language, example_source, expected_fix
from lora_lint_plugin.config.settings import Settings
from lora_lint_plugin.linting import analyse

from .conftest import dedent
from .test_cli import lora_lint, out

# Cases the rule examples do not cover: edits nested in one another, layout-sensitive ones.
EXTRA = {
    "nested_move.py": """
        from transformers import AutoModelForCausalLM
        from trl import SFTConfig, SFTTrainer
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Meta-Llama-3-8B-Instruct")
        trainer = SFTTrainer(
            model=model,
            args=SFTConfig(output_dir="out", learning_rate=2e-4),
            max_seq_length=2048,  # the context
        )
        """,
    "import_order_cells.py": """
        # %% imports
        import os
        from transformers import TrainingArguments
        # %% unsloth
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct-bnb-4bit")
        """,
    "indented_calls.py": """
        from transformers import AutoModelForCausalLM
        from trl import SFTConfig, SFTTrainer


        class Recipe:
            def run(self):
                model = AutoModelForCausalLM.from_pretrained("meta-llama/Meta-Llama-3-8B-Instruct")
                trainer = SFTTrainer(
                    model=model,
                    args=SFTConfig(
                        output_dir="out",
                        learning_rate=2e-4,
                    ),
                    max_seq_length=2048,
                )
        """,
    "tab_indented.py": (
        "from peft import LoraConfig\n"
        "def build():\n"
        "\tif True:\n"
        "\t\treturn LoraConfig(\n"
        "\t\t\tr=16,\n"
        "\t\t\ttarget_modules=[\n"
        "\t\t\t\t'q_proj',\n"
        "\t\t\t\t'q_proj',\n"
        "\t\t\t],\n"
        "\t\t)\n"),
    "parenthesised.py": """
        from peft import LoraConfig
        config = LoraConfig(r=(16.0), bias=(None), task_type=("causal_lm"),
                            target_modules=(("q_proj", "v_proj", "q_proj")))
        """,
    "multiline_keyword.py": """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained(
            "unsloth/llama-3-8b-bnb-4bit",  # base model
            max_seq_length=2048,
        )
        model = FastLanguageModel.get_peft_model(model, r=16,
                                                 target_modules=("q_proj", "v_proj", "q_proj"))
        """,
}


def _cases() -> Dict[str, str]:
    cases = {name: dedent(source) for name, source in EXTRA.items()}
    for rule in all_rules():
        if rule.fix_safety is None or rule.EXAMPLE_SETTINGS:
            continue
        for index, example in enumerate(rule.INVALID):
            if example_language(example) == "python":
                cases[f"{rule.code.lower()}_{index}.py"] = dedent(example_source(example))
    return cases


def _offset(text: str, row: int, column: int) -> int:
    lines = text.splitlines(keepends=True)  # rows as the report counts them (CRLF is one break)
    return sum(len(line) for line in lines[:row - 1]) + column - 1


def _apply(text: str, edits: List[dict]) -> str:
    spans = sorted((_offset(text, e["location"]["row"], e["location"]["column"]),
                    _offset(text, e["end_location"]["row"], e["end_location"]["column"]),
                    e["content"]) for e in edits)
    for (_, end, _), (start, _, _) in zip(spans, spans[1:]):
        assert end <= start, f"overlapping edits: {edits}"
    for start, end, content in reversed(spans):
        text = text[:start] + content + text[end:]
    return text


def _count(text: str, code: str) -> int:
    return sum(d.code == code for d in analyse_source(text).diagnostics)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_reported_fix_edits_apply_cleanly_and_match_lora_lint_fix(tmp_path: Path, newline: str):
    cases = {name: source.replace("\n", newline) for name, source in _cases().items()}
    for name, source in cases.items():
        (tmp_path / name).write_bytes(source.encode("utf-8"))
    result = lora_lint("check", "--isolated", "--output-format", "json", "--extend-select",
                       "LOR9", "-j", "1", ".", cwd=tmp_path)
    items = json.loads(out(result))
    # every fix the engine offers is in the report, with its edits
    every_code = {rule.code for rule in all_rules()}
    offered = sorted((name, d.line, d.code) for name, source in cases.items()
                     for d in analyse(source, Settings(), every_code).diagnostics
                     if d.fix is not None)
    reported = sorted((i["filename"], i["location"]["row"], i["code"]) for i in items
                      if i["fix"] is not None and i["fix"]["edits"])
    assert reported == offered
    fixed_codes = set()
    for item in items:
        fix = item["fix"]
        if fix is None:
            continue
        assert fix["edits"], item
        name, code = item["filename"], item["code"]
        original = cases[name]
        edited = _apply(original, fix["edits"])
        ast.parse(edited)  # valid Python
        assert _count(edited, code) < _count(original, code), (name, code, edited)
        fixed_codes.add(code)
        same_code = [i for i in items if i["filename"] == name and i["code"] == code]
        if len(same_code) == 1:
            # the only finding of its rule in the file: lora-lint fix writes exactly this
            outcome = fix_source(original, lambda text: analyse(text, Settings(), {code}),
                                 unsafe=True)
            assert outcome.source == edited, (name, code)
    expected = {rule.code for rule in all_rules()
                if rule.fix_safety is not None and not rule.EXAMPLE_SETTINGS
                and any(example_language(example) == "python" and expected_fix(example) is not None
                        for example in rule.INVALID)}  # LOR102 fixes YAML configs only
    # every fixable rule's examples produce at least one applicable fix
    assert expected - fixed_codes <= {"LOR903"} and "LOR505" in fixed_codes, expected - fixed_codes


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_spliced_fixes_equal_the_whole_module_transform(newline: str):
    # ``lora-lint fix`` splices the rewritten nodes' text into the file; LibCST's whole-module
    # transform is the reference. Every fix of every case, all applied at once (as one fix
    # round does) and one by one.
    from lora_lint_plugin.fixing.fixes import CstIndex, apply_fixes, plan_round

    every_code = {rule.code for rule in all_rules()}
    scripts = sorted((Path(__file__).parent / "data" / "scripts").glob("*.py"))
    sources = list(_cases().values()) + [path.read_text(encoding="utf-8") for path in scripts]
    compared = 0
    for source in sources:
        source = source.replace("\n", newline)
        fixes = [fix for fix, _ in plan_round(analyse(source, Settings(), every_code).diagnostics, unsafe=True)]
        index = CstIndex(source)
        for chosen in [fixes] + [[fix] for fix in fixes]:
            if chosen:
                spliced, applied = apply_fixes(index, chosen)
                assert (spliced, applied) == apply_fixes(index, chosen, splice=False)
                assert spliced != source and len(applied) == len(chosen)
                compared += 1
    assert compared > 40


def test_every_edit_kind_can_be_realised():
    import typing

    from lora_lint_plugin.fixing.edits import Edit
    from lora_lint_plugin.fixing.fixes import _REALISERS

    assert set(typing.get_args(Edit)) == set(_REALISERS)
