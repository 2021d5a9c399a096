"""The check path's modules run from the bundle of their bytecode exactly as imported: the same
modules (their attributes, the names they define), the same reports; a changed, damaged,
moved or foreign bundle is never used, and none is written where Python writes no bytecode.
Each run is a fresh interpreter on a copy of the package, as an editor's flake8 per save is."""

from __future__ import annotations

import importlib.util
import json
import marshal
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from lora_lint_plugin import bytecode, check_path

PACKAGE = Path(__file__).resolve().parent.parent / "lora_lint_plugin"
SCRIPT = Path(__file__).resolve().parent / "data" / "scripts" / "unsloth_alpaca_notebook.py"

# One plugin run on SCRIPT: which check-path modules the import system was asked for, the
# reports, each check-path module's attributes and the names it defines.
_RUN = """
import ast, json, sys
asked = []
class Spy:  # first on the meta path: records what the import system looks for, finds nothing
    @staticmethod
    def find_spec(name, path=None, target=None):
        asked.append(name)
sys.meta_path.insert(0, Spy)
from lora_lint_plugin.flake8_plugin import LoraLintPlugin
from lora_lint_plugin.bytecode import CHECK_PATH
source = open(sys.argv[1], encoding="utf-8").read()
reports = [list(report[:3]) for report in LoraLintPlugin(ast.parse(source), source.splitlines(True), sys.argv[1]).run()]
def shape(name):
    module = sys.modules["lora_lint_plugin." + name]
    spec = module.__spec__
    return [sorted(key for key in vars(module) if key != "__builtins__"), module.__file__, module.__cached__,
            module.__package__, getattr(module, "__path__", None), spec.name, spec.origin, spec.cached,
            spec.parent, spec.has_location, spec.submodule_search_locations, type(spec.loader).__name__,
            spec.loader.name, spec.loader.path, module.__loader__ is spec.loader,
            sorted(type(value).__name__ for value in vars(module).values()),
            getattr(sys.modules[("lora_lint_plugin." + name).rpartition(".")[0]], name.rpartition(".")[2]) is module]
engine = sys.modules["lora_lint_plugin.analysis.engine"]
print(json.dumps({"asked": sorted({"lora_lint_plugin." + name for name in CHECK_PATH} & set(asked)),
                  "reports": reports, "modules": {name: shape(name) for name in CHECK_PATH},
                  "marker": getattr(engine, "MARKER", None),
                  "engine_file": engine.analyse_source.__code__.co_filename}))
"""

# imported before the plugin's first file passes the text prefilter: never from the bundle
_BEFORE = {"lora_lint_plugin." + name for name in
           ("config", "config.options", "analysis", "analysis.text_prefilter")}
_ALL = {"lora_lint_plugin." + name for name in bytecode.CHECK_PATH}


def _tree(root: Path) -> Path:
    shutil.copytree(PACKAGE, root / "lora_lint_plugin", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _run(tree: Path, cache: Optional[Path], *, write_bytecode: bool = True) -> Dict[str, Any]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONPATH")}
    env["PYTHONPATH"] = str(tree)
    if cache is not None:
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    if not write_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    result = subprocess.run([sys.executable, "-c", _RUN, str(SCRIPT)], capture_output=True, text=True,
                            env=env, cwd=tree, check=True)
    return json.loads(result.stdout)


def _bundles(folder: Path) -> list:
    return sorted(folder.rglob("check-path.*.bundle"))


def _normalised(run: Dict[str, Any], tree: Path) -> str:
    return json.dumps({key: run[key] for key in ("reports", "modules")}).replace(str(tree), "TREE")


def test_the_check_path_list_is_current():
    written = check_path.written_list(check_path.LIST_FILE.read_text(encoding="utf-8"))
    assert written == check_path.list_source(check_path.computed_check_path()), \
        "stale: run `python -m lora_lint_plugin.check_path`"
    assert "analysis.engine" in bytecode.CHECK_PATH and "bytecode" not in bytecode.CHECK_PATH
    # a package's modules may run before its body; every module's package is on the path
    for name in bytecode.CHECK_PATH:
        package = name.rpartition(".")[0]
        assert not package or package in bytecode.CHECK_PATH


def test_a_second_process_runs_the_check_path_from_the_bundle_as_imported(tmp_path):
    tree, cache = _tree(tmp_path / "tree"), tmp_path / "cache"
    imported = _run(tree, cache, write_bytecode=False)   # the import system only: no bundle
    assert _bundles(cache) == [] and set(imported["asked"]) == _ALL
    assert imported["reports"], "the script reports something to compare"
    first = _run(tree, cache)   # imports, then writes the bundle beside the bytecode
    bundle, = _bundles(cache)
    assert (bundle.parent / f"__init__.{sys.implementation.cache_tag}.pyc").is_file()   # the package's
    assert set(first["asked"]) == _ALL
    second = _run(tree, cache)   # from the bundle: the import system is asked for none of them
    assert set(second["asked"]) == _BEFORE
    assert second["modules"] == imported["modules"] == first["modules"]
    assert second["reports"] == imported["reports"] == first["reports"]
    assert second["engine_file"] == str(tree / "lora_lint_plugin" / "analysis" / "engine.py")


def test_a_changed_module_is_imported_never_run_stale(tmp_path):
    tree, cache = _tree(tmp_path / "tree"), tmp_path / "cache"
    _run(tree, cache)
    assert set(_run(tree, cache)["asked"]) == _BEFORE
    engine = tree / "lora_lint_plugin" / "analysis" / "engine.py"
    engine.write_text(engine.read_text(encoding="utf-8") + "\nMARKER = 1\n", encoding="utf-8")
    status = engine.stat()
    os.utime(engine, (status.st_atime, status.st_mtime + 10))
    changed = _run(tree, cache)   # the bundle is stale for one module: none is run from it
    assert changed["marker"] == 1 and set(changed["asked"]) == _ALL
    again = _run(tree, cache)     # written again, with the change
    assert again["marker"] == 1 and set(again["asked"]) == _BEFORE


@pytest.mark.parametrize("damage", ["garbage", "truncated", "another_python", "another_list"])
def test_a_damaged_or_foreign_bundle_is_not_used_and_is_written_again(tmp_path, damage):
    tree, cache = _tree(tmp_path / "tree"), tmp_path / "cache"
    expected = _run(tree, cache)
    bundle, = _bundles(cache)
    data = bundle.read_bytes()
    form = b"lora-lint check path 1\n"
    head = form + importlib.util.MAGIC_NUMBER
    assert data.startswith(head)
    entries = marshal.loads(data[len(head):])
    bundle.write_bytes({
        "garbage": b"\0" * 64,
        "truncated": data[:len(data) // 2],
        "another_python": form + b"\x00\x00\r\n" + data[len(head):],
        "another_list": head + marshal.dumps(entries[:-1]),   # written by another version
    }[damage])
    run = _run(tree, cache)
    assert set(run["asked"]) == _ALL and run["reports"] == expected["reports"]
    assert set(_run(tree, cache)["asked"]) == _BEFORE


def test_no_bundle_where_python_writes_no_bytecode(tmp_path):
    tree = _tree(tmp_path / "tree")
    run = _run(tree, None, write_bytecode=False)
    assert set(run["asked"]) == _ALL and _bundles(tree) == []


def test_a_moved_tree_runs_its_own_files(tmp_path):
    # without a cache prefix the bytecode and the bundle move with the tree
    first = _tree(tmp_path / "first")
    expected = _run(first, None)
    assert len(_bundles(first)) == 1 and set(_run(first, None)["asked"]) == _BEFORE
    shutil.copytree(first, tmp_path / "second", copy_function=shutil.copy2)
    shutil.rmtree(first)
    second = tmp_path / "second"
    moved = _run(second, None)    # compiled for the old place: not run from the bundle
    assert set(moved["asked"]) == _ALL
    assert moved["engine_file"] == str(second / "lora_lint_plugin" / "analysis" / "engine.py")
    settled = _run(second, None)  # written again for the new place (from the sources)
    assert set(settled["asked"]) == _BEFORE
    assert settled["engine_file"] == moved["engine_file"]
    assert _normalised(settled, second) == _normalised(expected, first)
