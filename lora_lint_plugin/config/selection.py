"""Which rules run on which file, and ``# noqa`` comments, with flake8's semantics.

Selection (``select``, ``ignore``, ``extend-select``, ``extend-ignore``, ``per-file-ignores``)
follows flake8's ``DecisionEngine``: codes are matched by prefix (``LOR1`` is every LOR1xx);
an explicitly selected code runs unless an ignore prefix at least as long matches it; without
``select`` every default-enabled rule runs unless ignored. Opt-in rules (``default_enabled``
False, the LOR9xx family) run only when an explicit ``select``/``extend-select`` prefix matches
them and wins the longest-prefix comparison against the ignores. Unlike flake8, a bare
``ignore`` does not switch opt-in rules on.

``# noqa`` is flake8's grammar, applied to the reported line: ``# noqa`` and ``# noqa: LOR``
(letters only) silence everything on the line, ``# noqa: LOR101,LOR2`` / ``# noqa:LOR101``
silence those codes and prefixes, lower-case codes silence nothing; the physical lines of a
multi-line string share one noqa unit. A line ``# flake8: noqa`` on its own skips the file.
"""

from __future__ import annotations

import functools
import io
import os
import re
import tokenize
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple, Type

from ..fast_dataclass import dataclass

if TYPE_CHECKING:
    import pathspec

    from ..rules import Rule

__all__ = [
    "NoqaIndex",
    "RuleSelection",
    "SelectionError",
    "glob_matches",
    "parse_selectors",
]

CODE_PREFIX = re.compile(r"^LOR[0-9]{0,3}$")

# flake8 7.x ``defaults.NOQA_INLINE_REGEXP`` and ``NOQA_FILE`` (same behaviour, our copy).
NOQA_INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)
_CODE_SEPARATOR = re.compile(r"[,\s]")
_NEWLINES = re.compile(r"\r\n?")


class SelectionError(ValueError):
    """A malformed rule selector; ``str()`` is a one-line message."""


def parse_selectors(values: Iterable[str], origin: str) -> Tuple[str, ...]:
    """Validate rule selectors (``LOR``, ``LOR1``, ``LOR101``); comma lists are split.

    Shapes are checked, not existence: a selector for a rule added in a later version is
    accepted (it matches nothing here).
    """
    selectors: List[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not CODE_PREFIX.match(part):
                hint = ""
                if CODE_PREFIX.match(part.upper()):
                    hint = f" (codes are upper case: {part.upper()})"
                elif part.upper() == "ALL":
                    hint = " (use LOR to select every rule)"
                raise SelectionError(
                    f"invalid rule selector '{part}' in {origin}: expected LOR followed by up to "
                    f"three digits, e.g. LOR, LOR1, LOR101{hint}")
            selectors.append(part)
    return tuple(selectors)


def _longest_match(code: str, prefixes: Iterable[str]) -> int:
    return max((len(prefix) for prefix in prefixes if code.startswith(prefix)), default=-1)


@dataclass(frozen=True)
class RuleSelection:
    """The selection options in force for some files (picklable; sent to worker processes)."""

    select: Optional[Tuple[str, ...]] = None  # None: the default-enabled rules
    ignore: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()
    extend_ignore: Tuple[str, ...] = ()
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    root: str = ""  # per-file-ignores patterns are relative to this directory

    def ignores_for(self, path: Optional[str]) -> Tuple[str, ...]:
        """``ignore`` + ``extend-ignore`` + every matching ``per-file-ignores`` entry."""
        extra: List[str] = []
        if path is not None:
            for pattern, codes in self.per_file_ignores:
                if glob_matches(pattern, path, self.root or os.getcwd()):
                    extra.extend(codes)
        return self.ignore + self.extend_ignore + tuple(extra)

    def is_enabled(self, code: str, default_enabled: bool, ignores: Sequence[str]) -> bool:
        explicit = (self.select or ()) + self.extend_select
        selected = _longest_match(code, explicit)
        ignored = _longest_match(code, ignores)
        if selected >= 0:
            return selected > ignored  # ties go to ignore, as in flake8
        if self.select is not None or not default_enabled:
            return False
        return ignored < 0

    def enabled_codes(self, rules: Iterable[Type[Rule]], path: Optional[str] = None) -> FrozenSet[str]:
        """Codes of the ``rules`` (Rule classes) that run on ``path``."""
        ignores = self.ignores_for(path)
        return frozenset(rule.code for rule in rules
                         if self.is_enabled(rule.code, rule.default_enabled, ignores))

    def unknown_selectors(self, known_codes: Iterable[str]) -> List[str]:
        """Selectors that match no known rule (worth a warning: a typo, or a newer rule)."""
        known = list(known_codes)
        everything = list(self.select or ()) + list(self.extend_select) + list(self.ignore) \
            + list(self.extend_ignore) + [c for _, codes in self.per_file_ignores for c in codes]
        return sorted({s for s in everything if not any(code.startswith(s) for code in known)})


# -- globs (shared by per-file-ignores and exclude) ----------------------------------------------

@functools.lru_cache(maxsize=None)
def _glob(pattern: str) -> "pathspec.GitIgnoreSpec":
    import pathspec  # only globs need it: flake8 mode reads settings, never globs

    return pathspec.GitIgnoreSpec.from_lines([pattern])


def glob_matches(pattern: str, path: str, root: str) -> bool:
    """Does ``pattern`` match ``path``? git's wildmatch rules (pathspec): ``*`` and ``?`` stay
    within one path component, ``**`` spans components.

    A pattern without ``/`` matches the file's or directory's own name (``test_*.py``); one with
    ``/`` matches the path relative to ``root`` (``notebooks/*.ipynb``, ``src/**/legacy_*.py``)
    or, if it is absolute, the absolute path; a pattern naming a directory also matches what it
    holds. Paths use ``/`` on every platform.
    """
    pattern = pattern.replace(os.sep, "/") if os.sep != "/" else pattern
    pattern = pattern.rstrip("/")
    absolute = os.path.abspath(path).replace(os.sep, "/")
    if "/" not in pattern:
        return _glob(pattern).match_file(absolute.rsplit("/", 1)[-1])
    if pattern.startswith("/"):
        return _glob(pattern).match_file(absolute.lstrip("/"))
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(root)).replace(os.sep, "/")
    if relative == ".." or relative.startswith("../"):
        return False
    return _glob(pattern).match_file(relative)


# -- noqa ---------------------------------------------------------------------------------------

class NoqaIndex:
    """``# noqa`` comments of one analysed source text (1-based lines)."""

    def __init__(self, text: str) -> None:
        normalised = _NEWLINES.sub("\n", text)
        self._lines = _split_newlines(normalised)
        self._text = normalised
        self._mapping: Optional[Dict[int, str]] = None
        # Tokenizing a big file costs more than analysing it; most files have no noqa at all.
        self._has_noqa = "# noqa" in normalised or NOQA_INLINE.search(normalised) is not None

    @property
    def skips_file(self) -> bool:
        """A ``# flake8: noqa`` line (alone on its line) switches the whole file off."""
        return any(NOQA_FILE.match(line) for line in self._lines)

    def suppresses(self, code: str, line: int) -> bool:
        if not self._has_noqa:
            return False
        text = self._noqa_line(line)
        match = NOQA_INLINE.search(text)
        if match is None:
            return False
        codes_text = match.group("codes")
        if codes_text is None:
            return True  # blanket noqa (also "# noqa: LOR" and "# noqa : X")
        codes = tuple(code for code in _CODE_SEPARATOR.split(codes_text) if code)
        return code in codes or code.startswith(codes)

    def _noqa_line(self, line: int) -> str:
        if self._mapping is None:
            self._mapping = self._build_mapping()
        text = self._mapping.get(line)
        if text is None and 1 <= line <= len(self._lines):
            text = self._lines[line - 1]
        return text or ""

    def _build_mapping(self) -> Dict[int, str]:
        """flake8's ``FileProcessor._noqa_line_mapping``: lines of one token run share noqa."""
        mapping: Dict[int, str] = {}
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(self._text).readline))
        except (tokenize.TokenError, SyntaxError, ValueError):
            return mapping
        unset = len(self._lines) + 2
        min_line, max_line = unset, -1
        for token in tokens:
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            min_line = min(min_line, token.start[0])
            max_line = max(max_line, token.end[0])
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(self._lines[min_line - 1:max_line])
                for number in range(min_line, max_line + 1):
                    mapping[number] = joined
                min_line, max_line = unset, -1
        return mapping


def _split_newlines(text: str) -> List[str]:
    """Split on ``\\n`` only (str.splitlines also splits on form feeds and other controls)."""
    lines = text.split("\n")
    result = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        result.append(lines[-1])
    return result
