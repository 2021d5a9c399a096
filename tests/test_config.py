"""``[tool.lora-lint]``: discovery, ``--config``, ``--isolated``, bad files, and flake8 mode.

The setting used to observe configuration is ``long-context``: LOR401 reports a sequence
length at or above it with gradient checkpointing off (the source below uses 16,384 tokens),
so a threshold above 16,384 silences it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from lora_lint_plugin.config.pyproject import (
    ConfigError,
    ConfigResolver,
    add_config_arguments,
    flake8_settings,
    load_config_file,
    resolve_config,
)

from .conftest import dedent
from .test_cli import check_json, err, lora_lint, out, write

SEQUENCE_LENGTH = 16384
LONG_CONTEXT_SOURCE = dedent(f"""
    from unsloth import FastLanguageModel
    model, tokenizer = FastLanguageModel.from_pretrained(
        "unsloth/llama-3-8b-Instruct-bnb-4bit", max_seq_length={SEQUENCE_LENGTH})
    model = FastLanguageModel.get_peft_model(
        model, r=16,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        use_gradient_checkpointing=False,
    )
""")
SILENCING = SEQUENCE_LENGTH * 2


def lor401_files(cwd: Path, *args: str) -> List[str]:
    _, items = check_json(cwd, "--select", "LOR401", *args)
    return sorted(d["filename"] for d in items)


def table(**values: object) -> str:
    lines = ["[tool.lora-lint]"]
    for key, value in values.items():
        rendered = f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else value
        lines.append(f"{key.replace('_', '-')} = {rendered}")
    return "\n".join(lines) + "\n"


def test_the_premise_lor401_fires_by_default(tmp_path: Path):
    write(tmp_path / "train.py", LONG_CONTEXT_SOURCE)
    assert lor401_files(tmp_path, "train.py") == ["train.py"]


def test_nearest_pyproject_with_the_table_wins(tmp_path: Path):
    write(tmp_path / "pyproject.toml", table(long_context=SILENCING))
    write(tmp_path / "silenced" / "train.py", LONG_CONTEXT_SOURCE)
    # a pyproject.toml without the table does not stop the search
    write(tmp_path / "silenced" / "pyproject.toml", "[project]\nname = 'x'\n")
    write(tmp_path / "loud" / "pyproject.toml", table(long_context=SEQUENCE_LENGTH))
    write(tmp_path / "loud" / "train.py", LONG_CONTEXT_SOURCE)
    assert lor401_files(tmp_path, ".") == ["loud/train.py"]
    # discovery starts at each file, not at the working directory
    assert lor401_files(tmp_path / "loud", "../silenced/train.py", "train.py") == ["train.py"]


def test_config_and_isolated_and_command_line_precedence(tmp_path: Path):
    write(tmp_path / "pyproject.toml", table(long_context=SILENCING))
    write(tmp_path / "train.py", LONG_CONTEXT_SOURCE)
    write(tmp_path / "other.toml", table(long_context=SEQUENCE_LENGTH))
    write(tmp_path / "plain.toml", f"long-context = {SEQUENCE_LENGTH}\n")
    assert lor401_files(tmp_path, "train.py") == []
    assert lor401_files(tmp_path, "--isolated", "train.py") == ["train.py"]
    assert lor401_files(tmp_path, "--config", "other.toml", "train.py") == ["train.py"]
    assert lor401_files(tmp_path, "--config", "plain.toml", "train.py") == ["train.py"]
    assert lor401_files(tmp_path, "--long-context", str(SEQUENCE_LENGTH), "train.py") == ["train.py"]
    assert lor401_files(tmp_path, "--isolated", "--long-context", str(SILENCING), "train.py") == []


def test_selection_keys_in_the_table(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[tool.lora-lint]\nextend-ignore = ["LOR4"]\n')
    write(tmp_path / "train.py", LONG_CONTEXT_SOURCE)
    # an explicit --select of the full code is longer than the ignored prefix: it wins (flake8)
    assert lor401_files(tmp_path, "train.py") == ["train.py"]
    _, items = check_json(tmp_path, "train.py")
    assert "LOR401" not in {d["code"] for d in items}
    _, items = check_json(tmp_path, "--isolated", "train.py")
    assert "LOR401" in {d["code"] for d in items}


BAD_CONFIGS = [
    ("[tool.lora-lint]\nlong_context = 5\n", "unknown key 'long_context'", "did you mean 'long-context'"),
    ("[tool.lora-lint]\nlong-context = -1\n", "'long-context'", "positive"),
    ("[tool.lora-lint]\nlong-context = true\n", "'long-context'", "positive"),
    ('[tool.lora-lint]\ngpu-memory = "lots"\n', "'gpu-memory'", "not a memory size"),
    ('[tool.lora-lint]\nselect = "LOR1"\n', "'select'", "list of strings"),
    ('[tool.lora-lint]\nextend-ignore = ["LOR1001"]\n', "invalid rule selector 'LOR1001'", "extend-ignore"),
    ('[tool.lora-lint]\nper-file-ignores = ["x"]\n', "'per-file-ignores'", "table"),
    ('[tool.lora-lint]\nper-file-ignores = {"a.py" = "LOR1"}\n', "'a.py'", "list of codes"),
    ('[tool.lora-lint]\nrespect-gitignore = "no"\n', "'respect-gitignore'", "true or false"),
    ("[tool.lora-lint\nselect = []\n", "invalid TOML", "pyproject.toml"),
    ("[tool]\nlora-lint = 3\n", "[tool.lora-lint]", "not a table"),
]


@pytest.mark.parametrize("text, first, second", BAD_CONFIGS)
def test_bad_configuration_is_a_one_line_error(tmp_path: Path, text: str, first: str, second: str):
    write(tmp_path / "pyproject.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_config_file(str(tmp_path / "pyproject.toml"))
    message = str(caught.value)
    assert first in message and second in message and "\n" not in message


def test_bad_configuration_exits_2_from_the_command_line(tmp_path: Path):
    write(tmp_path / "pyproject.toml", "[tool.lora-lint]\nlong_context = 5\n")
    write(tmp_path / "train.py", LONG_CONTEXT_SOURCE)
    result = lora_lint("check", "train.py", cwd=tmp_path)
    assert result.returncode == 2 and out(result) == ""
    assert err(result).count("\n") == 1 and "unknown key 'long_context'" in err(result)
    assert lora_lint("check", "--isolated", "train.py", cwd=tmp_path).returncode == 1
    assert lora_lint("fix", "train.py", cwd=tmp_path).returncode == 2
    write(tmp_path / "pyproject.toml", "[project\n")
    assert lora_lint("check", "train.py", cwd=tmp_path).returncode == 2
    write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    missing = lora_lint("check", "--config", "pyproject.toml", "train.py", cwd=tmp_path)
    assert missing.returncode == 2 and "has no [tool.lora-lint] table" in err(missing)


# -- the Python API (used by estimate_command) ---------------------------------------------------

def test_resolve_config_api(tmp_path: Path, monkeypatch):
    write(tmp_path / "pyproject.toml", table(long_context=SILENCING, gpu_memory="24GiB"))
    write(tmp_path / "pkg" / "train.py", "")
    parser = argparse.ArgumentParser()
    add_config_arguments(parser)
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args([str(tmp_path / "pkg" / "train.py")])
    config = resolve_config(args, args.paths)
    assert config.settings.long_context == SILENCING
    assert config.settings.gpu_memory == 24 * 2**30
    assert config.path == str(tmp_path / "pyproject.toml")
    args = parser.parse_args(["--gpu-memory", "80GB", str(tmp_path / "pkg" / "train.py")])
    assert resolve_config(args, args.paths).settings.gpu_memory == 80 * 10**9
    args = parser.parse_args(["--isolated", str(tmp_path / "pkg" / "train.py")])
    assert resolve_config(args, args.paths).path is None
    monkeypatch.chdir(tmp_path / "pkg")
    assert resolve_config(parser.parse_args([]), []).settings.long_context == SILENCING


def test_discovery_reads_each_file_once(tmp_path: Path, monkeypatch):
    import lora_lint_plugin.config.pyproject as config_module

    write(tmp_path / "pyproject.toml", table(long_context=SILENCING))
    for name in ("a", "b", "a/c"):
        (tmp_path / name).mkdir(parents=True, exist_ok=True)
    calls = []
    real = config_module.load_config_file
    monkeypatch.setattr(config_module, "load_config_file",
                        lambda path, **kw: calls.append(path) or real(path, **kw))
    resolver = ConfigResolver(argparse.Namespace())
    configs = [resolver.for_directory(str(tmp_path / name)) for name in ("a", "b", "a/c", "a")]
    assert {c.settings.long_context for c in configs} == {SILENCING}
    assert calls == [str(tmp_path / "pyproject.toml")]


# -- flake8 mode ---------------------------------------------------------------------------------

def run_flake8(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "flake8", "--select=LOR", *args], cwd=cwd,
                            capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_flake8_reads_the_rule_settings_of_the_table(tmp_path: Path):
    write(tmp_path / "pyproject.toml", table(long_context=SILENCING))
    write(tmp_path / "train.py", LONG_CONTEXT_SOURCE)
    assert "LOR401" not in run_flake8(tmp_path, "train.py").stdout
    assert "LOR401" in run_flake8(tmp_path, "--isolated", "train.py").stdout
    # flake8's own option wins over the table
    assert "LOR401" in run_flake8(tmp_path, f"--lora-lint-long-context={SEQUENCE_LENGTH}", "train.py").stdout
    write(tmp_path / "setup.cfg", f"[flake8]\nlora-lint-long-context = {SEQUENCE_LENGTH}\n")
    assert "LOR401" in run_flake8(tmp_path, "train.py").stdout


def test_flake8_turns_a_broken_table_into_one_lor000(tmp_path: Path):
    write(tmp_path / "pyproject.toml", "[tool.lora-lint]\ngpu-memory = 'lots'\n")
    write(tmp_path / "train.py", LONG_CONTEXT_SOURCE)
    write(tmp_path / "unrelated.py", "import os\n")
    result = run_flake8(tmp_path, "train.py", "unrelated.py")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("train.py:1:1: LOR000 lora-lint configuration error")


def test_flake8_ignores_a_pyproject_that_does_not_mention_lora_lint(tmp_path: Path):
    """flake8 mode does not parse such a file (most projects' pyproject.toml): its TOML errors
    are not lora-lint's to report there, while `lora-lint check` still reports them."""
    write(tmp_path / "pyproject.toml", "[project\nname = 'x'\n")
    write(tmp_path / "train.py", LONG_CONTEXT_SOURCE)
    result = run_flake8(tmp_path, "train.py")
    assert "LOR401" in result.stdout and "LOR000" not in result.stdout
    assert lora_lint("check", "train.py", cwd=tmp_path).returncode == 2
    write(tmp_path / "pyproject.toml", "[project\nname = 'x'\n[tool.lora-lint]\n")
    assert "LOR000 lora-lint configuration error" in run_flake8(tmp_path, "train.py").stdout


def test_flake8_skips_a_pyproject_naming_lora_lint_only_outside_the_tool_table(tmp_path: Path):
    """Listing the plugin as a dependency or its script does not make flake8 mode parse the
    file on every save; any spelling that may define the table (a ``[tool]`` table, a dotted
    or quoted key) still does."""
    write(tmp_path / "train.py", LONG_CONTEXT_SOURCE)
    write(tmp_path / "pyproject.toml", "[project\ndependencies = ['lora-lint-plugin']\n"
                                       "[project.scripts]\nlora-lint = 'lora_lint_plugin.cli.main:main'\n")
    result = run_flake8(tmp_path, "train.py")
    assert "LOR401" in result.stdout and "LOR000" not in result.stdout  # not parsed: no TOML error
    for spelling in (f"[tool]\nlora-lint = {{long-context = {SILENCING}}}\n",
                     f"tool.lora-lint.long-context = {SILENCING}\n",
                     f"[ tool . \"lora-lint\" ]\nlong-context = {SILENCING}\n"):
        write(tmp_path / "pyproject.toml", "[project]\ndependencies = ['lora-lint-plugin']\n" + spelling
                                           if spelling.startswith("[") else spelling)
        assert "LOR401" not in run_flake8(tmp_path, "train.py").stdout, spelling


def test_flake8_settings_function(tmp_path: Path):
    write(tmp_path / "pyproject.toml", table(long_context=SILENCING, gpu_memory="24GiB"))
    filename = str(write(tmp_path / "x" / "train.py", ""))
    settings = flake8_settings(filename, argparse.Namespace(isolated=False, lora_lint_long_context=None,
                                                            lora_lint_gpu_memory=None))
    assert (settings.long_context, settings.gpu_memory) == (SILENCING, 24 * 2**30)
    settings = flake8_settings(filename, argparse.Namespace(isolated=False, lora_lint_long_context="1000",
                                                            lora_lint_gpu_memory="1GB"))
    assert (settings.long_context, settings.gpu_memory) == (1000, 10**9)
    settings = flake8_settings(filename, argparse.Namespace(isolated=True))
    assert settings.long_context != SILENCING and settings.gpu_memory is None
