"""``lora-lint fix`` for one file: apply fixes, then diff or write back safely.

Writes are atomic and conservative:

* only when the bytes change (an unfixable file keeps its mtime);
* through a temporary file in the same directory, ``fsync``-ed, given the original file's
  permission bits, then ``os.replace`` (readers see the old or the new file, never half of
  one); a symlink is written through to its target;
* never over a file that changed since it was read: just before the replace, the size and
  mtime are compared with those taken before reading and the bytes are read again and
  compared (``FileChangedError``; the file is left as the other writer left it). A writer
  racing within the last microseconds can still be lost; no portable lock prevents that.

Encoding, BOM and newlines survive because fixes edit the decoded text without translating
newlines and ``sources.Source.encode`` re-encodes with the file's own codec; notebooks are
written back with ``Notebook.with_python_source`` (only changed cells' sources).
"""

from __future__ import annotations

import contextlib
import difflib
import os
import stat
import tempfile
from typing import Any, Collection, Iterator, List, Optional

from ..fast_dataclass import dataclass, replace
from ..reporters import FileResult
from ..config.settings import Settings
from ..linting import analyse, cell_errors, lint_source, report_diagnostics, source_path
from ..sources.files import Source, SourceError, read_source, source_from_bytes, versions_reader

__all__ = [
    "FileChangedError",
    "FileStamp",
    "FixResult",
    "fix_path",
    "fix_source_file",
    "stamp_of",
    "unified_diff",
    "write_if_unchanged",
]


class FileChangedError(OSError):
    """The file on disk is not the one the fixes were computed from; nothing was written."""


@dataclass(frozen=True)
class FileStamp:
    size: int
    mtime_ns: int


def stamp_of(path: str) -> FileStamp:
    info = os.stat(path)
    return FileStamp(info.st_size, info.st_mtime_ns)


def _write_temporary(directory: str, name: str, data: bytes, mode: int) -> str:
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".lora-lint.tmp")
    with _removed_on_failure(temporary):
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
    return temporary


@contextlib.contextmanager
def _removed_on_failure(temporary: str) -> Iterator[None]:
    """Delete the temporary file when the block fails (an interrupt too): nothing is left behind."""
    try:
        yield
    except BaseException:
        _remove_quietly(temporary)
        raise


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _check_unchanged(path: str, original: bytes, stamp: FileStamp) -> None:
    try:
        if stamp_of(path) != stamp:
            raise FileChangedError("changed on disk while it was being fixed; not written")
        with open(path, "rb") as handle:
            current = handle.read()
    except FileChangedError:
        raise
    except OSError as error:
        raise FileChangedError(f"cannot be read again before writing ({error.strerror or error}); "
                               "not written") from None
    if current != original:
        raise FileChangedError("changed on disk while it was being fixed; not written")


def write_if_unchanged(path: str, data: bytes, original: bytes, stamp: FileStamp) -> bool:
    """Atomically replace ``path`` with ``data`` if it still holds ``original`` (and ``stamp``).

    Returns False when ``data == original`` (nothing written). Raises ``FileChangedError``
    or ``OSError``.
    """
    if data == original:
        return False
    target = os.path.realpath(path)
    mode = stat.S_IMODE(os.stat(target).st_mode)
    temporary = _write_temporary(os.path.dirname(target), os.path.basename(target), data, mode)
    with _removed_on_failure(temporary):
        _check_unchanged(target, original, stamp)
        os.replace(temporary, target)
    return True


# -- diffs ---------------------------------------------------------------------------------------

def diff_label(path: str) -> str:
    """The path in ``a/...``/``b/...`` headers: relative to the current directory, ``/``-separated."""
    relative = os.path.relpath(os.path.abspath(path))
    if relative == ".." or relative.startswith(".." + os.sep):
        relative = os.path.abspath(path).lstrip(os.sep)
    return relative.replace(os.sep, "/")


def _diff_lines(text: str) -> List[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def unified_diff(old: str, new: str, path: str) -> str:
    label = diff_label(path)
    return "".join(difflib.unified_diff(_diff_lines(old), _diff_lines(new),
                                        fromfile=f"a/{label}", tofile=f"b/{label}"))


def _diff_text(source: Source, data: bytes) -> str:
    if source.notebook is not None:  # the notebook file itself (JSON), as git would show it
        old = source.raw.decode("utf-8-sig", errors="replace")
        new = data.decode("utf-8-sig", errors="replace")
    else:
        old = source.python
        new = data.decode(source.encoding)
    return unified_diff(old, new, source.path)


# -- fixing one file -----------------------------------------------------------------------------

@dataclass(frozen=True)
class FixResult:
    """What ``lora-lint fix`` did to one file (picklable).

    ``result``: the diagnostics that remain (positions in the file as now on disk, or, in diff
    mode, as it would be). ``applied``: diagnostics fixed. ``data``: the new bytes (None when
    unchanged). ``diff``: unified diff in diff mode. ``problem``: why a fix was not written.
    ``unsafe_available``: remaining diagnostics that ``--unsafe-fixes`` would fix.
    """

    result: FileResult
    applied: int = 0
    data: Optional[bytes] = None
    diff: str = ""
    problem: Optional[str] = None
    unsafe_available: int = 0
    written: bool = False

    @property
    def changed(self) -> bool:
        return self.data is not None


def fix_source_file(source: Source, settings: Settings, enabled_codes: Optional[Collection[str]],
                    *, unsafe: bool = False, use_noqa: bool = True, mode: str = "write",
                    stamp: Optional[FileStamp] = None, write_path: Optional[str] = None,
                    fix_edits: bool = False) -> FixResult:
    """Fix one source. ``mode``: ``write`` (to ``write_path``, checked against ``stamp``),
    ``diff`` (compute a diff, write nothing) or ``none`` (only compute ``data``; stdin).
    ``fix_edits``: the report carries the edits of the fixes that remain (JSON, SARIF)."""
    from .fixes import fix_source
    from .yaml_edits import fix_config_source

    analyses: List[Any] = []
    versions = versions_reader(source)   # fixes never touch install lines or project files
    path = source_path(source)

    def analyse_and_keep(text: str) -> Any:
        analysis = analyse(text, settings, enabled_codes, use_noqa, versions, source.language,
                           path)
        analyses.append(analysis)
        return analysis

    fixer = fix_config_source if source.is_yaml else fix_source
    outcome = fixer(source.python, analyse_and_keep, unsafe)
    first = analyses[0]  # the analysis of the text as read
    if first.error is not None:
        return FixResult(FileResult(source.path, (), error=first.error))

    def unchanged(reason: Optional[str]) -> FixResult:
        """The report of the text as read (the file stays as it is), and why, if it was meant
        to change."""
        result = FileResult(source.path, cell_errors(source, use_noqa) + report_diagnostics(
            source, first.diagnostics, source.python if fix_edits else None))
        return FixResult(result, problem=_problem(source, reason),
                         unsafe_available=_unsafe_count(result, unsafe))

    if not outcome.applied:
        return unchanged(outcome.error)
    try:
        data = source.encode(outcome.source)
    except SourceError as error:
        return unchanged(str(error))
    if data == source.raw:
        return unchanged(None)
    written = False
    if mode == "write":
        try:
            written = write_if_unchanged(write_path or source.path, data, source.raw,
                                         stamp if stamp is not None else stamp_of(write_path or source.path))
        except OSError as error:
            return unchanged(str(error) if isinstance(error, FileChangedError)
                             else f"cannot write: {error.strerror or error}")
    try:
        fixed = source_from_bytes(data, source.path)
        remaining = lint_source(fixed, settings, enabled_codes, use_noqa, fix_edits)
    except SourceError as error:  # cannot happen for bytes we produced; stay safe anyway
        remaining = FileResult(source.path, (), error=str(error))
    return FixResult(remaining, applied=len(outcome.applied), data=data,
                     diff=_diff_text(source, data) if mode == "diff" else "",
                     unsafe_available=_unsafe_count(remaining, unsafe), written=written)


def fix_path(path: str, display: str, settings: Settings, enabled_codes: Optional[Collection[str]],
             *, unsafe: bool = False, use_noqa: bool = True, mode: str = "write",
             fix_edits: bool = False) -> FixResult:
    """Read ``path`` and fix it (see ``fix_source_file``); ``display`` names it in reports.

    Raises ``sources.SourceError`` (``SourceSkipped`` for non-Python notebooks).
    """
    try:
        stamp = stamp_of(path)
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror or error}") from None
    source = replace(read_source(path), path=display)
    return fix_source_file(source, settings, enabled_codes, unsafe=unsafe, use_noqa=use_noqa,
                           mode=mode, stamp=stamp, write_path=path, fix_edits=fix_edits)


def _problem(source: Source, reason: Optional[str]) -> Optional[str]:
    if reason is None:
        return None
    return reason if reason.startswith(source.path) else f"{source.path}: {reason}"


def _unsafe_count(result: FileResult, unsafe: bool) -> int:
    if unsafe:
        return 0
    return sum(1 for d in result.diagnostics if d.fix is not None and d.fix.applicability == "unsafe")
