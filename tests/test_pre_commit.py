"""The pre-commit hooks of ``.pre-commit-hooks.yaml``, run for real with ``pre-commit try-repo``.

A consumer git repository in tmp_path holds a bad training script and a notebook; pre-commit
installs this repository as the hook repo (``pip install`` of the package into its own
environment, so PyPI must be reachable) and runs the hooks on them.

The hook repo is a committed copy of this working tree (tracked and untracked, not ignored
files): ``try-repo`` on the checkout itself would pick up uncommitted edits of tracked files
(``git add -u``) but not new ones, so the copy makes the test check exactly what is on disk.
``try-repo`` installs the hook environment afresh on every call (~20 s); the other tests use
``pre-commit run`` with the equivalent config and a shared ``PRE_COMMIT_HOME`` in a temporary
directory, so they install it once more in total.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from .conftest import REPO_ROOT, dedent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None,
                       reason="pre-commit is not installed (it is in the [test] extra)"),
    pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git"),
]

TIMEOUT = 900  # the first run builds the hook environment with pip

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "lora-lint tests", "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "lora-lint tests", "GIT_COMMITTER_EMAIL": "tests@example.invalid",
}

# A miscased bias (LOR203, safe fix), a base checkpoint trained on chat data (LOR301, unsafe
# fix: it switches the checkpoint) and an embedding in target_modules (LOR101, unsafe fix):
# the fix hook must apply only the first.
BAD_SCRIPT = """
from transformers import AutoModelForCausalLM
from peft import LoraConfig, get_peft_model

model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B")
model = get_peft_model(model, LoraConfig(r=16, target_modules=["q_proj", "embed_tokens"], bias="None"))
texts = [tokenizer.apply_chat_template(m, tokenize=False) for m in dataset["messages"]]
"""
SAFELY_FIXED = ('bias="None"', 'bias="none"')

# Only a safely fixable finding, so the fix hook's second run has nothing left to report.
FIXABLE_SCRIPT = BAD_SCRIPT.replace('["q_proj", "embed_tokens"]', '"all-linear"').replace(
    '"Qwen/Qwen2.5-7B"', '"Qwen/Qwen2.5-7B-Instruct"')

CLEAN_SCRIPT = """
import json
print(json.dumps({"ok": True}))
"""


def notebook(*cells: str) -> str:
    """An nbformat-4 notebook (as Jupyter writes it: one-space indent, sources as line lists)."""
    code_cells = [{
        "cell_type": "code", "execution_count": None, "id": f"cell-{index}", "metadata": {},
        "outputs": [], "source": dedent(cell).splitlines(keepends=True),
    } for index, cell in enumerate(cells)]
    document = {
        "cells": code_cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                    "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1) + "\n"


LOAD_CELL = """
from transformers import AutoModelForCausalLM
from peft import LoraConfig, get_peft_model
model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B")
"""
BAD_CELL = """
model = get_peft_model(model, LoraConfig(r=16, target_modules=["q_proj", "lm_head"]))
texts = [tokenizer.apply_chat_template(m, tokenize=False) for m in dataset["messages"]]
"""
FIXABLE_LOAD_CELL = LOAD_CELL.replace('"Qwen/Qwen2.5-7B"', '"Qwen/Qwen2.5-7B-Instruct"')
FIXABLE_CELL = BAD_CELL.replace('["q_proj", "lm_head"]', '"all-linear", bias="None"')


def git(cwd: Path, *args: str, env: Dict[str, str]) -> None:
    subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", *args],
                   cwd=cwd, env=env, check=True, capture_output=True, timeout=120)


def working_tree_files(root: Path) -> List[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root, capture_output=True, check=True, timeout=120).stdout.decode()
    return [Path(name) for name in listed.split("\0") if name and (root / name).is_file()]


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, str]:
    env = dict(os.environ, **GIT_IDENTITY)
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    env.pop("PRE_COMMIT_CONFIG", None)
    env.pop("SKIP", None)  # pre-commit skips the hook ids listed there
    for variable in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):  # set inside git hooks
        env.pop(variable, None)
    return env


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, environment: Dict[str, str]) -> Path:
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("needs a git checkout of lora-lint to copy as the hook repo")
    repo = tmp_path_factory.mktemp("hook-repo")
    for relative in working_tree_files(REPO_ROOT):
        target = repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / relative, target)
    assert (repo / ".pre-commit-hooks.yaml").is_file()
    git(repo, "init", "-q", env=environment)
    git(repo, "add", "-A", env=environment)
    git(repo, "commit", "-q", "-m", "hook repo under test", env=environment)
    return repo


def consumer(root: Path, files: Dict[str, str], env: Dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    git(root, "init", "-q", env=env)
    git(root, "add", "-A", env=env)  # --all-files runs on what git knows
    return root


def pre_commit(cwd: Path, env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", *args, "--all-files", "--color", "never",
         "--verbose"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result


def hook_section(output: str, name: str) -> str:
    """The lines pre-commit printed for one hook: from its status line to the next hook's."""
    lines = output.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("lora-lint (")]
    for position, start in enumerate(starts):
        if lines[start].startswith(name):
            end = starts[position + 1] if position + 1 < len(starts) else len(lines)
            return "\n".join(lines[start:end])
    raise AssertionError(f"pre-commit did not run {name!r}:\n{output}")


@pytest.fixture(scope="module")
def configured_consumer(tmp_path_factory: pytest.TempPathFactory, hook_repo: Path,
                        environment: Dict[str, str]):
    """A writer of consumer repos whose ``.pre-commit-config.yaml`` uses the hook repo.

    ``try-repo`` builds the hook environment again on every call (its store is a fresh
    temporary directory), so the repeated runs use ``pre-commit run`` with the same config
    ``try-repo`` synthesises and the shared ``PRE_COMMIT_HOME``: one install for all of them.
    """
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True,
                          text=True, check=True, timeout=60).stdout.strip()
    config = (f"repos:\n- repo: {hook_repo.as_posix()}\n  rev: {head}\n"
              "  hooks:\n  - id: lora-lint\n  - id: lora-lint-fix\n")

    def make(files: Dict[str, str]) -> Path:
        root = tmp_path_factory.mktemp("consumer")
        return consumer(root, {".pre-commit-config.yaml": config, **files}, environment)
    return make


def test_try_repo_check_and_fix_hooks(tmp_path: Path, hook_repo: Path,
                                      environment: Dict[str, str]) -> None:
    """``pre-commit try-repo HOOK_REPO --all-files``: both hooks, as a user would try them."""
    files = {
        "train.py": dedent(BAD_SCRIPT),
        "clean.py": dedent(CLEAN_SCRIPT),
        "finetune.ipynb": notebook(LOAD_CELL, BAD_CELL),
    }
    repo = consumer(tmp_path, files, environment)
    result = pre_commit(repo, environment, "try-repo", str(hook_repo))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output

    check = hook_section(result.stdout, "lora-lint (check)")
    assert "Failed" in check.splitlines()[0], output
    reported = [line for line in check.splitlines() if "LOR" in line]
    assert any(line.startswith("train.py:4:") and "LOR301" in line for line in reported), output
    assert any(line.startswith("train.py:5:") and "LOR101" in line for line in reported), output
    assert any(line.startswith("finetune.ipynb:") and "LOR101" in line for line in reported), output
    assert not any("clean.py" in line for line in reported), output

    fix = hook_section(result.stdout, "lora-lint (fix)")
    assert "files were modified by this hook" in fix, output
    # the safe LOR203 fix was applied, the unsafe LOR301 and LOR101 fixes were not
    assert (tmp_path / "train.py").read_text(encoding="utf-8") == dedent(BAD_SCRIPT).replace(
        *SAFELY_FIXED)
    assert (tmp_path / "clean.py").read_text(encoding="utf-8") == files["clean.py"]


def test_fix_hook_modifies_then_passes(configured_consumer,
                                       environment: Dict[str, str]) -> None:
    files = {
        "train.py": dedent(FIXABLE_SCRIPT),
        "finetune.ipynb": notebook(FIXABLE_LOAD_CELL, FIXABLE_CELL),
    }
    repo = configured_consumer(files)
    first = pre_commit(repo, environment, "run", "lora-lint-fix")
    output = first.stdout + first.stderr
    assert first.returncode == 1, output
    assert "files were modified by this hook" in output
    script = (repo / "train.py").read_text(encoding="utf-8")
    assert script == dedent(FIXABLE_SCRIPT).replace(*SAFELY_FIXED)
    fixed_notebook = json.loads((repo / "finetune.ipynb").read_text(encoding="utf-8"))
    assert "".join(fixed_notebook["cells"][0]["source"]) == dedent(FIXABLE_LOAD_CELL)
    assert "".join(fixed_notebook["cells"][1]["source"]) == dedent(FIXABLE_CELL).replace(*SAFELY_FIXED)

    second = pre_commit(repo, environment, "run", "lora-lint-fix")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Passed" in second.stdout
    check = pre_commit(repo, environment, "run", "lora-lint")
    assert check.returncode == 0, check.stdout + check.stderr


def test_stub_files_are_passed_to_the_hook(configured_consumer,
                                           environment: Dict[str, str]) -> None:
    # identify tags .pyi as "pyi", not "python": types_or must list it for stubs to be checked.
    repo = configured_consumer({"train.pyi": dedent(BAD_SCRIPT)})
    result = pre_commit(repo, environment, "run", "lora-lint")
    output = result.stdout + result.stderr
    assert "(no files to check)" not in output, output
    assert "train.pyi" in output, output


def test_yaml_trainer_configs_are_checked_and_other_yaml_passes(configured_consumer,
                                                                environment: Dict[str, str]) -> None:
    # identify tags .yml/.yaml as "yaml": the hook sees every YAML file, and only the one
    # whose keys identify a trainer config is reported.
    axolotl = ("base_model: NousResearch/Meta-Llama-3-8B\nadapter: lora\nlora_r: 16\n"
               "lora_alpha: 32\nlora_target_linear: true\nlora_modules_to_save:\n"
               "  - embed_tokens\nlearning_rate: 0.0002\n")
    workflow = "name: CI\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
    repo = configured_consumer({"axolotl.yml": axolotl, "ci-workflow.yml": workflow})
    result = pre_commit(repo, environment, "run", "lora-lint")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "axolotl.yml:7:5: LOR102" in output, output
    assert "ci-workflow.yml" not in output, output
