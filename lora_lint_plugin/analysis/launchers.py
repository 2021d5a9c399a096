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
its own before the command (``_ShellVariables``), or by the default it assigns from one of its
own parameters (``CONFIG="${2:-small}"``: ``small``, a default the value then says it is, as
the code's defaults do). Any other ``$`` or backquote, a command that
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
    """An option's literal value (None: given as a bare flag) and the launcher it comes from;
    ``parameter``: the launcher's own parameter (``$2``, ``$MODEL``) whose default the value
    is (``CONFIG="${2:-small}"`` ... ``--config $CONFIG``), if it is one."""

    text: Optional[str]
    launcher: str
    parameter: Optional[str] = None


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
    commands: List[Tuple[str, Dict[str, Optional[str]], Dict[str, str]]] = []
    options_first = True
    for launcher, tops in _launchers_around(os.path.dirname(target)):
        text = _read(launcher)
        variables = _ShellVariables(text)
        for words in _commands(text):
            variables.note(words)
            arguments = _arguments_of(words, target, tops)
            if arguments is not None:
                defaulted: Dict[str, str] = {}
                commands.append((launcher, _parsed_options(arguments, variables, defaulted),
                                 defaulted))
                options_first = options_first and bool(arguments) \
                    and arguments[0].startswith("-")
    return LauncherOptions(_agreed(commands, os.path.dirname(target)),
                           options_first=bool(commands) and options_first)


def _agreed(commands: List[Tuple[str, Dict[str, Optional[str]], Dict[str, str]]],
            directory: str) -> Dict[str, Union[LauncherValue, _Ambiguous]]:
    names = {name for _, options, _ in commands for name in options}
    agreed: Dict[str, Union[LauncherValue, _Ambiguous]] = {}
    for name in names:
        texts = {options.get(name, _MISSING) for _, options, _ in commands}
        parameters = {defaulted.get(name) for _, _, defaulted in commands}
        if len(texts) != 1 or _MISSING in texts or _VARIABLE in texts or len(parameters) != 1:
            agreed[name] = AMBIGUOUS
            continue
        launcher = next(launcher for launcher, options, _ in commands if name in options)
        agreed[name] = LauncherValue(texts.pop(), os.path.relpath(launcher, directory),
                                     parameters.pop())
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
    nor is any variable of a launcher that runs ``source``, ``.`` or ``eval`` (other than
    ``source .../bin/activate``, a virtual environment's activation). One assigned
    the default of a parameter of the launcher (``CONFIG="${2:-small}"``, ``${MODEL:-org/x}``)
    holds that default, which the person running it may replace: ``defaults`` names the
    parameter, and so does every option value it is expanded into."""

    def __init__(self, text: str) -> None:
        self.values: Dict[str, str] = {}
        self.defaults: Dict[str, str] = {}   # variable -> the launcher parameter it defaults
        self._once: Set[str] = set()
        if any(match.group().rstrip().endswith("eval")
               or _VENV_ACTIVATION.match(text, match.end()) is None
               for match in _SOURCES_OR_EVALS.finditer(text)):
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
        if name not in self._once:
            return
        if "$" not in value and "`" not in value:
            self.values[name] = value
            return
        default = _PARAMETER_DEFAULT.fullmatch(value)
        if default is not None:
            self.values[name] = default.group("word")
            self.defaults[name] = "$" + default.group("parameter")

    def defaults_in(self, text: str) -> List[str]:
        """The launcher parameters whose defaults the known variables in ``text`` hold."""
        return sorted({self.defaults[name] for match in _REFERENCE.finditer(text)
                       for name in [match.group("braced") or match.group("plain")]
                       if name in self.defaults})

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
# ``source venv/bin/activate``: a virtual environment's activation script sets PATH,
# VIRTUAL_ENV and the prompt, none of the launcher's own variables
_VENV_ACTIVATION = re.compile(r"[ \t]*[\w./${}\"'-]*bin/activate[\"']?[ \t]*(?:$|[;&|#])", re.M)
# ``${2:-small}`` / ``${MODEL:-org/x}`` (``-`` without ``:`` too): a literal default word
_PARAMETER_DEFAULT = re.compile(r"\$\{(?P<parameter>[0-9]|[A-Za-z_][A-Za-z0-9_]*):?-"
                                r"(?P<word>[^$`{}]+)\}")
_REFERENCE = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")


def _arguments_of(words: List[str], target: str, tops: Sequence[str]) -> Optional[List[str]]:
    """The words after the one that names ``target``; None when no word does."""
    name = os.path.basename(target)
    for index, word in enumerate(words):
        if os.path.basename(word) == name and any(
                os.path.realpath(os.path.join(top, word)) == target for top in tops):
            return words[index + 1:]
    return None


def _parsed_options(words: Sequence[str], variables: Optional[_ShellVariables] = None,
                    defaulted: Optional[Dict[str, str]] = None) -> Dict[str, Optional[str]]:
    """The options ``words`` pass; ``defaulted`` receives the options whose value is the
    default of a launcher parameter (option -> ``$2``)."""
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
            parameters = variables.defaults_in(value) if expanded is not None and variables \
                else []
            if len(parameters) > 1:
                options[name] = _VARIABLE   # the defaults of several parameters: left alone
            elif parameters and defaulted is not None:
                defaulted[name] = parameters[0]
        else:
            options[name] = value
    return options
