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
    diagnostics = lint(source, **rule.EXAMPLE_SETTINGS)
    reported = sorted((d.line, d.code) for d in diagnostics if d.code == rule.code)
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


FLAKE8_OPTION_OF_SETTING = {"gpu_memory": "--lora-lint-gpu-memory",
                            "long_context": "--lora-lint-long-context"}


def _flake8_options(settings) -> tuple:
    return tuple(f"{FLAKE8_OPTION_OF_SETTING[key]}={value}" for key, value in sorted(settings.items()))


def test_invalid_examples_through_flake8(tmp_path):
    """All INVALID examples, one file each, one flake8 run per distinct example settings."""
    groups = {}
    for rule in all_rules():
        options = _flake8_options(rule.EXAMPLE_SETTINGS)
        directory = tmp_path / (str(abs(hash(options))) if options else "default")
        directory.mkdir(exist_ok=True)
        for index, source in enumerate(rule.INVALID):
            path = write_source(directory, source, f"{rule.code.lower()}_{index}.py")
            groups.setdefault((directory, options), {})[path.name] = (rule, source)
    for (directory, options), files in groups.items():
        result = run_flake8(directory, "--select=LOR", "--extend-select=LOR9", *options)
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
