"""The LibCST codemod commands: in-process (``CodemodTest`` / ``transform_module``) and through
LibCST's own runner, ``python -m libcst.tool codemod``, on real files.

Expected model ids are Hugging Face facts (the Instruct repo of each base checkpoint), not
values taken from lora-lint's catalog.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from libcst.codemod import (
    CodemodContext,
    CodemodTest,
    TransformSkip,
    TransformSuccess,
    transform_module,
)

from lora_lint_plugin.codemods.base_to_instruct import BaseToInstructCommand
from lora_lint_plugin.codemods.fix_all import FixAllCommand
from lora_lint_plugin.analysis.diagnostics import FixSafety
from lora_lint_plugin.rules import all_rules, example_language, example_source, expected_fix, rule_by_code

from .conftest import dedent

BASE_TO_INSTRUCT = "lora_lint_plugin.codemods.base_to_instruct.BaseToInstructCommand"
FIX_ALL = "lora_lint_plugin.codemods.fix_all.FixAllCommand"

needs_lor302 = pytest.mark.skipif(rule_by_code("LOR302") is None, reason="LOR302 not written yet")
needs_lor903 = pytest.mark.skipif(rule_by_code("LOR903") is None, reason="LOR903 not written yet")

# -- sources ----------------------------------------------------------------------------------

CHAT_ON_BASE = """
from unsloth import FastLanguageModel
from unsloth.chat_templates import get_chat_template

model, tokenizer = FastLanguageModel.from_pretrained(
    model_name = 'unsloth/Qwen3-8B-Base',   # keep this comment
    max_seq_length = 2048,
)
tokenizer = get_chat_template(tokenizer, chat_template="qwen-3")
model = FastLanguageModel.get_peft_model(model, r=16)
"""

EMBEDDING_TARGETS = """
from peft import LoraConfig
config = LoraConfig(
    r=16,
    target_modules=["q_proj",   "v_proj", "embed_tokens"],  # odd spacing stays
)
"""

EMBEDDING_TARGETS_REMOVED = """
from peft import LoraConfig
config = LoraConfig(
    r=16,
    target_modules=["q_proj",   "v_proj"],  # odd spacing stays
)
"""

NO_TRAINING_CODE = """
import json
print(json.dumps({"model": "unsloth/Qwen3-8B-Base"}))
"""


def chat_script(model_id: str, quote: str = '"') -> str:
    """A plain-PEFT SFT script on ``model_id`` that applies a chat template (LOR301's signal)."""
    return dedent(f"""
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from peft import LoraConfig, get_peft_model

        model = AutoModelForCausalLM.from_pretrained({quote}{model_id}{quote}, torch_dtype="auto")
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        texts = [tokenizer.apply_chat_template(m, tokenize=False) for m in dataset["messages"]]
    """)


def run(command: type, source: str, **kwargs):
    return transform_module(command(CodemodContext(), **kwargs), dedent(source))


# -- in-process: CodemodTest style -------------------------------------------------------------

class TestBaseToInstructCodemod(CodemodTest):
    TRANSFORM = BaseToInstructCommand

    def test_rewrites_only_the_model_id_literal(self) -> None:
        after = CHAT_ON_BASE.replace("'unsloth/Qwen3-8B-Base'", "'unsloth/Qwen3-8B'")
        self.assertCodemod(CHAT_ON_BASE, after)

    def test_instruct_model_is_skipped(self) -> None:
        source = CHAT_ON_BASE.replace("unsloth/Qwen3-8B-Base", "unsloth/Qwen3-8B")
        self.assertCodemod(source, source, expected_skip=True)

    def test_file_without_training_code_is_skipped(self) -> None:
        self.assertCodemod(NO_TRAINING_CODE, NO_TRAINING_CODE, expected_skip=True)


class TestFixAllCodemod(CodemodTest):
    TRANSFORM = FixAllCommand

    def test_unsafe_fix_applied_with_unsafe_fixes(self) -> None:
        self.assertCodemod(EMBEDDING_TARGETS, EMBEDDING_TARGETS_REMOVED, unsafe_fixes=True)


# -- in-process: behaviour ---------------------------------------------------------------------

@pytest.mark.parametrize("base, instruct", [
    ("Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B-Instruct"),
    ("google/gemma-2-9b", "google/gemma-2-9b-it"),
    ("unsloth/llama-3-8b-bnb-4bit", "unsloth/llama-3-8b-Instruct-bnb-4bit"),
    ("meta-llama/Meta-Llama-3-8B", "meta-llama/Meta-Llama-3-8B-Instruct"),
])
@pytest.mark.parametrize("quote", ['"', "'"])
def test_base_to_instruct_rewrites_to_the_exact_sibling(base: str, instruct: str, quote: str) -> None:
    result = run(BaseToInstructCommand, chat_script(base, quote))
    assert isinstance(result, TransformSuccess), result
    assert result.code == chat_script(instruct, quote)


def test_base_to_instruct_follows_a_module_constant() -> None:
    source = dedent("""
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model
        from trl import SFTTrainer, SFTConfig
        BASE = "Qwen/Qwen2.5-7B"
        model = AutoModelForCausalLM.from_pretrained(BASE)
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        trainer = SFTTrainer(model=model, args=SFTConfig(assistant_only_loss=True))
    """)
    result = run(BaseToInstructCommand, source)
    assert isinstance(result, TransformSuccess), result
    assert result.code == source.replace('"Qwen/Qwen2.5-7B"', '"Qwen/Qwen2.5-7B-Instruct"')


def test_base_to_instruct_leaves_other_rules_fixes_alone() -> None:
    source = chat_script("Qwen/Qwen2.5-7B").replace(
        'target_modules="all-linear"', 'target_modules=["q_proj", "embed_tokens"]')
    result = run(BaseToInstructCommand, source)
    assert isinstance(result, TransformSuccess), result
    assert '["q_proj", "embed_tokens"]' in result.code  # LOR101 is not this command's business
    assert '"Qwen/Qwen2.5-7B-Instruct"' in result.code


def test_base_to_instruct_warns_when_the_id_cannot_be_rewritten() -> None:
    # A local path whose tail is a base id: reported, never rewritten (paths are the user's).
    source = chat_script("/models/Qwen2.5-7B")
    result = run(BaseToInstructCommand, source)
    assert isinstance(result, TransformSkip), result
    assert any("LOR301" in warning and "by hand" in warning for warning in result.warning_messages)


@needs_lor302
def test_base_to_instruct_fixes_the_untrained_token_crash() -> None:
    source = dedent("""
        from unsloth import FastLanguageModel
        from unsloth.chat_templates import get_chat_template
        from trl import SFTTrainer, SFTConfig
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        tokenizer = get_chat_template(tokenizer, chat_template="llama-3")
        model = FastLanguageModel.get_peft_model(model, r=16)
        trainer = SFTTrainer(model=model, args=SFTConfig(output_dir="out"))
    """)
    result = run(BaseToInstructCommand, source)
    assert isinstance(result, TransformSuccess), result
    assert result.code == source.replace('"unsloth/llama-3-8b-bnb-4bit"',
                                         '"unsloth/llama-3-8b-Instruct-bnb-4bit"')


PLAIN_TEXT_SFT = """
from unsloth import FastLanguageModel
from trl import SFTTrainer, SFTConfig
model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
model = FastLanguageModel.get_peft_model(model, r=16)
alpaca_prompt = "### Instruction:\\n{}\\n\\n### Response:\\n{}"
trainer = SFTTrainer(model=model, args=SFTConfig(dataset_text_field="text"))
"""


def test_base_to_instruct_leaves_plain_text_sft_alone_by_default() -> None:
    # No chat signal: LOR903 is opt-in, so a continued-pretraining style script is untouched.
    assert isinstance(run(BaseToInstructCommand, PLAIN_TEXT_SFT), TransformSkip)


@needs_lor903
def test_base_to_instruct_rewrites_plain_text_sft_when_lor903_is_selected() -> None:
    result = run(BaseToInstructCommand, PLAIN_TEXT_SFT, select="LOR9")
    assert isinstance(result, TransformSuccess), result
    assert '"unsloth/llama-3-8b-Instruct-bnb-4bit"' in result.code


def test_unsafe_fix_is_not_applied_without_unsafe_fixes() -> None:
    result = run(FixAllCommand, EMBEDDING_TARGETS)
    assert isinstance(result, TransformSkip), result
    assert [w for w in result.warning_messages if "LOR101" in w and "--unsafe-fixes" in w]


def test_fix_all_applies_safe_fixes_by_default() -> None:
    # LOR203's fix is safe, so FixAll applies it without --unsafe-fixes, while the unsafe
    # LOR301 (Base -> Instruct switches what is trained) and LOR101 fixes wait for the flag.
    assert rule_by_code("LOR301").fix_safety == FixSafety.UNSAFE
    source = chat_script("Qwen/Qwen2.5-7B").replace(
        'target_modules="all-linear"', 'target_modules=["q_proj", "embed_tokens"], bias="None"')
    result = run(FixAllCommand, source)
    assert isinstance(result, TransformSuccess), result
    assert 'bias="none"' in result.code
    assert '"Qwen/Qwen2.5-7B"' in result.code and '["q_proj", "embed_tokens"]' in result.code
    assert [w for w in result.warning_messages if "LOR301" in w and "--unsafe-fixes" in w]
    both = run(FixAllCommand, source, unsafe_fixes=True)
    assert '"Qwen/Qwen2.5-7B-Instruct"' in both.code and '["q_proj"]' in both.code


def test_fix_all_select_and_ignore() -> None:
    source = chat_script("Qwen/Qwen2.5-7B").replace(
        'target_modules="all-linear"', 'target_modules=["q_proj", "embed_tokens"]')
    only_lor1 = run(FixAllCommand, source, select="LOR1", unsafe_fixes=True)
    assert '"Qwen/Qwen2.5-7B"' in only_lor1.code and '["q_proj"]' in only_lor1.code
    ignored = run(FixAllCommand, source, ignore="LOR101,LOR3", unsafe_fixes=True)
    assert isinstance(ignored, TransformSkip)


@pytest.mark.parametrize("command, option, value", [
    (FixAllCommand, "select", "LOR999"),
    (FixAllCommand, "ignore", "XYZ"),
    (BaseToInstructCommand, "select", "LOR101"),  # not one of this command's rules
])
def test_unknown_selector_is_an_error(command: type, option: str, value: str) -> None:
    with pytest.raises(ValueError, match=value):
        command(CodemodContext(), **{option: value})


def fixable_examples() -> List[tuple]:
    """Every INVALID example of every rule that has a fix, with the rule's code and safety."""
    cases = []
    for rule in all_rules():
        if rule.fix_safety is None:
            continue
        for index, example in enumerate(rule.INVALID):
            if example_language(example) != "python":
                continue  # the LibCST codemods rewrite Python only
            cases.append(pytest.param(rule.code, rule.fix_safety, example_source(example),
                                      expected_fix(example), id=f"{rule.code}-{index}"))
    return cases


@pytest.mark.parametrize("code, safety, example, fixed", fixable_examples())
def test_rule_examples_fix_idempotently(code: str, safety: str, example: str,
                                        fixed: Optional[str]) -> None:
    first = run(FixAllCommand, example, select=code, unsafe_fixes=True)
    assert not hasattr(first, "error"), getattr(first, "traceback_str", "")
    assert isinstance(first, TransformSuccess) == (fixed is not None)
    if isinstance(first, TransformSuccess):
        assert first.code == dedent(fixed)  # the output the rule's example pins
        again = transform_module(FixAllCommand(CodemodContext(), select=code, unsafe_fixes=True),
                                 first.code)
        assert isinstance(again, TransformSkip), "a second run must change nothing"
    if safety == FixSafety.UNSAFE:
        safe_only = run(FixAllCommand, example, select=code)
        assert isinstance(safe_only, TransformSkip), f"{code}'s unsafe fix ran without the flag"


# -- through LibCST's runner (subprocess) ------------------------------------------------------

# A formatter that fails: proves --no-format keeps LibCST from running one (its default is
# black, which would reformat the whole file).
FAILING_FORMATTER = f"[{sys.executable!r}, '-c', 'import sys; sys.exit(3)']"


def write_config(root: Path) -> None:
    (root / ".libcst.codemod.yaml").write_text(textwrap.dedent(f"""\
        generated_code_marker: '@generated'
        formatter: {FAILING_FORMATTER}
        blacklist_patterns: []
        modules: [lora_lint_plugin.codemods]
        repo_root: .
    """), encoding="utf-8")


def libcst_tool(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("LIBCST_TOOL_REQUIRE_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "libcst.tool", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def codemod(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    result = libcst_tool(cwd, "codemod", "--no-format", "--hide-progress", *args)
    assert "Traceback" not in result.stderr, result.stderr
    assert "Failed to determine module name" not in result.stderr, result.stderr  # repo_root
    return result


def snapshot(root: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_runner_external_command_writes_the_fix_and_is_idempotent(tmp_path: Path) -> None:
    write_config(tmp_path)
    script = tmp_path / "train.py"
    script.write_text(dedent(CHAT_ON_BASE), encoding="utf-8")
    first = codemod(tmp_path, "-x", BASE_TO_INSTRUCT, "train.py")
    assert first.returncode == 0, first.stderr
    assert "Transformed 1 files successfully" in first.stderr
    assert script.read_text(encoding="utf-8") == dedent(CHAT_ON_BASE).replace(
        "'unsloth/Qwen3-8B-Base'", "'unsloth/Qwen3-8B'")
    before = script.read_bytes()
    second = codemod(tmp_path, "-x", BASE_TO_INSTRUCT, "train.py")
    assert second.returncode == 0, second.stderr
    assert "Skipped 1 files" in second.stderr and "no lora-lint fix to apply" in second.stderr
    assert script.read_bytes() == before


def test_runner_unified_diff_prints_and_writes_nothing(tmp_path: Path) -> None:
    write_config(tmp_path)
    script = tmp_path / "train.py"
    script.write_text(dedent(CHAT_ON_BASE), encoding="utf-8")
    # "-u 1" must follow COMMAND: LibCST's first argument pass would take "1" for the command.
    result = codemod(tmp_path, "-x", BASE_TO_INSTRUCT, "-u", "1", "train.py")
    assert result.returncode == 0, result.stderr
    assert script.read_text(encoding="utf-8") == dedent(CHAT_ON_BASE)
    removed = [line for line in result.stdout.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in result.stdout.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert removed == ["-    model_name = 'unsloth/Qwen3-8B-Base',   # keep this comment"]
    assert added == ["+    model_name = 'unsloth/Qwen3-8B',   # keep this comment"]


def test_runner_finds_commands_through_the_config_modules(tmp_path: Path) -> None:
    write_config(tmp_path)
    listing = libcst_tool(tmp_path, "list")
    assert listing.returncode == 0, listing.stderr
    names = [line.split(" - ")[0] for line in listing.stdout.splitlines() if " - " in line]
    assert names == ["base_to_instruct.BaseToInstructCommand", "fix_all.FixAllCommand"]
    script = tmp_path / "train.py"
    script.write_text(dedent(CHAT_ON_BASE), encoding="utf-8")
    result = codemod(tmp_path, "base_to_instruct.BaseToInstructCommand", ".")
    assert result.returncode == 0, result.stderr
    assert "'unsloth/Qwen3-8B'," in script.read_text(encoding="utf-8")


def test_runner_tree_in_parallel(tmp_path: Path) -> None:
    """Several directories, -j 2 (more than 4 files, so LibCST really uses a process pool)."""
    write_config(tmp_path)
    files = {
        "a/chat_qwen.py": (chat_script("Qwen/Qwen2.5-7B"), chat_script("Qwen/Qwen2.5-7B-Instruct")),
        "a/b/chat_gemma.py": (chat_script("google/gemma-2-9b", "'"),
                              chat_script("google/gemma-2-9b-it", "'")),
        "c/unsafe_only.py": (dedent(EMBEDDING_TARGETS), dedent(EMBEDDING_TARGETS)),
        "c/instruct.py": (chat_script("Qwen/Qwen2.5-7B-Instruct"),) * 2,
        "utils.py": (dedent(NO_TRAINING_CODE),) * 2,
        "d/chat_llama.py": (chat_script("unsloth/llama-3-8b-bnb-4bit"),
                            chat_script("unsloth/llama-3-8b-Instruct-bnb-4bit")),
    }
    for name, (before, _) in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(before, encoding="utf-8")
    notebook = tmp_path / "a" / "notebook.ipynb"
    notebook.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n',
                        encoding="utf-8")
    notebook_bytes = notebook.read_bytes()

    # The Base -> Instruct switch is unsafe: the command that exists for it applies it.
    first = codemod(tmp_path, "-x", BASE_TO_INSTRUCT, "-j", "2", "a", "c", "d", "utils.py")
    assert first.returncode == 0, first.stderr
    for name, (_, after) in files.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == after, name
    assert notebook.read_bytes() == notebook_bytes  # LibCST only gathers *.py files
    assert "Transformed 3 files successfully" in first.stderr
    assert "Skipped 3 files" in first.stderr

    state = snapshot(tmp_path)
    second = codemod(tmp_path, "-x", FIX_ALL, "-j", "2", "a", "c", "d", "utils.py")
    assert second.returncode == 0, second.stderr
    assert "Transformed 0 files successfully" in second.stderr
    assert "unsafe fix not applied" in second.stderr  # c/unsafe_only.py: LOR101 held back
    assert snapshot(tmp_path) == state

    unsafe = codemod(tmp_path, "-x", FIX_ALL, "-j", "2", "--unsafe-fixes", ".")
    assert unsafe.returncode == 0, unsafe.stderr
    assert (tmp_path / "c/unsafe_only.py").read_text(encoding="utf-8") == dedent(EMBEDDING_TARGETS_REMOVED)
    assert "Transformed 1 files successfully" in unsafe.stderr


def test_runner_keeps_encoding_and_line_endings(tmp_path: Path) -> None:
    write_config(tmp_path)
    source = ("# -*- coding: latin-1 -*-\r\n# caf\u00e9\r\n"
              + chat_script("Qwen/Qwen2.5-7B").replace("\n", "\r\n"))
    script = tmp_path / "train.py"
    script.write_bytes(source.encode("latin-1"))
    result = codemod(tmp_path, "-x", BASE_TO_INSTRUCT, "train.py")
    assert result.returncode == 0, result.stderr
    expected = source.replace("Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B-Instruct").encode("latin-1")
    assert script.read_bytes() == expected


def test_runner_rejects_an_unknown_code_before_touching_files(tmp_path: Path) -> None:
    write_config(tmp_path)
    script = tmp_path / "train.py"
    script.write_text(dedent(CHAT_ON_BASE), encoding="utf-8")
    result = codemod(tmp_path, "-x", BASE_TO_INSTRUCT, "--select", "LOR31", "train.py")
    assert result.returncode == 2
    assert "--select LOR31" in result.stderr
    assert script.read_text(encoding="utf-8") == dedent(CHAT_ON_BASE)


def test_noqa_lines_are_not_fixed() -> None:
    marked = chat_script("Qwen/Qwen2.5-7B").replace(
        'torch_dtype="auto")', 'torch_dtype="auto")  # noqa: LOR301')
    assert isinstance(run(FixAllCommand, marked, unsafe_fixes=True), TransformSkip)
    other_code = marked.replace("# noqa: LOR301", "# noqa: LOR101")
    assert isinstance(run(FixAllCommand, other_code, unsafe_fixes=True), TransformSuccess)
    whole_file = "# flake8: noqa\n" + chat_script("Qwen/Qwen2.5-7B")
    assert isinstance(run(BaseToInstructCommand, whole_file), TransformSkip)


def test_runner_without_no_format_runs_the_configured_formatter(tmp_path: Path) -> None:
    # The trap --no-format avoids: LibCST pipes every changed file through the formatter
    # (here one that fails, by default black). The failure leaves the file untouched.
    write_config(tmp_path)
    script = tmp_path / "train.py"
    script.write_text(dedent(CHAT_ON_BASE), encoding="utf-8")
    result = libcst_tool(tmp_path, "codemod", "--hide-progress", "-x", BASE_TO_INSTRUCT, "train.py")
    assert result.returncode == 1
    assert "Failed to codemod 1 files" in result.stderr
    assert script.read_text(encoding="utf-8") == dedent(CHAT_ON_BASE)
