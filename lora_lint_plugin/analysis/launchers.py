"""Launcher scripts: the command-line options a project's shell scripts pass to a script.

``scripts/run_sft.sh`` holding ``torchrun ... training/sft.py --model_name_or_path
Qwen/Qwen2.5-7B --lora_rank 8`` says how the project runs ``training/sft.py``. The second
resolution tier (``defaults.py``) reads an option's value there before the default in the code:
the launcher is what runs, the default only what would run without it.

Read, never executed: ``*.sh`` files in the script's directory, its parent and grandparent,
and their ``scripts/`` subdirectories (at most ``MAX_LAUNCHERS`` files of at most
``MAX_LAUNCHER_BYTES`` each, once per directory and process). A command runs the script when
one of its words is a path to it, relative to the launcher's directory or one above it. An
option is known when every command that runs the script passes it with the same literal value;
``$NAME``/``${NAME}`` is replaced by a literal the launcher assigns ``NAME`` once, on a line of
its own before the command (``_ShellVariables``). Any other ``$`` or backquote, a command that
leaves the option out while another passes it, or differing values make it ``AMBIGUOUS``
(unknown, never the code's default). ``options_first`` tells whether every such command
passes an option first (then ``sys.argv[1]`` names no config file). Nothing is read unless a
rule needs an option's value.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple, Union

from ..fast_dataclass import dataclass

MAX_PARENT_LEVELS = 2
MAX_LAUNCHERS = 32
MAX_LAUNCHER_BYTES = 64 * 1024
_SHELL_OPERATORS = frozenset(";&|<>()")


@dataclass(frozen=True)
class LauncherValue:
    """An option's literal value (None: given as a bare flag) and the launcher it comes from."""

    text: Optional[str]
    launcher: str


class _Ambiguous:
    def __repr__(self) -> str:
        return "AMBIGUOUS"


AMBIGUOUS = _Ambiguous()
LauncherLookup = Union[LauncherValue, _Ambiguous, None]   # None: no launcher passes it


@dataclass(frozen=True)
class LauncherOptions:
    """The options the launchers of one script pass to it, by option string (``--lora_r``)."""

    options: Dict[str, Union[LauncherValue, _Ambiguous]]
    # Every command that runs the script passes an option first (``train.py --lr 1e-4``, not
    # ``train.py config.json``): ``sys.argv[1]`` is then an option, never a config file.
    options_first: bool = False

    def value(self, option_strings: Sequence[str]) -> LauncherLookup:
        """The value of the option spelled ``option_strings`` (``--lora_r``, ``--lora-r``);
        AMBIGUOUS also when a launcher may abbreviate it (argparse accepts unique prefixes)."""
        found: LauncherLookup = None
        for name, value in self.options.items():
            if name in option_strings:
                if found is not None and found != value:
                    return AMBIGUOUS
                found = value
            elif any(spelled.startswith(name) for spelled in option_strings):
                return AMBIGUOUS
        return found


NO_LAUNCHERS = LauncherOptions({})


@functools.lru_cache(maxsize=256)
def launcher_options(path: Optional[str]) -> LauncherOptions:
    """What the launchers around ``path`` pass to it (``NO_LAUNCHERS`` when none runs it)."""
    if not path or not os.path.isfile(path):
        return NO_LAUNCHERS
    target = os.path.realpath(path)
    commands: List[Tuple[str, Dict[str, Optional[str]]]] = []
    options_first = True
    for launcher, tops in _launchers_around(os.path.dirname(target)):
        text = _read(launcher)
        variables = _ShellVariables(text)
        for words in _commands(text):
            variables.note(words)
            arguments = _arguments_of(words, target, tops)
            if arguments is not None:
                commands.append((launcher, _parsed_options(arguments, variables)))
                options_first = options_first and bool(arguments) \
                    and arguments[0].startswith("-")
    return LauncherOptions(_agreed(commands, os.path.dirname(target)),
                           options_first=bool(commands) and options_first)


def _agreed(commands: List[Tuple[str, Dict[str, Optional[str]]]],
            directory: str) -> Dict[str, Union[LauncherValue, _Ambiguous]]:
    names = {name for _, options in commands for name in options}
    agreed: Dict[str, Union[LauncherValue, _Ambiguous]] = {}
    for name in names:
        texts = {options.get(name, _MISSING) for _, options in commands}
        if len(texts) != 1 or _MISSING in texts or _VARIABLE in texts:
            agreed[name] = AMBIGUOUS
            continue
        launcher = next(launcher for launcher, options in commands if name in options)
        agreed[name] = LauncherValue(texts.pop(), os.path.relpath(launcher, directory))
    return agreed


_MISSING = "\0missing"
_VARIABLE = "\0variable"


@functools.lru_cache(maxsize=256)
def _launchers_around(directory: str) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    """(launcher path, directories a relative path in it may start from), near ``directory``."""
    levels = [directory]
    for _ in range(MAX_PARENT_LEVELS):
        parent = os.path.dirname(levels[-1])
        if parent == levels[-1]:
            break
        levels.append(parent)
    found: List[Tuple[str, Tuple[str, ...]]] = []
    for level in levels:
        for folder in (level, os.path.join(level, "scripts")):
            for name in _shell_scripts(folder):
                launcher = os.path.join(folder, name)
                tops = tuple(base for base in levels
                             if folder == base or folder.startswith(base + os.sep))
                found.append((launcher, (folder, *tops)))
                if len(found) >= MAX_LAUNCHERS:
                    return tuple(found)
    return tuple(found)


def _shell_scripts(folder: str) -> List[str]:
    try:
        return sorted(name for name in os.listdir(folder)
                      if name.endswith(".sh") and os.path.isfile(os.path.join(folder, name)))
    except OSError:
        return []


def _read(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_LAUNCHER_BYTES + 1)
    except OSError:
        return ""
    if len(data) > MAX_LAUNCHER_BYTES:
        return ""
    return data.decode("utf-8", errors="replace")


def _commands(text: str) -> Iterator[List[str]]:
    """The words of each command line (continuation lines joined), comments dropped."""
    logical = text.replace("\\\r\n", " ").replace("\\\n", " ")
    for line in logical.splitlines():
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            lexer.commenters = "#"
            words = list(lexer)
        except ValueError:
            continue   # an unterminated quote: not a command we can read
        command: List[str] = []
        for word in words:
            if word and set(word) <= _SHELL_OPERATORS:
                if command:
                    yield command
                command = []
            else:
                command.append(word)
        if command:
            yield command


class _ShellVariables:
    """The shell variables a launcher assigns a literal once, at the start of a line of its own
    (``DATA_FS="/root/autodl-tmp"``), and so certainly holds from there on. A variable assigned
    twice, indented (inside an ``if``, a loop or a function), with ``+=``, by ``read``,
    ``for``, ``getopts`` or ``${X:=...}``, or given a value that is not a literal is not known;
    nor is any variable of a launcher that runs ``source``, ``.`` or ``eval``."""

    def __init__(self, text: str) -> None:
        self.values: Dict[str, str] = {}
        self._once: Set[str] = set()
        if _SOURCES_OR_EVALS.search(text):
            return
        counts: Dict[str, int] = {}
        unknown: Set[str] = set()
        for match in _ASSIGNMENT.finditer(text):
            name = match.group("name")
            counts[name] = counts.get(name, 0) + 1
            if match.group("indent") or match.group("append"):
                unknown.add(name)
        for match in _OTHER_BINDINGS.finditer(text):
            unknown.update(word for word in match.group("names").split() if _NAME.fullmatch(word))
        self._once = {name for name, count in counts.items() if count == 1} - unknown

    def note(self, words: Sequence[str]) -> None:
        """A command that is one assignment (not ``X=1 command``, whose ``X`` is the
        command's alone)."""
        if len(words) == 2 and words[0] in ("export", "readonly"):
            words = words[1:]
        if len(words) != 1 or "=" not in words[0]:
            return
        name, value = words[0].split("=", 1)
        if name in self._once and "$" not in value and "`" not in value:
            self.values[name] = value

    def expand(self, text: str) -> Optional[str]:
        """``text`` with ``$NAME`` / ``${NAME}`` of known variables replaced; None when
        anything else (``$1``, ``${X:-default}``, ``$(...)``, an unknown variable) is in it."""
        if "`" in text:
            return None
        unknown = False

        def replace(match: "re.Match[str]") -> str:
            nonlocal unknown
            name = match.group("braced") or match.group("plain")
            if name not in self.values:
                unknown = True
                return ""
            return self.values[name]
        expanded = _REFERENCE.sub(replace, text)
        return None if unknown or "$" in expanded else expanded


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(r"(?m)^(?P<indent>[ \t]*)(?:(?:export|local|declare|readonly|typeset)"
                         r"(?:[ \t]+-\w+)*[ \t]+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<append>\+?)=")
_OTHER_BINDINGS = re.compile(r"(?m)(?:\bfor[ \t]+|\bread\b|\bgetopts[ \t]+\S+|\$\{(?=\w+:?=))"
                             r"(?P<names>[ \t\w-]*)")
_SOURCES_OR_EVALS = re.compile(r"(?m)(?:^|[;&|])[ \t]*(?:source|\.|eval)[ \t]")
_REFERENCE = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")


def _arguments_of(words: List[str], target: str, tops: Sequence[str]) -> Optional[List[str]]:
    """The words after the one that names ``target``; None when no word does."""
    name = os.path.basename(target)
    for index, word in enumerate(words):
        if os.path.basename(word) == name and any(
                os.path.realpath(os.path.join(top, word)) == target for top in tops):
            return words[index + 1:]
    return None


def _parsed_options(words: Sequence[str],
                    variables: Optional[_ShellVariables] = None) -> Dict[str, Optional[str]]:
    options: Dict[str, Optional[str]] = {}
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if not word.startswith("--") or word == "--":
            continue
        if "=" in word:
            name, value = word.split("=", 1)
        elif index < len(words) and not words[index].startswith("-"):
            name, value = word, words[index]
            index += 1
        else:
            options[word] = None   # a bare flag (``--do_train``)
            continue
        if "$" in value or "`" in value:
            expanded = variables.expand(value) if variables is not None else None
            options[name] = _VARIABLE if expanded is None else expanded
        else:
            options[name] = value
    return options
