"""The output of analysis: diagnostics, source spans and fixes.

Everything here is plain, immutable and picklable (flake8 ``--jobs`` and the CLI's process pool
send results between processes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Final, List, Optional, Tuple, TypeVar

from ..fast_dataclass import dataclass, field


@dataclass(frozen=True, order=True)
class Span:
    """A region of the analysed source: 1-based lines, 0-based columns in code points.

    ``end_col`` is exclusive, as in LibCST's ``PositionProvider``.
    """

    line: int
    col: int
    end_line: int
    end_col: int

    def contains(self, other: "Span") -> bool:
        return (self.line, self.col) <= (other.line, other.col) and \
            (other.end_line, other.end_col) <= (self.end_line, self.end_col)

    def overlaps(self, other: "Span") -> bool:
        return (self.line, self.col) < (other.end_line, other.end_col) and \
            (other.line, other.col) < (self.end_line, self.end_col)


class FixSafety:
    """Whether a fix keeps the program's intent (``safe``) or changes what gets trained (``unsafe``).

    The labels are the plain strings the reporters print (compare them with ``==``): an ``Enum``
    class costs ~0.5 M instructions to create, paid by every fresh flake8 process."""

    SAFE: Final = "safe"
    UNSAFE: Final = "unsafe"


if TYPE_CHECKING:  # pragma: no cover
    from typing import Literal

    T = TypeVar("T")
    # A fix's safety label: ``FixSafety.SAFE`` or ``FixSafety.UNSAFE``.
    SafetyLabel = Literal["safe", "unsafe"]


@dataclass(frozen=True)
class Fix:
    """How to repair a diagnostic: ``edits.Edit``s, realised by ``lora_lint_plugin.fixing.fixes``."""

    safety: SafetyLabel
    description: str
    edits: Tuple[Any, ...] = field(compare=False)

    def realised(self, realise_edit: Callable[[Any], Optional[List[T]]]) -> Optional[List[T]]:
        """What every edit becomes through ``realise_edit``, in order; None when one edit
        cannot be realised: a fix is applied whole or not at all."""
        pieces: List[T] = []
        for edit in self.edits:
            realised = realise_edit(edit)
            if realised is None:
                return None
            pieces.extend(realised)
        return pieces


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding, anchored at ``span`` of the analysed source."""

    span: Span
    code: str
    message: str
    fix: Optional[Fix] = field(default=None, compare=False)

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def col(self) -> int:
        return self.span.col
