"""Which files ``lora-lint check`` looks at, and which rules run on them.

File discovery: suffixes, default excludes, ``exclude``/``extend-exclude``, ``--force-exclude``,
``.gitignore`` (checked against ``git check-ignore`` when git is available), symlinks.
Selection: prefixes, opt-in rules and ``per-file-ignores``, checked against flake8's own
decisions on the same files where the semantics are shared.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Set

import pytest

from lora_lint_plugin.config.pyproject import ConfigResolver, CommandLine
from lora_lint_plugin.cli.discovery import find_files, parse_gitignore, _gitignored

from .conftest import dedent
from .test_cli import LOR101_SOURCE, check_json, err, lora_lint, write

# One LOR901 (opt-in) and nothing else by default.
LOR901_SOURCE = dedent("""
    from unsloth import FastLanguageModel
    model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct-bnb-4bit")
    model = FastLanguageModel.get_peft_model(
        model, r=16,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        use_gradient_checkpointing=True,
    )
""")


def reported_files(cwd: Path, *args: str) -> Set[str]:
    _, items = check_json(cwd, "--select", "LOR101", *args)
    return {d["filename"] for d in items}


def test_directories_are_walked_for_py_pyi_and_ipynb(tmp_path: Path):
    import json

    write(tmp_path / "a.py", LOR101_SOURCE)
    write(tmp_path / "sub" / "b.pyi", LOR101_SOURCE)
    write(tmp_path / "sub" / "c.txt", LOR101_SOURCE)
    write(tmp_path / "sub" / "script", LOR101_SOURCE)
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": LOR101_SOURCE.splitlines(keepends=True)}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    write(tmp_path / "sub" / "nb.ipynb", json.dumps(notebook))
    assert reported_files(tmp_path, ".") == {"a.py", "sub/b.pyi", "sub/nb.ipynb"}
    assert reported_files(tmp_path, "sub") == {"sub/b.pyi", "sub/nb.ipynb"}
    # a file named explicitly is checked whatever its suffix
    assert reported_files(tmp_path, "sub/script", "./a.py") == {"sub/script", "a.py"}


def test_default_excludes_and_force_exclude(tmp_path: Path):
    for directory in (".venv", "venv", "build", "dist", "node_modules", "__pycache__", ".tox",
                      "lib/site-packages", ".git", ".ipynb_checkpoints"):
        write(tmp_path / directory / "x.py", LOR101_SOURCE)
    write(tmp_path / "src" / "train.py", LOR101_SOURCE)
    assert reported_files(tmp_path, ".") == {"src/train.py"}
    # named explicitly: checked, unless --force-exclude (pre-commit passes every staged file)
    assert reported_files(tmp_path, "build/x.py", "src/train.py") == {"build/x.py", "src/train.py"}
    assert reported_files(tmp_path, "--force-exclude", "build/x.py", "src/train.py") == {"src/train.py"}


def test_exclude_and_extend_exclude_from_config_and_command_line(tmp_path: Path):
    write(tmp_path / "pyproject.toml", dedent("""
        [tool.lora-lint]
        extend-exclude = ["generated_*.py", "legacy/old"]
    """))
    write(tmp_path / "generated_model.py", LOR101_SOURCE)
    write(tmp_path / "legacy" / "old" / "train.py", LOR101_SOURCE)
    write(tmp_path / "legacy" / "new" / "train.py", LOR101_SOURCE)
    write(tmp_path / "build" / "train.py", LOR101_SOURCE)
    write(tmp_path / "train.py", LOR101_SOURCE)
    assert reported_files(tmp_path, ".") == {"legacy/new/train.py", "train.py"}
    # --exclude replaces the defaults and the file's exclude list (extend-exclude still applies)
    assert reported_files(tmp_path, "--exclude", "new", ".") == {"build/train.py", "train.py"}
    assert reported_files(tmp_path, "--extend-exclude", "train.py", ".") == set()
    # patterns with "/" are relative to the project root, also when run from a subdirectory
    assert reported_files(tmp_path / "legacy", ".") == {"new/train.py"}


GITIGNORE = """\
# comment
*.gen.py
!keep.gen.py
/anchored.py
data/
docs/**/draft_*.py
\\#hash.py
"""


def _gitignore_tree(root: Path) -> List[str]:
    write(root / ".gitignore", GITIGNORE)
    names = ["a.gen.py", "keep.gen.py", "anchored.py", "sub/anchored.py", "data/x.py",
             "sub/data/y.py", "docs/draft_1.py", "docs/a/b/draft_2.py", "docs/final.py",
             "#hash.py", "sub/local.py", "sub/kept.py", "plain.py"]
    write(root / "sub" / ".gitignore", "local.py\n")
    for name in names:
        write(root / name, LOR101_SOURCE)
    return names


def test_gitignore_patterns(tmp_path: Path):
    names = _gitignore_tree(tmp_path)
    # worked out from gitignore(5): "**/" may match no directory, "data/" matches at any depth,
    # a leading "/" anchors to the .gitignore's directory, "!" re-includes, "\\#" escapes
    expected = {"keep.gen.py", "sub/anchored.py", "docs/final.py", "sub/kept.py", "plain.py"}
    assert reported_files(tmp_path, ".") == expected
    assert reported_files(tmp_path, "--no-respect-gitignore", ".") == set(names)
    if shutil.which("git"):  # and git itself agrees
        subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
        listed = subprocess.run(["git", "check-ignore", "--no-index", *names], cwd=tmp_path,
                                capture_output=True, text=True)
        assert set(names) - set(listed.stdout.split()) == expected


def test_gitignore_of_the_work_tree_above_the_walked_directory(tmp_path: Path):
    write(tmp_path / ".gitignore", "ignored/\n")
    write(tmp_path / "pkg" / "ignored" / "x.py", LOR101_SOURCE)
    write(tmp_path / "pkg" / "kept" / "x.py", LOR101_SOURCE)
    # outside a git work tree only .gitignore files inside the walked directory count
    assert reported_files(tmp_path / "pkg", ".") == {"ignored/x.py", "kept/x.py"}
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".git" / "info" / "exclude", "kept/\n")
    assert reported_files(tmp_path / "pkg", ".") == set()


def test_gitignore_matcher_unit():
    rules = parse_gitignore("build/\n*.log\n!important.log\n/top.py\na/**/b.py\nfoo\\ \n", "/repo")
    assert _gitignored(rules, "/repo/x/build", True)
    assert not _gitignored(rules, "/repo/x/build", False)
    assert _gitignored(rules, "/repo/deep/x.log", False)
    assert not _gitignored(rules, "/repo/deep/important.log", False)
    assert _gitignored(rules, "/repo/top.py", False) and not _gitignored(rules, "/repo/x/top.py", False)
    assert _gitignored(rules, "/repo/a/b.py", False) and _gitignored(rules, "/repo/a/x/y/b.py", False)
    assert _gitignored(rules, "/repo/foo ", False) and not _gitignored(rules, "/repo/foo", False)
    assert not _gitignored(rules, "/elsewhere/x.log", False)


def test_symlinked_directories_are_not_followed(tmp_path: Path):
    write(tmp_path / "pkg" / "train.py", LOR101_SOURCE)
    os.symlink("..", tmp_path / "pkg" / "loop")
    os.symlink("pkg", tmp_path / "alias")
    write(tmp_path / "real.py", LOR101_SOURCE)
    os.symlink("real.py", tmp_path / "link.py")
    result = lora_lint("check", "--select", "LOR101", "--output-format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1 and err(result) == ""
    import json

    assert {d["filename"] for d in json.loads(result.stdout)} == {"pkg/train.py", "real.py", "link.py"}


def test_duplicates_are_checked_once(tmp_path: Path):
    write(tmp_path / "train.py", LOR101_SOURCE)
    _, items = check_json(tmp_path, "--select", "LOR101", "train.py", ".", "./train.py")
    assert [d["filename"] for d in items] == ["train.py"]


def test_unreadable_directory_is_reported(tmp_path: Path):
    if os.geteuid() == 0:
        pytest.skip("root can read any directory")
    write(tmp_path / "locked" / "train.py", LOR101_SOURCE)
    (tmp_path / "locked").chmod(0)
    try:
        code, items = check_json(tmp_path, ".")
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert code == 1 and [(d["filename"], d["code"]) for d in items] == [("locked", "LOR000")]


# -- selection -----------------------------------------------------------------------------------

SELECTIONS = [
    (),
    ("--select=LOR1",),
    ("--select=LOR",),
    ("--extend-select=LOR9",),
    ("--extend-select=LOR901", "--extend-ignore=LOR9"),
    ("--extend-select=LOR9", "--extend-ignore=LOR901"),
    ("--extend-ignore=LOR101",),
    ("--select=LOR101", "--extend-ignore=LOR"),
    ("--select=LOR", "--extend-ignore=LOR"),
    ("--select=LOR10,LOR90",),
]


@pytest.fixture(scope="module")
def selection_tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("selection")
    write(root / "embedding.py", LOR101_SOURCE)
    write(root / "checkpointing.py", LOR901_SOURCE)
    return root


@pytest.mark.parametrize("args", SELECTIONS, ids=lambda a: " ".join(a) or "defaults")
def test_selection_matches_flake8(selection_tree: Path, args):
    """Same arguments, same LOR findings (flake8 also default-ignores LOR9 through the plugin)."""
    _, items = check_json(selection_tree, *args, "embedding.py", "checkpointing.py")
    ours = {(d["filename"], d["code"]) for d in items}
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--isolated", *args,
                             "embedding.py", "checkpointing.py"],
                            cwd=selection_tree, capture_output=True, text=True, timeout=300)
    assert flake8.returncode in (0, 1), flake8.stderr
    theirs = {(line.split(":")[0], line.split(": ", 1)[1].split()[0]) for line in flake8.stdout.splitlines()}
    assert ours == {item for item in theirs if item[1].startswith("LOR")}


def test_opt_in_rules_need_an_explicit_selection(selection_tree: Path):
    """LOR9xx: off by default, on with a matching select, and a bare ignore does not switch it on."""
    def codes(*args: str) -> Set[str]:
        return {d["code"] for d in check_json(selection_tree, *args, "checkpointing.py")[1]}

    assert "LOR901" not in codes()
    assert "LOR901" not in codes("--ignore", "LOR101")
    assert "LOR901" in codes("--extend-select", "LOR9")


def test_per_file_ignores(tmp_path: Path):
    write(tmp_path / "pyproject.toml", dedent("""
        [tool.lora-lint]
        extend-select = ["LOR9"]
        [tool.lora-lint.per-file-ignores]
        "experiments/*.py" = ["LOR1"]
        "test_*.py" = ["LOR101", "LOR901"]
    """))
    for name in ("experiments/a.py", "experiments/deep/b.py", "test_x.py", "sub/test_y.py", "main.py"):
        write(tmp_path / name, LOR101_SOURCE + LOR901_SOURCE)
    _, items = check_json(tmp_path, ".")
    found = {(d["filename"], d["code"]) for d in items if d["code"] in ("LOR101", "LOR901")}
    assert found == {
        ("experiments/a.py", "LOR901"),
        ("experiments/deep/b.py", "LOR101"), ("experiments/deep/b.py", "LOR901"),
        ("main.py", "LOR101"), ("main.py", "LOR901"),
    }


def test_find_files_api_returns_configs(tmp_path: Path):
    write(tmp_path / "a" / "pyproject.toml", "[tool.lora-lint]\nlong-context = 1000\n")
    write(tmp_path / "a" / "x.py", "")
    write(tmp_path / "b" / "y.py", "")
    found = find_files([str(tmp_path)], ConfigResolver(command_line=CommandLine()))
    by_name = {Path(f.path).name: f.config for f in found}
    assert by_name["x.py"].settings.long_context == 1000
    assert by_name["y.py"].settings.long_context != 1000
