"""Every rule's VALID and INVALID examples, through the engine and through real flake8."""

from __future__ import annotations

import pytest

from pathlib import Path

from lora_lint_plugin.rules import Invalid, all_rules, example_language, example_source, expected_fix

from .conftest import dedent, expected_markers, lint, run_flake8, write_source
from .test_cli import lora_lint

EXAMPLES = [
    pytest.param(rule, kind, index, example_source(example), example_language(example),
                 id=f"{rule.code}-{kind}-{index}")
    for rule in all_rules()
    for kind, examples in (("valid", rule.VALID), ("invalid", rule.INVALID))
    for index, example in enumerate(examples)
]
SUFFIX = {"python": ".py", "yaml": ".yml"}


@pytest.mark.parametrize("rule,kind,index,source,language", EXAMPLES)
def test_example_through_engine(rule, kind, index, source, language):
    diagnostics = lint(source, language, **rule.EXAMPLE_SETTINGS)
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
        for index, example in enumerate(rule.INVALID):
            if example_language(example) != "python":
                continue  # flake8 reads Python only; YAML configs go through lora-lint
            source = example_source(example)
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


def test_fixable_rules_pin_the_fix_of_every_invalid_example():
    for rule in all_rules():
        for index, example in enumerate(rule.INVALID):
            if rule.fix_safety is not None:
                assert isinstance(example, Invalid), \
                    f"{rule.code} INVALID[{index}]: a fixable rule's example states its fixed source"
            else:
                assert not isinstance(example, Invalid), \
                    f"{rule.code} has no fix, so INVALID[{index}] cannot pin one"


def _settings_table(settings) -> str:
    lines = [f"{key.replace('_', '-')} = {value!r}" for key, value in sorted(settings.items())]
    return "[tool.lora-lint]\n" + "\n".join(lines) + "\n"


def test_fixes_of_invalid_examples_through_lora_lint_fix(tmp_path: Path):
    """Every rule's INVALID examples fixed by the real ``lora-lint fix --unsafe-fixes``, that
    rule alone: the file becomes the pinned source (unchanged where no fix is offered), and a
    second run changes nothing."""
    compared = 0
    for rule in all_rules():
        directory = tmp_path / rule.code
        directory.mkdir()
        (directory / "pyproject.toml").write_text(_settings_table(rule.EXAMPLE_SETTINGS))
        expected = {}
        for index, example in enumerate(rule.INVALID):
            path = write_source(directory, example_source(example),
                                f"example_{index}{SUFFIX[example_language(example)]}")
            fixed = expected_fix(example)
            expected[path] = dedent(fixed) if fixed is not None else path.read_text()
        for attempt in ("first", "second"):
            result = lora_lint("fix", "--unsafe-fixes", "--select", rule.code, ".", cwd=directory)
            assert result.returncode in (0, 1), result.stderr.decode()
            for path, want in expected.items():
                assert path.read_text() == want, f"{rule.code} {path.name} after the {attempt} run"
                compared += 1
    assert compared >= 2 * 60
