"""The ``TRIGGERS`` table of ``rules/__init__.py``, generated from the rules themselves.

A rule that can only report on a Python file with something specific in it declares it in its
class (``TRIGGERS``: kind -> values, kinds in ``KINDS``; the rule runs when the file has any one
of them), beside the check that depends on it. The run decides
from the collected table which rule modules to import (``rules.may_report``), so the table is
written into ``rules/__init__.py``: ``python -m lora_lint_plugin.rules.triggers`` rewrites it,
and a test fails when it differs from the rules' own declarations.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict, Tuple

from . import all_rules

# kind -> what must be in the file (any one of the values): see ``rules._file_triggers``
KINDS = {
    "arguments": "a recognised call (or a call its setups link) passes an argument of this name",
    "roles": "a recognised call has this role (analysis.model: MODEL_LOAD, LORA_CONFIG, ...)",
    "imports": "the file imports this top-level package",
    "signals": "this list of the FileModel is not empty (chat_signals, token_additions, ...)",
    "settings": "this setting is set (not None)",
}
SIGNALS = ("chat_signals", "token_additions", "resizing_tokenizers", "gradient_checkpointing_calls")
_BEGIN = "# BEGIN TRIGGERS\n"
_END = "# END TRIGGERS\n"
REGISTRY = Path(__file__).with_name("__init__.py")


def declared_triggers() -> Dict[str, Dict[str, Tuple[str, ...]]]:
    """Every rule's ``TRIGGERS`` that names any, by code; raises on an unknown kind."""
    table: Dict[str, Dict[str, Tuple[str, ...]]] = {}
    for rule in all_rules():
        if not rule.TRIGGERS:
            continue
        unknown = set(rule.TRIGGERS) - set(KINDS)
        if unknown:
            raise ValueError(f"{rule.code}: unknown trigger kinds {sorted(unknown)}")
        if any(value not in SIGNALS for value in rule.TRIGGERS.get("signals", ())):
            raise ValueError(f"{rule.code}: signals must be among {SIGNALS}")
        table[rule.code] = {kind: tuple(values) for kind, values in sorted(rule.TRIGGERS.items())}
    return table


def table_source() -> str:
    """The Python text between the markers in ``rules/__init__.py``."""
    lines = ["TRIGGERS: Dict[str, Dict[str, Tuple[str, ...]]] = {"]
    for code, triggers in sorted(declared_triggers().items()):
        kinds = ", ".join(f"{kind!r}: {values!r}" for kind, values in triggers.items())
        lines.append(f"    {code!r}: {{{kinds}}},")
    lines.append("}")
    return "\n".join(lines).replace("'", '"') + "\n"


def written_table(text: str) -> str:
    """The table as ``rules/__init__.py`` holds it now."""
    start = text.index(_BEGIN) + len(_BEGIN)
    return text[start:text.index(_END, start)]


def main() -> int:
    text = REGISTRY.read_text(encoding="utf-8")
    table = table_source()
    if written_table(text) == table:
        return 0
    start = text.index(_BEGIN) + len(_BEGIN)
    REGISTRY.write_text(text[:start] + table + text[text.index(_END, start):], encoding="utf-8")
    print(f"rewrote the TRIGGERS table in {REGISTRY}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
