"""Every rule is documented, uniquely coded, and its page in docs/rules/ is current."""

from __future__ import annotations

import re

import pytest

from lora_lint_plugin.rules.docs import expected_pages
from lora_lint_plugin.rules import all_rules
from lora_lint_plugin.rules.base import Rule, register

from .conftest import REPO_ROOT

SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## How to fix")


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.code)
def test_rule_metadata_and_docs(rule):
    assert re.fullmatch(r"LOR[1-9]\d\d", rule.code), rule.code
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
    assert rule.summary and not rule.summary.endswith(".")
    for section in SECTIONS:
        assert section in rule.documentation(), f"{rule.code} docs lack '{section}'"


def test_codes_and_names_are_unique():
    rules = all_rules()
    assert len({rule.code for rule in rules}) == len(rules)
    assert len({rule.name for rule in rules}) == len(rules)


def test_registering_a_duplicate_code_fails():
    existing = all_rules()[0]

    class Impostor(Rule):
        code = existing.code
        name = "impostor"

    with pytest.raises(ValueError, match="share the code"):
        register(Impostor)


def test_docs_pages_are_current():
    directory = REPO_ROOT / "docs" / "rules"
    expected = expected_pages()
    for name, text in expected.items():
        path = directory / name
        assert path.exists(), f"missing {path}; run: python -m lora_lint_plugin.rules.docs docs/rules"
        assert path.read_text(encoding="utf-8") == text, \
            f"{path} is out of date; run: python -m lora_lint_plugin.rules.docs docs/rules"
    stray = {p.name for p in directory.glob("LOR*.md")} - set(expected)
    assert not stray, f"pages without a rule: {sorted(stray)}"
