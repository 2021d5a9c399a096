"""The package's shape: rule modules are self-contained (they share helpers, never each other)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import List

RULES = Path(__file__).resolve().parent.parent / "lora_lint_plugin" / "rules"


def _imported_modules(path: Path) -> List[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            found.append(module)
            if not module:  # ``from . import lor101_...``
                found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def test_rule_modules_never_import_each_other() -> None:
    rule_modules = sorted(RULES.glob("lor[0-9][0-9][0-9]_*.py"))
    assert len(rule_modules) >= 30
    offenders = []
    for path in rule_modules:
        for module in _imported_modules(path):
            if module.rsplit(".", 1)[-1].startswith("lor"):
                offenders.append(f"{path.name} imports {module}")
    assert offenders == []


def test_the_check_sees_a_rule_importing_a_rule(tmp_path: Path) -> None:
    bad = tmp_path / "lor999_example.py"
    bad.write_text("from .lor401_long_context_without_checkpointing import long_context\n")
    assert _imported_modules(bad) == ["lor401_long_context_without_checkpointing"]
