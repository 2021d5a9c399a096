"""Every rule's VALID and INVALID examples, through the engine and through real flake8."""

from __future__ import annotations

import pytest

from lora_lint_plugin.rules import all_rules

from .conftest import expected_markers, lint, run_flake8, write_source

EXAMPLES = [
    pytest.param(rule, kind, index, source, id=f"{rule.code}-{kind}-{index}")
    for rule in all_rules()
    for kind, sources in (("valid", rule.VALID), ("invalid", rule.INVALID))
    for index, source in enumerate(sources)
]


@pytest.mark.parametrize("rule,kind,index,source", EXAMPLES)
def test_example_through_engine(rule, kind, index, source):
    reported = sorted((d.line, d.code) for d in lint(source) if d.code == rule.code)
    expected = [marker for marker in expected_markers(source) if marker[1] == rule.code]
    if kind == "valid":
        assert reported == [], f"{rule.code} reported on a VALID example: {reported}"
    else:
        assert expected, f"INVALID example of {rule.code} has no '# expect: {rule.code}' marker"
        assert reported == expected


def test_every_rule_has_examples():
    for rule in all_rules():
        assert rule.VALID, f"{rule.code} has no VALID example"
        assert rule.INVALID, f"{rule.code} has no INVALID example"


def test_invalid_examples_through_flake8(tmp_path):
    """All INVALID examples, each in its own file, in one flake8 run (with the opt-in family)."""
    files = {}
    for rule in all_rules():
        for index, source in enumerate(rule.INVALID):
            path = write_source(tmp_path, source, f"{rule.code.lower()}_{index}.py")
            files[path.name] = (rule, source)
    result = run_flake8(tmp_path, "--select=LOR", "--extend-select=LOR9")
    assert "Traceback" not in result.stderr, result.stderr
    reported = {}
    for line in result.stdout.splitlines():
        path, row, _col, rest = line.split(":", 3)
        name = path.rsplit("/", 1)[-1]
        reported.setdefault(name, []).append((int(row), rest.split()[0]))
    for name, (rule, source) in files.items():
        got = sorted(item for item in reported.get(name, []) if item[1] == rule.code)
        want = [m for m in expected_markers(source) if m[1] == rule.code]
        assert got == want, f"{name}: flake8 reported {got}, expected {want}"
