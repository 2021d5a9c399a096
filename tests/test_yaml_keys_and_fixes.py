"""LOR208 (unknown config keys) and fixes on YAML trainer configs, through the real
``lora-lint`` console script: exact positions, text edits that leave every other byte alone,
idempotent fixes, and the JSON report's edits reproducing ``lora-lint fix``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from lora_lint_plugin.analysis.diagnostics import Diagnostic, Fix, FixSafety, Span
from lora_lint_plugin.analysis.engine import Analysis
from lora_lint_plugin.fixing.yaml_edits import YamlReplace, fix_config_source

from .conftest import dedent
from .test_cli import lora_lint, out


def check(tmp_path: Path, name: str, text: str, *options: str) -> List[Tuple[int, int, str, str]]:
    (tmp_path / name).write_bytes(text.encode("utf-8"))
    result = lora_lint("check", "--isolated", "--output-format", "json", *options, name, cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr.decode()
    return [(d["location"]["row"], d["location"]["column"], d["code"], d["message"])
            for d in json.loads(out(result))]


AXOLOTL = dedent("""
    base_model: NousResearch/Meta-Llama-3-8B-Instruct
    adapter: lora
    lora_r: 16
    lora_alpha: 32
    # a typo: axolotl would train with its default targets
    lora_targt_modules:
      - q_proj
      - v_proj
    max_seq_length: 4096
    "gradient_checkpointing": true
    plugins:
      - axolotl.integrations.cut_cross_entropy.CutCrossEntropyPlugin
    liger_rope: true
""")


def test_unknown_axolotl_keys_are_reported_at_the_key_with_the_closest_key(tmp_path: Path) -> None:
    found = [d for d in check(tmp_path, "lora.yml", AXOLOTL) if d[2] == "LOR208"]
    assert [d[:3] for d in found] == [(6, 1, "LOR208"), (9, 1, "LOR208"), (13, 1, "LOR208")]
    assert "did you mean 'lora_target_modules'?" in found[0][3]
    assert "drops it without a word" in found[0][3]
    assert "did you mean 'sequence_len'?" in found[1][3]   # another tool's name for it
    assert "plugin axolotl.integrations.liger" in found[2][3]


def test_llama_factory_unknown_key_is_an_error_and_trl_reports_only_likely_typos(tmp_path: Path) -> None:
    llama_factory = dedent("""
        ### model
        model_name_or_path: Qwen/Qwen2.5-7B-Instruct
        stage: sft
        finetuning_type: lora
        lora_rnak: 16
        lora_target: all
        template: qwen
    """)
    found = [d for d in check(tmp_path, "sft.yaml", llama_factory) if d[2] == "LOR208"]
    assert [d[:3] for d in found] == [(5, 1, "LOR208")]
    assert "Some keys are not used by the HfArgumentParser" in found[0][3]
    assert "did you mean 'lora_rank'?" in found[0][3]
    trl = dedent("""
        model_name_or_path: Qwen/Qwen2.5-0.5B-Instruct
        use_peft: true
        lora_r: 16
        dataset_mixture: {datasets: [{id: trl-lib/Capybara}]}
        per_device_train_bach_size: 4
    """)
    found = [d for d in check(tmp_path, "recipe.yaml", trl) if d[2] == "LOR208"]
    assert [d[:3] for d in found] == [(5, 1, "LOR208")]   # not the recipe's own dataset_mixture
    assert "did you mean 'per_device_train_batch_size'?" in found[0][3]


def test_keys_of_other_yaml_and_known_keys_are_silent(tmp_path: Path) -> None:
    workflow = dedent("""
        name: ci
        on: [push]
        jobs:
          test: {runs-on: ubuntu-latest, base_model: x}
    """)
    assert check(tmp_path, "ci.yml", workflow) == []
    known = dedent("""
        base_model: NousResearch/Meta-Llama-3-8B-Instruct
        adapter: qlora
        load_in_4bit: true
        lora_r: 16
        lora_alpha: 32
        lora_target_linear: true
        sequence_len: 2048
        gradient_checkpointing: true
        plugins: [axolotl.integrations.liger.LigerPlugin]
        liger_rope: true
    """)
    assert [d for d in check(tmp_path, "known.yml", known) if d[2] == "LOR208"] == []


# -- fixes -------------------------------------------------------------------------------------------

def fix(tmp_path: Path, name: str, text: str, newline: str = "\n", *options: str) -> str:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    result = lora_lint("fix", "--isolated", *options, name, cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr.decode()
    first = path.read_bytes().decode("utf-8")
    again = lora_lint("fix", "--isolated", *options, name, cwd=tmp_path)
    assert again.returncode in (0, 1), again.stderr.decode()
    assert path.read_bytes().decode("utf-8") == first, "a second run must change nothing"
    return first


BASE_WITH_CHAT = dedent("""
    base_model: 'meta-llama/Meta-Llama-3-8B'  # the base checkpoint
    adapter: lora
    lora_r: 32
    lora_alpha: 16
    lora_target_modules: [q_proj, lm_head, v_proj]   # the output head by mistake
    lora_modules_to_save:
      - embed_tokens   # a full copy
      - norm
    chat_template: llama3
    datasets:
      - path: mlabonne/FineTome-100k
        type: chat_template
    sequence_len: 2048
""")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_unsafe_yaml_fixes_edit_only_their_text(tmp_path: Path, newline: str) -> None:
    fixed = fix(tmp_path, "lora.yml", BASE_WITH_CHAT, newline, "--unsafe-fixes")
    expected = BASE_WITH_CHAT \
        .replace("'meta-llama/Meta-Llama-3-8B'", "'meta-llama/Meta-Llama-3-8B-Instruct'") \
        .replace("[q_proj, lm_head, v_proj]", "[q_proj, v_proj]") \
        .replace("  - embed_tokens   # a full copy\n", "")
    assert fixed == expected.replace("\n", newline)


def test_unsafe_yaml_fixes_need_the_flag(tmp_path: Path) -> None:
    assert fix(tmp_path, "lora.yml", BASE_WITH_CHAT) == BASE_WITH_CHAT


def test_trl_renamed_key_is_fixed_safely_and_llama_factory_pieces_are_removed(tmp_path: Path) -> None:
    recipe = dedent("""
        model_name_or_path: Qwen/Qwen2.5-0.5B-Instruct
        use_peft: true
        lora_r: 16
        max_seq_length: 2048  # the old name
        dataset_name: trl-lib/Capybara
    """)
    assert fix(tmp_path, "recipe.yaml", recipe) == recipe.replace("max_seq_length:", "max_length:")
    llama_factory = dedent("""
        model_name_or_path: Qwen/Qwen2.5-7B-Instruct
        stage: sft
        finetuning_type: lora
        lora_target: q_proj, embed_tokens ,v_proj
        template: qwen
    """)
    assert fix(tmp_path, "sft.yaml", llama_factory, "\n", "--unsafe-fixes") == \
        llama_factory.replace("q_proj, embed_tokens ,v_proj", "q_proj, v_proj")


def _offset(text: str, row: int, column: int) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(line) for line in lines[:row - 1]) + column - 1


def test_json_report_edits_reproduce_the_fix(tmp_path: Path) -> None:
    (tmp_path / "lora.yml").write_text(BASE_WITH_CHAT, encoding="utf-8")
    result = lora_lint("check", "--isolated", "--output-format", "json", "lora.yml", cwd=tmp_path)
    items = json.loads(out(result))
    fixes: Dict[str, dict] = {}
    for item in items:
        if item["fix"] is not None:
            fixes.setdefault(item["code"], item["fix"])
    assert set(fixes) == {"LOR101", "LOR102", "LOR301"}
    text = BASE_WITH_CHAT
    edits = sorted(((_offset(text, e["location"]["row"], e["location"]["column"]),
                     _offset(text, e["end_location"]["row"], e["end_location"]["column"]),
                     e["content"]) for f in fixes.values() for e in f["edits"]), reverse=True)
    for start, end, content in edits:
        text = text[:start] + content + text[end:]
    assert text == fix(tmp_path, "lora.yml", BASE_WITH_CHAT, "\n", "--unsafe-fixes")


def test_a_fix_whose_result_does_not_read_back_is_refused() -> None:
    source = "base_model: some/model\nadapter: lora\n"
    broken = Fix(FixSafety.SAFE, "break it", (YamlReplace(Span(1, 12, 1, 22), "some/model", "[x"),))
    diagnostic = Diagnostic(Span(1, 12, 1, 22), "LOR999", "test", broken)

    def analyse(text: str) -> Analysis:
        return Analysis(diagnostics=[diagnostic] if text == source else [])

    outcome = fix_config_source(source, analyse)
    assert outcome.source == source and not outcome.applied
    assert outcome.error is not None and "does not read back" in outcome.error


def test_misspelt_key_is_renamed_safely_only_where_the_tool_would_stop(tmp_path: Path) -> None:
    llama_factory = dedent("""
        model_name_or_path: Qwen/Qwen2.5-7B-Instruct
        stage: sft
        lora_rnak: 16   # rank
        template: qwen
    """)
    assert fix(tmp_path, "sft.yaml", llama_factory) == llama_factory.replace("lora_rnak:", "lora_rank:")
    axolotl = dedent("""
        base_model: NousResearch/Meta-Llama-3-8B-Instruct
        adapter: lora
        lora_r: 16
        lora_target_linear: true
        adam_eps: 1.0e-8
    """)
    assert fix(tmp_path, "lora.yml", axolotl) == axolotl   # it would start to take effect
    assert fix(tmp_path, "lora.yml", axolotl, "\n", "--unsafe-fixes") == \
        axolotl.replace("adam_eps:", "adam_epsilon:")


def test_a_pinned_release_narrows_the_key_list(tmp_path: Path) -> None:
    """``lora_alpha_pattern`` came after axolotl 0.12.0: reported only when the project pins
    that release; a pin older than every listed release keeps the rule silent."""
    config = dedent("""
        base_model: NousResearch/Meta-Llama-3-8B-Instruct
        adapter: lora
        lora_r: 16
        lora_target_linear: true
        lora_alpha_pattern: {q_proj: 32}
    """)
    assert [d for d in check(tmp_path, "lora.yml", config) if d[2] == "LOR208"] == []
    (tmp_path / "requirements.txt").write_text("torch\naxolotl==0.12.0\n", encoding="utf-8")
    found = [d for d in check(tmp_path, "lora.yml", config) if d[2] == "LOR208"]
    assert [d[:3] for d in found] == [(5, 1, "LOR208")]
    assert "axolotl 0.12.0, as axolotl==0.12.0 pinned in requirements.txt:2" in found[0][3]
    (tmp_path / "requirements.txt").write_text("axolotl==0.4.0\n", encoding="utf-8")
    config_with_typo = config + "lora_targt_modules: [q_proj]\n"
    assert [d for d in check(tmp_path, "lora.yml", config_with_typo) if d[2] == "LOR208"] == []
