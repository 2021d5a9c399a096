"""The running Python's ``ast.parse`` of a source text: quiet, and on failure why and where.

The CLI, the language server and the fixes parse what they analyse; flake8 hands the plugin the
tree it has built, so a flake8 run never loads this module.
"""

from __future__ import annotations

import ast
import sys
import warnings
from typing import Optional, Tuple

from ..fast_dataclass import dataclass

# How CPython's parser says "nested too deeply" (3.9-3.13).
_TOO_DEEP_MESSAGES = ("too many nested", "too complex", "too many levels of indentation",
                      "stack overflow")


TOO_DEEP = "the code is nested too deeply to analyse"


@dataclass(frozen=True)
class ParseFailure:
    """Why the running Python cannot parse a text, and where (1-based; 1:1 when unknown)."""

    reason: str  # without the position, e.g. "syntax error: invalid syntax (Python 3.11)"
    line: int = 1
    column: int = 1
    located: bool = False  # the parser named the position
    # Set when the error comes from syntax a newer Python accepts (``syntax_versions``): the
    # code is not broken, only unreadable here. E.g. "f-string syntax of Python 3.12 (PEP 701)".
    newer_syntax: Optional[str] = None

    def describe(self) -> str:
        """The reason with its line, for a message about a whole file."""
        if not self.located:
            return self.reason
        head, _, rest = self.reason.partition(": ")
        return f"{head} at line {self.line}: {rest}" if rest else self.reason


def parse_quietly(source: str) -> ast.Module:
    """``ast.parse`` that prints nothing.

    Python reports questionable user code while parsing it (``SyntaxWarning: invalid escape
    sequence '\\{'`` on 3.12+, a ``DeprecationWarning`` before): warnings about strings in the
    user's file, shown as ``<unknown>:LINE`` without a file name, are noise in a linter's
    output, and ``-W error`` would turn them into a SyntaxError. The user's own Python shows
    them when it runs the code.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def parse_python(source: str) -> Tuple[Optional[ast.Module], Optional[str]]:
    """(``ast`` tree, None), or (None, why the running Python cannot parse ``source``)."""
    tree, failure = parse_located(source)
    return tree, failure.describe() if failure is not None else None


def parse_located(source: str) -> Tuple[Optional[ast.Module], Optional[ParseFailure]]:
    """(``ast`` tree, None), or (None, why and where the running Python cannot parse it)."""
    try:
        return parse_quietly(source), None
    except RecursionError:
        # Legal but deep (a 3,000-term sum): Python builds the tree with more stack.
        from .deep_stack import AnalysisError, call_with_deep_stack

        try:
            return call_with_deep_stack(lambda: parse_quietly(source)), None
        except (AnalysisError, RecursionError, MemoryError, SyntaxError, ValueError):
            return None, ParseFailure(TOO_DEEP)
    except MemoryError:
        return None, ParseFailure(TOO_DEEP)
    except SyntaxError as error:
        if any(text in str(error.msg) for text in _TOO_DEEP_MESSAGES):
            return None, ParseFailure(TOO_DEEP)
        reason = f"syntax error: {error.msg} (Python {sys.version_info[0]}.{sys.version_info[1]})"
        if not error.lineno:
            return None, ParseFailure(reason)
        from .syntax_versions import newer_python_syntax

        lines = source.splitlines()
        line = lines[error.lineno - 1] if 0 < error.lineno <= len(lines) else ""
        return None, ParseFailure(reason, error.lineno, max(error.offset or 1, 1), located=True,
                                  newer_syntax=newer_python_syntax(str(error.msg), line))
    except (ValueError, OverflowError) as error:  # NUL bytes (Python < 3.12), huge literals
        return None, ParseFailure(f"cannot parse: {error}")
