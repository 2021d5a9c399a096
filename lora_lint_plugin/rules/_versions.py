"""Shared query for rules about arguments a library removed: does the pinned version have them?

``removal_against_pins(file, "trl", "0.13")`` compares the versions the file or its project
pins (``FileModel.library_versions``) with the release that removed something:

* ``UNPINNED``: nothing pinned: the current release is what users install, so the rule
  reports as it always did;
* ``UNKNOWN``: a pin is stated but cannot be placed among releases (``trl===x``, a commit
  hash, a range that allows nothing): the version is not known, the rule stays silent;
* ``BEFORE_REMOVAL``: every version the pins allow is older than the removal: the code runs
  as written, the rule stays silent;
* ``REMOVED``: every allowed version has the removal: the rule reports and names the pin;
* ``ALLOWS_BOTH``: the pins allow versions on both sides: it runs today and breaks on
  upgrade; the rule reports, names the pin, and offers no automatic fix (the new spelling may
  not exist in the older versions the pin still allows).

When several pins apply (different files in the same directory, several install lines), the
code is taken to run only if every pin says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Mapping, Optional, Tuple

from ..analysis.model import Argument, CallSite, FileModel
from ..fast_dataclass import dataclass

if TYPE_CHECKING:   # imported when a rule asks: ``packaging`` costs nothing until then
    from ..analysis.versions import VersionPin

UNPINNED = "unpinned"
BEFORE_REMOVAL = "before-removal"
REMOVED = "removed"
UNKNOWN = "unknown"
ALLOWS_BOTH = "allows-both"


@dataclass(frozen=True)
class RemovalStatus:
    """How the file's pins of a library relate to one removal (see the module docstring)."""

    state: str
    library: str
    removed: str
    pin: Optional[VersionPin] = None   # the pin that allows the removal (REMOVED/ALLOWS_BOTH)

    @property
    def silent(self) -> bool:
        return self.state in (BEFORE_REMOVAL, UNKNOWN)

    @property
    def fixable(self) -> bool:
        """The new spelling is safe to write: no allowed version predates the removal."""
        return self.state in (UNPINNED, REMOVED)

    def note(self, took_effect: str = "removed it") -> str:
        """The sentence a message appends about the pin (empty when nothing is pinned);
        ``took_effect`` says what the pinned versions did (``"removed it"``)."""
        if self.pin is None:
            return ""
        if self.state == REMOVED:
            return f" ({self.pin.describe()} {took_effect})"
        return (f" ({self.pin.describe()} allows versions before {self.removed}, where it "
                f"works, and also {self.library} {self.removed} or later: it breaks on upgrade)")

    def pin_note(self, unpinned: str) -> str:
        """``note()``, and with nothing pinned the sentence that says so: current releases
        ``unpinned`` (``"reject it"``), and the pin that would keep an older release."""
        if self.state != UNPINNED:
            return self.note()
        return (f" (no {self.library} version is pinned: current releases {unpinned}; pin "
                f"{self.library}<{self.removed} if the code is meant for an older one)")


def removal_against_pins(file: FileModel, library: str, removed: str) -> RemovalStatus:
    """Whether the versions of ``library`` the file runs with have the removal of ``removed``."""
    from packaging.version import InvalidVersion, Version

    from ..analysis.versions import VersionRange

    pins = file.library_versions.of(library)
    try:
        removal = Version(removed)
    except InvalidVersion:
        return RemovalStatus(UNPINNED, library, removed)
    ranges = [(pin, VersionRange.of(pin.specifier)) for pin in pins]
    if not ranges:
        return RemovalStatus(UNPINNED, library, removed)
    if any(allowed is None for _, allowed in ranges):
        return RemovalStatus(UNKNOWN, library, removed)
    breaking = [(pin, allowed) for pin, allowed in ranges
                if allowed is not None and not allowed.all_before(removal)]
    if not breaking:
        return RemovalStatus(BEFORE_REMOVAL, library, removed)
    pin = breaking[0][0]
    if all(not other.any_before(removal) for _, other in ranges if other is not None):
        return RemovalStatus(REMOVED, library, removed, pin)
    return RemovalStatus(ALLOWS_BOTH, library, removed, pin)


def removed_keywords_passed(file: FileModel, call: CallSite, library: str,
                            removed: Mapping[str, Mapping[str, Any]]
                            ) -> Iterator[Tuple[str, Argument, Mapping[str, Any], RemovalStatus]]:
    """The keywords of ``removed`` (keyword -> its facts, ``"removed"`` the release) that
    ``call`` passes and that the file's pins of ``library`` do not keep working: each with its
    argument, facts and status against the pins."""
    for keyword, change in removed.items():
        argument = call.args.by_name.get(keyword)
        if argument is None:
            continue
        status = removal_against_pins(file, library, change["removed"])
        if not status.silent:
            yield keyword, argument, change, status


def pins_allow_between(file: FileModel, library: str, first: str, last: str) -> bool:
    """Whether every pin of ``library`` the file runs with is readable and allows some release
    from ``first`` to ``last`` (what a table read from those releases can speak for); True
    when nothing is pinned."""
    from packaging.version import Version

    from ..analysis.versions import VersionRange

    oldest, newest = Version(first), Version(last)
    following = Version(f"{newest.major}.{newest.minor + 1}")
    for pin in file.library_versions.of(library):
        allowed = VersionRange.of(pin.specifier)
        if allowed is None or allowed.all_before(oldest) or not allowed.any_before(following):
            return False
    return True


def pins_all_from(file: FileModel, library: str, first: str) -> bool:
    """Whether every version of ``library`` the file's pins allow is ``first`` or later (what
    a fix that writes a name introduced in ``first`` needs); True when nothing is pinned (the
    current release is what users install), False when a pin cannot be read."""
    from packaging.version import Version

    from ..analysis.versions import VersionRange

    introduced = Version(first)
    for pin in file.library_versions.of(library):
        allowed = VersionRange.of(pin.specifier)
        if allowed is None or allowed.any_before(introduced):
            return False
    return True
