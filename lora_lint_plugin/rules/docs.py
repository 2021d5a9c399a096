"""Rule documentation pages, generated from the rules themselves.

``docs/rules/LORnnn.md`` and ``lora-lint explain LORnnn`` show the same text: the rule's
docstring plus its VALID/INVALID examples. Regenerate the pages with
``python -m lora_lint_plugin.rules.docs docs/rules``; a test fails when they are out of date.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path
from typing import List, Optional, Type

from ..analysis.diagnostics import FixSafety
from . import Rule, all_rules, example_language, example_source, expected_fix
from .base import PYTHON


_EXPECT_MARKER = re.compile(r"[ \t]*# expect: [A-Z0-9, ]+$", re.MULTILINE)


def _example_block(source: str, language: str = PYTHON) -> str:
    return f"```{language}\n" + textwrap.dedent(source).strip("\n") + "\n```"


def rule_page(rule: Type[Rule]) -> str:
    """The Markdown page of one rule."""
    default = "on by default" if rule.default_enabled else "opt-in (select it explicitly)"
    fix = f"{rule.fix_safety} fix available" if rule.fix_safety else "no automatic fix"
    parts = [
        f"# {rule.code}: {rule.name}",
        "",
        f"*{rule.summary}.* ({default}; {fix})",
        "",
        rule.documentation(),
        "",
        "## Examples that are reported",
        "",
        "Lines marked `# expect:` are where the diagnostic points.",
        "",
    ]
    if rule.EXAMPLE_SETTINGS:
        settings = ", ".join(f"`{key.replace('_', '-')} = {value!r}`"
                             for key, value in sorted(rule.EXAMPLE_SETTINGS.items()))
        parts[-1:-1] = [f"Checked with the settings {settings}.", ""]
    for example in rule.INVALID:
        language = example_language(example)
        parts.append(_example_block(example_source(example), language) + "\n")
        fixed = expected_fix(example)
        if fixed is not None:
            parts.extend([f"After `lora-lint fix{'' if rule.fix_safety == FixSafety.SAFE else ' --unsafe-fixes'}`:",
                          "", _example_block(_EXPECT_MARKER.sub("", fixed), language) + "\n"])
        elif rule.fix_safety is not None:
            parts.extend(["No automatic fix for this one: change it by hand.", ""])
    parts.extend(["## Examples that are not reported", ""])
    parts.extend(_example_block(example_source(example), example_language(example)) + "\n"
                 for example in rule.VALID)
    return "\n".join(parts).rstrip("\n") + "\n"


def index_page() -> str:
    lines = [
        "# lora-lint rules",
        "",
        "| code | name | summary | default | fix |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in all_rules():
        default = "on" if rule.default_enabled else "opt-in"
        fix = rule.fix_safety if rule.fix_safety else "-"
        lines.append(f"| [{rule.code}]({rule.code}.md) | {rule.name} | {rule.summary} | "
                     f"{default} | {fix} |")
    return "\n".join(lines) + "\n"


def expected_pages() -> dict:
    pages = {f"{rule.code}.md": rule_page(rule) for rule in all_rules()}
    pages["README.md"] = index_page()
    return pages


def write_pages(directory: Path) -> List[str]:
    """Write every page whose content differs; return the names written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in expected_pages().items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(name)
    return written


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0] if args else "docs/rules")
    for name in write_pages(directory):
        print(f"wrote {directory / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
