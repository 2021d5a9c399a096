"""Which versions of the training libraries the analysed code says it runs with.

A notebook that starts with ``!pip install trl==0.8.6``, or a script whose repository's
``requirements.txt`` pins ``trl<0.12``, runs against that TRL, not the current one. This module
reads those pins, never imports or installs anything:

* inside the file: inline script metadata (``# /// script`` with ``dependencies``, PEP 723,
  what ``uv run`` installs) and the install lines of a notebook (``!pip install``, ``%pip install`` and
  bare ``pip install`` automagic; several packages per line, extras, quotes, flags, and
  ``git+https://github.com/<owner>/<name>@vX.Y`` tags);
* install commands written in a comment of the file (``# !pip install trl==0.7.1``, ``# pip
  install "trl<0.12"``): the versions the author wrote it for, read when no active line pins the
  library. Other comments (``# needs trl 0.8``) are never pins;
* for a script, the notebooks next to it or above it that run it (``!python scripts/train.py``,
  ``!torchrun ... train.py``, ``!accelerate launch train.py``, ``%run train.py``, or that write it
  with ``%%writefile``): the script runs in the environment the notebook installs;
* around the file: ``requirements*.txt``, ``pyproject.toml`` (``[project]`` dependencies and
  optional dependencies, ``[dependency-groups]``, Poetry), ``setup.py`` / ``setup.cfg`` and the
  ``pip:`` section of ``environment.yml``, in the nearest directory that pins the library,
  walking up from the file to the repository root (a directory holding ``.git``) or at most
  ``MAX_PARENT_LEVELS`` levels. Each directory is read once per process.

For each library the strongest source that pins it wins, in this order: the file's own install
lines and script metadata, install commands in its comments, the notebooks that run it, the
project files. A project file that cannot be read gives no pin, never an exception; a pin that
is read but cannot be placed among releases (``trl===x``, a commit hash, ``trl>=0.9,<0.8``, an
environment marker that cannot be evaluated) is kept as an *unknown* pin: the version is stated
but not known, and rules stay silent about it. The result is a ``LibraryVersions``; ``VersionRange`` answers
"are all allowed versions older than X" without enumerating releases.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import shlex
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

# Not packaging.requirements / packaging.utils: importing them (markers, platform tags,
# subprocess) costs ~170 M instructions, ~2x a whole flake8 run's share of lora-lint; the full
# requirement parser is imported only for a line with a marker or a URL.
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from ..fast_dataclass import dataclass, field, replace
from ..sources.project import directories_up_to_root

__all__ = ["LibraryVersions", "NO_VERSIONS", "TRACKED_LIBRARIES", "VersionOrigin", "VersionPin",
           "VersionRange", "commented_install_pins", "file_versions", "install_line_pins",
           "launcher_pins", "library_versions", "project_pins", "script_metadata_pins"]

# The libraries whose versions decide what the analysed code may pass.
TRACKED_LIBRARIES = ("trl", "transformers", "peft", "unsloth", "accelerate",
                     "axolotl", "llamafactory")  # the last two: YAML configs' key lists
MAX_PARENT_LEVELS = 4      # directories above the file's own that may hold its project files
_MAX_PROJECT_FILE_BYTES = 1_000_000
_MAX_NOTEBOOK_BYTES = 16_000_000   # notebooks keep their outputs: larger than project files

# Where a pin is stated, strongest first (``VersionOrigin.rank``): for each library only the pins
# of the strongest source that pins it apply.
RANK_IN_FILE = 0      # the file's install lines, its script metadata
RANK_COMMENTED = 1    # install commands in the file's comments
RANK_LAUNCHER = 2     # the install lines of a notebook that runs the script
RANK_PROJECT = 3      # requirements*.txt, pyproject.toml, ... around the file


@dataclass(frozen=True)
class VersionOrigin:
    """Where a pin is written: a file (``display`` names it) and a 1-based line, when known.

    ``in_file``: the pin is in the analysed text itself and ``line`` is a line of it, cited as
    ``line N`` (which notebook reports turn into ``cell C, line R``); a project file's line is
    cited as ``requirements.txt:3``, which nothing rewrites.
    """

    display: str                 # e.g. "requirements.txt", "this notebook"
    line: Optional[int] = None
    in_file: bool = False
    rank: int = RANK_PROJECT     # how strong the source is (RANK_* above)

    def describe(self) -> str:
        if self.line is None:
            return self.display
        return f"{self.display} at line {self.line}" if self.in_file else f"{self.display}:{self.line}"


@dataclass(frozen=True)
class VersionPin:
    """One stated version constraint of a library, e.g. ``trl==0.8.6`` in requirements.txt."""

    library: str
    specifier: SpecifierSet
    origin: VersionOrigin

    @property
    def text(self) -> str:
        return f"{self.library}{self.specifier}"

    def describe(self) -> str:
        """``trl==0.8.6 pinned in requirements.txt line 3``: what a message cites."""
        return f"{self.text} pinned in {self.origin.describe()}"


@dataclass(frozen=True)
class LibraryVersions:
    """The pins that apply to one file, per library (several when sources disagree)."""

    pins: Dict[str, Tuple[VersionPin, ...]] = field(default_factory=dict)

    def of(self, library: str) -> Tuple[VersionPin, ...]:
        """The pins of ``library``; empty means unknown (nothing pinned: the current release)."""
        return self.pins.get(library, ())


NO_VERSIONS = LibraryVersions()


def merge_by_rank(pins: Iterable[VersionPin]) -> LibraryVersions:
    """Per library, the pins of the strongest source (lowest ``origin.rank``) that pins it."""
    best: Dict[str, List[VersionPin]] = {}
    for pin in pins:
        kept = best.get(pin.library)
        if kept is None or pin.origin.rank < kept[0].origin.rank:
            best[pin.library] = [pin]
        elif pin.origin.rank == kept[0].origin.rank:
            kept.append(pin)
    return LibraryVersions({library: tuple(found) for library, found in best.items()})


# -- what a specifier allows ---------------------------------------------------------------------

_Bound = Optional[Tuple[Version, bool]]   # (version, inclusive); None = unbounded


@dataclass(frozen=True)
class VersionRange:
    """The interval of versions a specifier set allows (``!=`` exclusions are ignored)."""

    low: _Bound
    high: _Bound

    @classmethod
    def of(cls, specifier: SpecifierSet) -> Optional["VersionRange"]:
        """The range, or None when it cannot be told (``===``, an unparseable or empty range)."""
        low: _Bound = None
        high: _Bound = None
        try:
            for spec in specifier:
                bounds = _bounds(spec.operator, spec.version)
                if bounds is None:
                    return None
                low, high = _tighter_low(low, bounds[0]), _tighter_high(high, bounds[1])
        except InvalidVersion:
            return None
        if low is not None and high is not None and \
                (low[0] > high[0] or (low[0] == high[0] and not (low[1] and high[1]))):
            return None  # nothing can be installed: contradictory, treat as unknown
        return cls(low, high)

    def all_before(self, version: Version) -> bool:
        """Every allowed version is older than ``version``."""
        return self.high is not None and (self.high[0] < version or
                                          (self.high[0] == version and not self.high[1]))

    def any_before(self, version: Version) -> bool:
        """Some allowed version is older than ``version``."""
        return self.low is None or self.low[0] < version


def _bounds(operator: str, text: str) -> Optional[Tuple[_Bound, _Bound]]:
    if operator == "===":
        return None
    if operator == "!=":
        return None, None
    if text.endswith(".*"):
        if operator != "==":
            return None, None  # "!=X.*" excludes; nothing else is valid
        release = Version(text[:-2]).release
        return (Version(text[:-2]), True), (_bump(release, len(release)), False)
    version = Version(text)
    if operator == "==":
        return (version, True), (version, True)
    if operator == "~=":
        return (version, True), (_bump(version.release, len(version.release) - 1), False)
    if operator in (">=", ">"):
        return (version, operator == ">="), None
    if operator in ("<=", "<"):
        return None, (version, operator == "<=")
    return None


def _bump(release: Tuple[int, ...], length: int) -> Version:
    """The first release after every ``release[:length]`` prefix release (``0.8`` -> ``0.9``)."""
    prefix = list(release[:max(length, 1)])
    prefix[-1] += 1
    return Version(".".join(str(part) for part in prefix))


def _tighter_low(current: _Bound, new: _Bound) -> _Bound:
    if new is None or (current is not None and
                       (current[0] > new[0] or (current[0] == new[0] and not current[1]))):
        return current
    return new


def _tighter_high(current: _Bound, new: _Bound) -> _Bound:
    if new is None or (current is not None and
                       (current[0] < new[0] or (current[0] == new[0] and not current[1]))):
        return current
    return new


# -- one requirement ------------------------------------------------------------------------------

_GITHUB_TAG = re.compile(r"github\.com/[\w.-]+/(?P<name>[\w.-]+?)(?:\.git)?@v?(?P<version>\d+(?:\.\d+)*)"
                         r"(?:[#/?].*)?$")
_GITHUB_COMMIT = re.compile(r"github\.com/[\w.-]+/(?P<name>[\w.-]+?)(?:\.git)?@[0-9a-f]{7,40}(?:[#/?].*)?$")


def canonicalize_name(name: str) -> str:
    """A distribution name in its normalised form (``Unsloth_Zoo`` -> ``unsloth-zoo``, PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


# A requirement's distribution name: packaging's parser reads the same leading name, or this
# one followed by more of ``._-`` (which no tracked library's name ends with).
_LEADING_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
# ``name``, ``name[extras]`` followed by version specifiers or nothing: the form nearly every pin
# takes. A line with a marker (``;``), a URL (``@``) or any other form goes to packaging's full
# requirement parser.
_PLAIN_REQUIREMENT = re.compile(
    r"(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[\w\s,.-]*\])?\s*"
    r"(?P<specifier>(?:===|==|!=|~=|<=|>=|<|>)\s*[^\s,;@()\[\]]+"
    r"(?:\s*,\s*(?:===|==|!=|~=|<=|>=|<|>)\s*[^\s,;@()\[\]]+)*)?")


def requirement_pin(text: str, origin: VersionOrigin) -> Optional[VersionPin]:
    """The pin ``text`` (one requirement) states for a tracked library, if any."""
    text = text.strip()
    if "://" in text and "@" not in text.split("://", 1)[0]:
        return _url_pin(text, None, origin)
    leading = _LEADING_NAME.match(text)
    if leading is None or canonicalize_name(leading.group()) not in TRACKED_LIBRARIES:
        return None   # not a requirement, or one of a library no rule asks about
    plain = _PLAIN_REQUIREMENT.fullmatch(text)
    if plain is not None:
        try:
            specifier = SpecifierSet(plain.group("specifier") or "")
        except InvalidSpecifier:
            pass   # the full parser decides
        else:
            return VersionPin(canonicalize_name(plain.group("name")), specifier, origin) \
                if str(specifier) else None   # no specifier: unpinned, whatever is current
    return _parsed_requirement_pin(text, origin)


def _parsed_requirement_pin(text: str, origin: VersionOrigin) -> Optional[VersionPin]:
    """``requirement_pin`` of a line with a marker, a URL or an unusual form: packaging's parser."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None
    library = canonicalize_name(requirement.name)
    if library not in TRACKED_LIBRARIES:
        return None
    if requirement.marker is not None:
        applies = _marker_holds(requirement.marker)
        if applies is False:
            return None   # for another Python or platform: not this pin
        if applies is None:
            return VersionPin(library, _UNKNOWN_VERSION, origin)
    if requirement.url:
        return _url_pin(requirement.url, library, origin)
    if not str(requirement.specifier):
        return None   # unpinned: whatever is current
    return VersionPin(library, requirement.specifier, origin)


# A pin whose version cannot be placed among releases (``VersionRange.of`` gives None).
_UNKNOWN_VERSION = SpecifierSet("===unknown")


def _marker_holds(marker: Any) -> Optional[bool]:
    """Whether an environment marker holds for the running Python (None: cannot be told)."""
    try:
        return bool(marker.evaluate())
    except Exception:  # an undefined or malformed marker variable: unknown
        return None


def _url_pin(url: str, library: Optional[str], origin: VersionOrigin) -> Optional[VersionPin]:
    """``git+https://github.com/huggingface/trl@v0.9.6`` -> ``trl==0.9.6`` (a release tag); a
    commit hash is a pin of an unknown version; a branch (``@main``) or no ``@`` is the current
    code, no pin."""
    match = _GITHUB_TAG.search(url)
    commit = None if match is not None else _GITHUB_COMMIT.search(url)
    found = match or commit
    if found is None:
        return None
    name = library or canonicalize_name(found.group("name"))
    egg = re.search(r"[#&]egg=([\w.-]+)", url)
    if egg is not None:
        name = canonicalize_name(egg.group(1))
    if name not in TRACKED_LIBRARIES:
        return None
    if match is None:
        return VersionPin(name, _UNKNOWN_VERSION, origin)
    try:
        return VersionPin(name, SpecifierSet(f"=={match.group('version')}"), origin)
    except InvalidSpecifier:
        return None


# -- install lines of a notebook ---------------------------------------------------------------

# pip options that take a value (the value is not a requirement).
_OPTIONS_WITH_VALUE = frozenset((
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
    "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root",
    "--upgrade-strategy", "--no-binary", "--only-binary", "--platform", "--python-version",
    "--implementation", "--abi", "--cache-dir", "--src", "--progress-bar", "--log",
    "--timeout", "--retries", "--proxy", "--trusted-host", "--cert", "--client-cert",
    "--python", "-p", "--config-settings", "-C", "--global-option", "--exists-action",
    "--index-strategy", "--torch-backend",
))
_COMMAND_SEPARATORS = ("&&", "||", ";", "|")


def install_line_pins(text: str, origin: VersionOrigin) -> List[VersionPin]:
    """The pins a notebook line such as ``!pip install -q "trl==0.8.6" peft`` installs.

    The line goes through a shell, so an unquoted ``<`` or ``>`` is a redirection: the
    requirement before it is installed unpinned.
    """
    line = text.strip().lstrip("!%").strip()
    if "#" in line:
        line = line.split(" #", 1)[0]
    try:
        tokens = shlex.split(line, posix=False)
    except ValueError:
        return []
    pins: List[VersionPin] = []
    for command in _commands(tokens):
        pins.extend(_pip_install_pins(command, origin))
    return pins


def _commands(tokens: Sequence[str]) -> Iterator[List[str]]:
    command: List[str] = []
    for token in tokens:
        if token in _COMMAND_SEPARATORS:
            yield command
            command = []
        else:
            command.append(token)
    yield command


def _pip_install_pins(tokens: Sequence[str], origin: VersionOrigin) -> Iterator[VersionPin]:
    words = [token.strip("'\"") for token in tokens]
    try:
        start = next(index for index, word in enumerate(words[:-1])
                     if os.path.basename(word) in ("pip", "pip3") or word.startswith("pip3."))
    except StopIteration:
        return
    if words[start + 1] != "install":
        return
    skip_value = False
    for token in tokens[start + 2:]:
        if skip_value:
            skip_value = False
            continue
        quoted = token[:1] in ("'", '"') and token[-1:] == token[:1] and len(token) > 1
        word = token[1:-1] if quoted else token
        if word.startswith("-"):
            skip_value = word in _OPTIONS_WITH_VALUE
            continue
        if not quoted and ("<" in word or ">" in word):
            return   # a shell redirection: this and the rest are not pip's arguments
        if "{" in word or "$" in word:
            continue   # an IPython or shell variable: unknown
        pin = requirement_pin(word, origin)
        if pin is not None:
            yield pin


# -- project files ------------------------------------------------------------------------------

def project_pins(directory: str) -> Dict[str, Tuple[VersionPin, ...]]:
    """The pins of the nearest project files around ``directory``, per library."""
    found: Dict[str, Tuple[VersionPin, ...]] = {}
    start = os.path.abspath(directory)
    for current in directories_up_to_root(start, MAX_PARENT_LEVELS):
        for library, pins in _directory_pins(current).items():
            if library not in found:   # the nearest directory that pins it wins
                found[library] = tuple(_relative_to(pin, current, start) for pin in pins)
    return found


def _relative_to(pin: VersionPin, directory: str, start: str) -> VersionPin:
    """``pin`` with its file named relative to the analysed file's directory."""
    if directory == start:
        return pin
    display = os.path.relpath(os.path.join(directory, pin.origin.display), start)
    return replace(pin, origin=replace(pin.origin, display=display))


@functools.lru_cache(maxsize=512)
def _directory_pins(directory: str) -> Dict[str, Tuple[VersionPin, ...]]:
    """The pins the project files directly in ``directory`` state (read once per process)."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return {}
    readers = []
    for name in names:
        lowered = name.lower()
        if lowered.startswith("requirements") and lowered.endswith(".txt"):
            readers.append((name, _requirements_txt))
        elif lowered == "pyproject.toml":
            readers.append((name, _pyproject_toml))
        elif lowered == "setup.py":
            readers.append((name, _setup_py))
        elif lowered == "setup.cfg":
            readers.append((name, _setup_cfg))
        elif lowered in ("environment.yml", "environment.yaml"):
            readers.append((name, _environment_yml))
    grouped: Dict[str, List[VersionPin]] = {}
    for name, reader in readers:
        text = _read_text(os.path.join(directory, name))
        if text is None or not _may_pin(text):
            continue
        try:
            pins = list(reader(text, name))
        except Exception:  # a malformed project file gives no pins, never a traceback
            continue
        for pin in pins:
            grouped.setdefault(pin.library, []).append(pin)
    return {library: tuple(pins) for library, pins in grouped.items()}


def _may_pin(text: str) -> bool:
    """Can the project file ``text`` pin a tracked library? Every pin names its library (a
    requirement, a Poetry key, a repository or ``#egg=`` of a URL), and that name in canonical
    form is one of ``TRACKED_LIBRARIES``, which have no separators: the lowercased text holds it,
    unless an escape spells it (``"\\x74rl"`` in setup.py or TOML), so a text with a backslash
    is read. A project file that names none (PEFT's ``setup.cfg`` of ``egg_info`` settings) is
    not parsed at all."""
    if "\\" in text:
        return True
    lowered = text.lower()
    return any(library in lowered for library in TRACKED_LIBRARIES)


def _read_text(path: str) -> Optional[str]:
    try:
        if not os.path.isfile(path) or os.path.getsize(path) > _MAX_PROJECT_FILE_BYTES:
            return None
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return None


def _requirements_txt(text: str, name: str) -> Iterator[VersionPin]:
    for number, line in enumerate(text.splitlines(), 1):
        requirement = re.split(r"(?:^|\s)#", line, 1)[0].strip()
        if not requirement or requirement.startswith("-"):
            continue
        pin = requirement_pin(requirement, VersionOrigin(name, number))
        if pin is not None:
            yield pin


def _line_of(text: str, needle: str) -> Optional[int]:
    index = text.find(needle)
    return None if index < 0 else text.count("\n", 0, index) + 1


def _pyproject_toml(text: str, name: str) -> Iterator[VersionPin]:
    if "dependenc" not in text and "\\" not in text:
        # every table read below is named so (``dependencies``, ``optional-dependencies``,
        # ``dependency-groups``, Poetry's ``dependencies``), unless an escape spells it: a
        # file of tool settings alone (PEFT's) is not parsed (importing tomllib ~17 M instructions)
        return
    data = _toml().loads(text)
    requirements: List[str] = []
    project = data.get("project")
    if not isinstance(project, dict):
        project = {}
    requirements.extend(_strings(project.get("dependencies")))
    optional = project.get("optional-dependencies")
    if isinstance(optional, dict):
        for group in optional.values():
            requirements.extend(_strings(group))
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        for group in groups.values():
            requirements.extend(_strings(group))
    for requirement in requirements:
        pin = requirement_pin(requirement, VersionOrigin(name, _line_of(text, requirement)))
        if pin is not None:
            yield pin
    yield from _poetry_pins(data, text, name)


def _toml() -> Any:
    """The TOML reader (imported only when a project file or script metadata is read)."""
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[no-redef,import-not-found,unused-ignore]
    return tomllib


def _strings(value: object) -> List[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _poetry_pins(data: Dict[str, object], text: str, name: str) -> Iterator[VersionPin]:
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if not isinstance(poetry, dict):
        return
    tables = [poetry.get("dependencies")]
    groups = poetry.get("group")
    if isinstance(groups, dict):
        tables.extend(group.get("dependencies") for group in groups.values() if isinstance(group, dict))
    for table in tables:
        if not isinstance(table, dict):
            continue
        for key, value in table.items():
            library = canonicalize_name(key)
            if library not in TRACKED_LIBRARIES:
                continue
            constraint = value.get("version") if isinstance(value, dict) else value
            specifier = _poetry_specifier(constraint) if isinstance(constraint, str) else None
            if specifier is not None:
                line = _line_of(text, f"\n{key} ")
                yield VersionPin(library, specifier,
                                 VersionOrigin(name, line + 1 if line is not None else None))


def _poetry_specifier(constraint: str) -> Optional[SpecifierSet]:
    """Poetry's ``^0.8.6`` / ``~0.8.6`` / ``0.8.6`` / PEP 440 constraints as a SpecifierSet."""
    parts = []
    for part in constraint.split(","):
        part = part.strip()
        if part in ("", "*"):
            continue
        try:
            if part[0] in "^~" and part[:2] != "~=":
                version = Version(part[1:].strip())
                release = version.release
                if part[0] == "^":
                    significant = next((i for i, n in enumerate(release) if n), len(release) - 1)
                    upper = _bump(release, significant + 1)
                else:
                    upper = _bump(release, min(len(release), 2))
                parts.append(f">={version},<{upper}")
            elif part[0].isdigit():
                parts.append(f"=={part}")
            else:
                parts.append(part)
        except InvalidVersion:
            return None
    try:
        specifier = SpecifierSet(",".join(parts))
    except InvalidSpecifier:
        return None
    return specifier if str(specifier) else None


def _setup_py(text: str, name: str) -> Iterator[VersionPin]:
    """String literals of ``setup.py`` that are requirements (it is never run)."""
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 200:
            pin = requirement_pin(node.value, VersionOrigin(name, node.lineno))
            if pin is not None:
                yield pin


def _setup_cfg(text: str, name: str) -> Iterator[VersionPin]:
    import configparser   # ~8 M instructions to import: only for a setup.cfg that may pin

    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    values: List[str] = []
    if parser.has_option("options", "install_requires"):
        values.append(parser.get("options", "install_requires"))
    if parser.has_section("options.extras_require"):
        values.extend(value for _, value in parser.items("options.extras_require"))
    for value in values:
        for requirement in value.splitlines():
            requirement = requirement.split("#", 1)[0].strip()
            pin = requirement_pin(requirement, VersionOrigin(name, _line_of(text, requirement)))\
                if requirement else None
            if pin is not None:
                yield pin


def _environment_yml(text: str, name: str) -> Iterator[VersionPin]:
    """The ``- pip:`` list of a conda environment file (conda's own ``=`` syntax is not read)."""
    pip_indent: Optional[int] = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if re.fullmatch(r"-\s*pip\s*:", stripped):
            pip_indent = indent
            continue
        if pip_indent is None:
            continue
        if indent <= pip_indent or not stripped.startswith("-"):
            pip_indent = None
            continue
        requirement = stripped[1:].split(" #", 1)[0].strip().strip("'\"")
        pin = requirement_pin(requirement, VersionOrigin(name, number))
        if pin is not None:
            yield pin


# -- inline script metadata (PEP 723) -----------------------------------------------------------

_SCRIPT_BLOCK = re.compile(r"(?m)^# /// script[ \t]*\r?\n(?P<content>(?:^#(?:| .*)\r?\n)*?)^# ///[ \t]*$")


def script_metadata_pins(text: str) -> List[VersionPin]:
    """The pins of a ``# /// script`` block (PEP 723: what ``uv run`` / ``pipx run`` install)."""
    if "# /// script" not in text:
        return []
    match = _SCRIPT_BLOCK.search(text)
    if match is None:
        return []
    first_line = text.count("\n", 0, match.start()) + 1
    rows = match.group("content").splitlines()
    content = "\n".join(row[2:] if row.startswith("# ") else row[1:] for row in rows)
    try:
        dependencies = _strings(_toml().loads(content).get("dependencies"))
    except ValueError:   # TOMLDecodeError is a ValueError
        return []
    pins = []
    for requirement in dependencies:
        row = next((index for index, line in enumerate(rows) if requirement in line), None)
        origin = VersionOrigin("this file's script metadata",
                               first_line + 1 + row if row is not None else None, in_file=True,
                               rank=RANK_IN_FILE)
        pin = requirement_pin(requirement, origin)
        if pin is not None:
            pins.append(pin)
    return pins


# -- install commands in comments ----------------------------------------------------------------

# A whole-line comment that is an install command: ``# !pip install ...``, ``#%pip install``,
# ``# pip3 install ...``, ``# !python -m pip install``, ``# uv pip install``.
_COMMENTED_INSTALL = re.compile(
    r"(?m)^[ \t]*#+[ \t]*(?P<command>[!%]?[ \t]*(?:[\w./-]*python3?[ \t]+-m[ \t]+|uv[ \t]+)?"
    r"pip3?(?:\.\d+)?[ \t]+install[ \t].*)$")


def commented_install_pins(text: str) -> List[VersionPin]:
    """The pins of install commands written in comments of ``text`` (cited by their line)."""
    if "install" not in text:
        return []
    pins: List[VersionPin] = []
    for match in _COMMENTED_INSTALL.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        origin = VersionOrigin("a comment of this file", line, in_file=True, rank=RANK_COMMENTED)
        pins.extend(install_line_pins(match.group("command"), origin))
    return pins


# -- notebooks that run a script ----------------------------------------------------------------

# Commands that run a Python file named among their arguments.
_LAUNCHERS = frozenset(("python", "python3", "torchrun", "accelerate", "deepspeed", "%run", "uv"))


@dataclass(frozen=True)
class _Launcher:
    """A notebook of a directory: the files it runs or writes, and the pins it installs."""

    notebook: str
    runs: Tuple[str, ...]                  # absolute, normalised paths
    pins: Tuple[VersionPin, ...]


def launcher_pins(path: str) -> List[VersionPin]:
    """The pins of the notebooks that run (or ``%%writefile``) the script at ``path``: in its
    directory and the ones above it, up to the repository root or ``MAX_PARENT_LEVELS``."""
    target = os.path.normcase(os.path.abspath(path))
    start = os.path.dirname(target)
    found: List[VersionPin] = []
    for directory in directories_up_to_root(start, MAX_PARENT_LEVELS):
        for launcher in _directory_launchers(directory):
            if target in launcher.runs:
                display = os.path.relpath(os.path.join(directory, launcher.notebook), start)
                found.extend(replace(pin, origin=VersionOrigin(
                    f"{display}, the notebook that runs this script", None, rank=RANK_LAUNCHER))
                    for pin in launcher.pins)
    return found


@functools.lru_cache(maxsize=256)
def _directory_launchers(directory: str) -> Tuple[_Launcher, ...]:
    """The notebooks directly in ``directory`` that run a file (read once per process)."""
    try:
        names = sorted(name for name in os.listdir(directory) if name.endswith(".ipynb"))
    except OSError:
        return ()
    launchers = []
    for name in names:
        launcher = _read_launcher(directory, name)
        if launcher is not None:
            launchers.append(launcher)
    return tuple(launchers)


def _read_launcher(directory: str, name: str) -> Optional[_Launcher]:
    from ..sources.notebook import NotebookError, NotebookSkipped, load_notebook

    path = os.path.join(directory, name)
    try:
        if os.path.getsize(path) > _MAX_NOTEBOOK_BYTES:
            return None
        with open(path, "rb") as handle:
            raw = handle.read()
        notebook = load_notebook(raw)
    except (OSError, NotebookError, NotebookSkipped):
        return None
    lines = [text for _, text in notebook.masked_lines()]
    runs = tuple(sorted({os.path.normcase(os.path.normpath(os.path.join(directory, run)))
                         for text in lines for run in _files_run(text)}))
    if not runs:
        return None
    own = [pin for text in lines
           for pin in install_line_pins(text, VersionOrigin(name, None, rank=RANK_IN_FILE))]
    own.extend(commented_install_pins(notebook.python_source))
    pins = tuple(pin for found in merge_by_rank(own).pins.values() for pin in found)
    return _Launcher(name, runs, pins)


def _files_run(text: str) -> Iterator[str]:
    """The files an IPython line runs or writes, as written (relative to the notebook)."""
    line = text.strip()
    if line.startswith("%%writefile"):
        words = line.split()[1:]
        targets = [word for word in words if not word.startswith("-")]
        if targets:
            yield targets[0].strip("'\"")
        return
    try:
        tokens = shlex.split(line.lstrip("!").split(" #", 1)[0], posix=True)
    except ValueError:
        return
    for command in _commands(tokens):
        if not any(os.path.basename(word) in _LAUNCHERS for word in command):
            continue
        for index, word in enumerate(command):
            if word.endswith(".py") and not word.startswith("-"):
                yield word
            elif word == "-m" and index + 1 < len(command):
                module = command[index + 1].replace(".", "/")
                yield module + ".py"
                yield module + "/__main__.py"


# -- the versions of one file -------------------------------------------------------------------

def file_versions(text: str, project: Optional[Callable[[], LibraryVersions]]) -> LibraryVersions:
    """The pins of the analysed ``text`` itself (PEP 723 script metadata, install commands in
    comments) merged with ``project``'s (a notebook's install lines, the notebooks that run the
    file, the project files: see ``library_versions``) by the strength of their source."""
    pins = script_metadata_pins(text) + commented_install_pins(text)
    if project is not None:
        pins.extend(pin for found in project().pins.values() for pin in found)
    return merge_by_rank(pins)


def library_versions(path: Optional[str], install_lines: Iterable[Tuple[str, VersionOrigin]] = ()
                     ) -> LibraryVersions:
    """The pins that apply to the file at ``path`` (None: no files around it are read).

    ``install_lines``: the file's own install lines (a notebook's IPython lines) with where
    each is written; they win over the notebooks that run the file and the project files.
    """
    pins: List[VersionPin] = []
    for text, origin in install_lines:
        pins.extend(install_line_pins(text, replace(origin, rank=RANK_IN_FILE)))
    if path is not None:
        directory = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(directory):
            if not path.endswith(".ipynb"):
                pins.extend(launcher_pins(path))
            pins.extend(pin for found in project_pins(directory).values() for pin in found)
    return merge_by_rank(pins)
