"""Syntax errors that a newer Python would not raise.

lora-lint parses code with the Python that runs it. A notebook written for Colab's Python 3.12
may use a PEP 701 f-string (``f"{row["user"]}"``), which Python 3.11 rejects; that cell is not
broken, lora-lint just cannot read it. ``newer_python_syntax`` recognises the syntax errors
that come from such newer syntax, so the caller can leave the code out silently instead of
reporting it as broken: no LOR000, a note in ``lora-lint check --verbose`` (README, Notebooks).

Recognised, each only when the running Python predates it:

* Python 3.12, PEP 701 f-strings: quotes of the enclosing string reused inside a replacement
  field, backslashes or comments in it (3.11's messages: ``f-string: unmatched '['``,
  ``f-string: expecting '}'``, ``f-string expression part cannot include a backslash``, ...);
* Python 3.12, PEP 695: ``type X = ...`` statements, ``def f[T](...)``, ``class C[T]``;
* Python 3.11, PEP 654: ``except*``;
* Python 3.10, PEP 634: ``match`` / ``case`` statements.

An error is attributed to newer syntax only from its message and the text of its line, so a
genuinely broken f-string with one of those messages is also left out silently: the rules stay
silent about code they cannot read, which is the project's rule for the unknown.
"""

from __future__ import annotations

import re
import sys
from typing import Optional, Sequence, Tuple

__all__ = ["newer_python_syntax"]

# (Python version that accepts it, what it is, message fragments, line pattern); a row matches
# when one fragment is in the error message, or the pattern matches the error's line.
_NEWER_SYNTAX: Sequence[Tuple[Tuple[int, int], str, Tuple[str, ...], Optional[str]]] = (
    ((3, 12), "f-string syntax of Python 3.12 (PEP 701)",
     ("f-string: unmatched", "f-string: expecting '}'", "f-string expression part cannot include",
      "f-string: unterminated string", "f-string: invalid syntax"), None),
    ((3, 12), "type parameter syntax of Python 3.12 (PEP 695)", (),
     r"^\s*(?:type\s+\w+\s*(?:\[[^\]]*\])?\s*=|(?:async\s+)?def\s+\w+\s*\[|class\s+\w+\s*\[)"),
    ((3, 11), "except* of Python 3.11 (PEP 654)", (), r"^\s*except\s*\*"),
    ((3, 10), "match statement of Python 3.10 (PEP 634)", (), r"^\s*(?:match|case)\s+\S.*:\s*(?:#.*)?$"),
)


def newer_python_syntax(message: str, line: str,
                        running: Tuple[int, int] = (sys.version_info[0], sys.version_info[1])
                        ) -> Optional[str]:
    """What newer syntax explains a syntax error (``message`` at ``line``), e.g. "f-string
    syntax of Python 3.12 (PEP 701)", or None when a newer Python would reject it too."""
    for version, what, fragments, pattern in _NEWER_SYNTAX:
        if running >= version:
            continue
        if any(fragment in message for fragment in fragments) or \
                (pattern is not None and re.match(pattern, line)):
            return what
    return None
