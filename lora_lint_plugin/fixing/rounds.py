"""Applying fixes in rounds, the same for Python sources and YAML configs.

A fix can make another diagnostic appear or disappear (the list it edited changed), so each
round fixes what the analysis of the previous round's result reports, until nothing changes
or ``MAX_ROUNDS`` pass. Every round's result must read back (parse as Python, read as the
same kind of config); if one does not, a fix has a bug and nothing is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, List, Optional, Sequence, Tuple

from ..analysis.diagnostics import Diagnostic
from ..fast_dataclass import dataclass

if TYPE_CHECKING:
    from ..analysis.engine import Analysis

MAX_ROUNDS = 10

# One round on a text and its diagnostics: the fixed text and the diagnostics it fixed, or
# None when no fix applies.
FixRound = Callable[[str, Sequence[Diagnostic]], Optional[Tuple[str, List[Diagnostic]]]]


@dataclass
class FixOutcome:
    source: str
    applied: List[Diagnostic]
    remaining: List[Diagnostic]
    error: Optional[str] = None

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def fix_in_rounds(source: str, analyse: Callable[[str], Analysis], fix_round: FixRound,
                  refusal: Callable[[str], Optional[str]]) -> FixOutcome:
    """Fix ``source`` round by round; ``refusal`` says why a round's result cannot be
    written (None: it can)."""
    applied: List[Diagnostic] = []
    current = source
    analysis = analyse(current)
    for _ in range(MAX_ROUNDS):
        if analysis.error is not None or analysis.skipped:
            break
        made = fix_round(current, analysis.diagnostics)
        if made is None or made[0] == current:
            break
        candidate, fixed = made
        problem = refusal(candidate)
        if problem is not None:
            return FixOutcome(source, [], list(analysis.diagnostics), error=problem)
        applied.extend(fixed)
        current = candidate
        analysis = analyse(current)
    remaining = list(analysis.diagnostics) if analysis.error is None else []
    return FixOutcome(current, applied, remaining, error=analysis.error if not applied else None)
