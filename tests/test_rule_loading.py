"""A rule module is run from its cached bytecode when that is valid for its source, else by the
source loader (which compiles and writes the cache): a changed rule is never run stale, a
moved tree's code names its new files, and every way gives the same rule."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "lora_lint_plugin"
RULE_FILE = "lor204_nonpositive_alpha.py"
SUMMARY = "lora_alpha <= 0: the adapter has no effect"

# The loaded rule's summary, where its code says it is from and the cache its module names.
_SHOW_RULE = """
import sys
from lora_lint_plugin.rules import active_rules
rule, = active_rules(lambda code: code == "LOR204")
module = sys.modules[type(rule).__module__]
print(rule.summary)
print(type(rule).check.__code__.co_filename)
print(module.__spec__.cached == module.__cached__, module.__cached__ is not None)
print(module.__file__ == module.__spec__.origin, module.__package__, type(module.__loader__).__name__,
      module.__spec__.loader is module.__loader__, module.__spec__.name == module.__name__)
"""

# The module's attributes, as the import system sets them, whichever way it was run.
_ATTRIBUTES = "True lora_lint_plugin.rules SourceFileLoader True True"


def _copy_package(root: Path) -> Path:
    shutil.copytree(PACKAGE, root / "lora_lint_plugin", ignore=shutil.ignore_patterns("__pycache__"))
    return root / "lora_lint_plugin" / "rules" / RULE_FILE


def _show_rule(root: Path, cache_prefix: Path = None) -> list:
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    env["PYTHONPATH"] = str(root)
    if cache_prefix is not None:
        env["PYTHONPYCACHEPREFIX"] = str(cache_prefix)
    result = subprocess.run([sys.executable, "-c", _SHOW_RULE], capture_output=True, text=True,
                            env=env, cwd=root, check=True)
    return result.stdout.splitlines()


def test_a_rule_runs_from_a_fresh_cache_and_from_its_changed_source(tmp_path):
    rule_file = _copy_package(tmp_path / "tree")
    cache = tmp_path / "cache"
    expected = [SUMMARY, str(rule_file), "True True", _ATTRIBUTES]
    assert _show_rule(tmp_path / "tree", cache) == expected   # compiled: the cache written
    written = list(cache.rglob("lor204_nonpositive_alpha.*.pyc"))
    assert len(written) == 1
    assert _show_rule(tmp_path / "tree", cache) == expected   # from the cache
    # a changed rule (another size and time) is run from its source, never from the old cache
    text = rule_file.read_text(encoding="utf-8")
    rule_file.write_text(text.replace(SUMMARY, "changed summary"), encoding="utf-8")
    stat = rule_file.stat()
    os.utime(rule_file, (stat.st_atime, stat.st_mtime + 10))
    assert _show_rule(tmp_path / "tree", cache)[0] == "changed summary"
    assert _show_rule(tmp_path / "tree", cache)[0] == "changed summary"


def test_a_moved_tree_names_its_new_files(tmp_path):
    # without a cache prefix the bytecode moves with the tree, compiled for the old path
    _copy_package(tmp_path / "first")
    assert _show_rule(tmp_path / "first")[1] == str(tmp_path / "first" / "lora_lint_plugin" / "rules" / RULE_FILE)
    shutil.copytree(tmp_path / "first", tmp_path / "second", copy_function=shutil.copy2)
    shutil.rmtree(tmp_path / "first")
    moved = _show_rule(tmp_path / "second")
    assert moved == [SUMMARY, str(tmp_path / "second" / "lora_lint_plugin" / "rules" / RULE_FILE), "True True",
                     _ATTRIBUTES]
