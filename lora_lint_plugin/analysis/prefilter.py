"""Cheap tests that decide whether a file is worth analysing at all.

flake8 runs every installed plugin on every file, so lora-lint must cost next to nothing on
code that never fine-tunes a model. Two gates, cheapest first:

1. ``might_contain_training_code(source)`` (``text_prefilter.py``, which imports nothing of
   the analysis: the flake8 plugin asks it before loading anything else): a file can only
   hold a training setup if it imports one of the LoRA libraries *and* names one of the calls
   the rules look at; both tests are substring or line-anchored regex searches on the text.
2. ``has_candidate_call(tree)``: on the ``ast`` tree (flake8 has already built it; the CLI
   pays one ``ast.parse``, ``ast_parsing.py``), is there at least one call whose callee, followed through the
   file's imports, is one the extractor recognises? Every rule reports about a recognised
   call, so a file without one has nothing to report, and the scope analysis and extraction
   are skipped. The test
   over-approximates the extractor's name resolution (imports in any scope count everywhere,
   ``*`` imports count as a candidate), so it never hides a call the full analysis would see.
   Given the source too, it first looks for the recognisable names before a ``(`` in the
   text: library code names them in docstrings and comments, which a few statements' positions
   tell apart from code, so most such files are rejected without a walk of their nodes.
"""

from __future__ import annotations

import ast
import functools
from typing import Dict, FrozenSet, List, Optional, Set, Tuple, Union, cast

from .callees import LOADER_METHODS, classify, linking_facts
from .nodes import REVERSED_FIELDS, child_nodes, reversed_node_fields
from .scopes import import_binding
from .text_prefilter import might_contain_training_code  # noqa: F401  (the first gate, re-exported)

# Top-level packages whose calls ``callees.classify`` can recognise.
_RECOGNISED_ROOTS = frozenset(("peft", "trl", "unsloth", "transformers"))


def _note_recognised_imports(node: Union[ast.Import, ast.ImportFrom],
                             bindings: Dict[str, Set[str]]) -> bool:
    """Add the names ``node`` binds to a recognised library; True for ``from lib import *``."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] in _RECOGNISED_ROOTS:
                local, target = import_binding(alias)
                bindings.setdefault(local, set()).add(target)
        return False
    if node.level or not node.module or node.module.split(".")[0] not in _RECOGNISED_ROOTS:
        return False
    for alias in node.names:
        if alias.name == "*":
            return True
        local, target = import_binding(alias, node.module)
        bindings.setdefault(local, set()).add(target)
    return False


def has_candidate_call(tree: ast.AST, source: Optional[str] = None) -> bool:
    """False only when no call in ``tree`` can be one the extractor recognises.

    ``tree`` is the module's ``ast``; ``source``, its text when the caller has it, lets most
    files be answered from a text search and the few statements it points at
    (``_answer_from_text``) without a walk of every node. Nodes are visited in source order,
    so a call after the imports it needs answers at once; calls seen before a (late) import
    are checked at the end.
    """
    if source is not None and isinstance(tree, ast.Module):
        answer = _answer_from_text(tree, source)
        if answer is not None:
            return answer
    bindings: Dict[str, Set[str]] = {}
    deferred: List[ast.expr] = []
    last_names = _recognisable_last_names()
    pending: List[ast.AST] = [tree]
    pop, push, extend = pending.pop, pending.append, pending.extend
    fields_of = REVERSED_FIELDS.get
    name_class, constant_class, attribute_class, call_class = \
        ast.Name, ast.Constant, ast.Attribute, ast.Call
    keyword_class = ast.keyword
    while pending:  # the exact class: ``ast.parse`` builds no subclasses of its node types
        node = pop()
        kind = type(node)
        if kind is name_class or kind is constant_class or node is None:
            continue   # leaves (and the ``None`` of ``{**a}`` keys, keyword-only defaults)
        if kind is attribute_class or kind is keyword_class:   # one field: inline
            value = node.value   # type: ignore[attr-defined]
            if type(value) is not name_class:   # ``self.x``: nothing below
                push(value)
            continue
        if kind is call_class:
            callee = node.func   # type: ignore[attr-defined]
            extend(reversed(node.keywords))   # type: ignore[attr-defined]
            extend(reversed(node.args))   # type: ignore[attr-defined]
            push(callee)
            # Only a call of an imported name, or of an attribute named like a modelled
            # callee (``peft.LoraConfig``, ``Loader.from_pretrained``), can be recognised:
            # the others are never looked up (most calls).
            callee_class = type(callee)
            if callee_class is name_class:
                if callee.id in bindings and _may_be_recognised(callee, bindings):
                    return True
                deferred.append(callee)   # bound by a later import?
            elif callee_class is attribute_class and callee.attr in last_names:
                if _may_be_recognised(callee, bindings):
                    return True
                deferred.append(callee)
            continue
        for name in fields_of(kind) or reversed_node_fields(kind):  # popped in field order
            value = getattr(node, name, None)
            if type(value) is list:
                extend(reversed(value))
            elif value is not None:
                push(value)
        if kind is ast.Import or kind is ast.ImportFrom:
            if _note_recognised_imports(cast(Union[ast.Import, ast.ImportFrom], node), bindings):
                return True  # names we cannot see: let the full analysis decide
    return bool(bindings) and any(_may_be_recognised(callee, bindings) for callee in deferred
                                  if type(callee) is not name_class or callee.id in bindings)


def _answer_from_text(tree: ast.Module, source: str) -> Optional[bool]:
    """The walk's answer, told from the text and a few statements; None when unsure.

    The walk accepts a call only when its callee's last name is one ``classify`` can
    recognise (``_recognisable_last_names``: ``peft.LoraConfig``, ``X.from_pretrained``), or
    is an imported name bound to one (``from peft import LoraConfig as LC``), or when a
    recognised library is imported with ``*``. In the text, the first is such a name right
    before a call's ``(``, the second such a name right before ``as`` (with only blanks,
    comments, line continuations or closing parentheses between), the third ``import *``.
    Library code names these calls mostly in docstrings, comments and ``def from_pretrained(``:
    an occurrence there is no call. For one in code, the calls whose callee ends there are
    asked what the walk asks them, with every import of the file (``_call_verdict``). A file
    with non-ASCII characters that Python folds into ASCII letters in names (NFKC:
    ``ＬoraConfig``), with ``\\r`` line ends (lines of their own in ``ast`` positions), or with
    ``import *`` or a renamed import of such a name is left to the walk."""
    if "\r" in source or _imports_all(source) \
            or not source.isascii() and _folds_to_ascii(source):
        return None
    bindings: Optional[Dict[str, Set[str]]] = None   # every import's, found on first need
    module_imports: Dict[str, Set[str]] = {}   # the module body's: most files need no more
    imported_at: Dict[str, int] = {}   # the module statement that first imports a name
    for index, top in enumerate(tree.body):
        if isinstance(top, (ast.Import, ast.ImportFrom)):
            _note_recognised_imports(top, module_imports)
            if len(module_imports) > len(imported_at):   # the names new here come last
                for local in list(module_imports)[len(imported_at):]:
                    imported_at[local] = index
    calls: Dict[int, Dict[Tuple[int, int], List[ast.Call]]] = {}   # per statement, by callee end
    children: Dict[int, List[ast.stmt]] = {}   # per compound statement: asked once per occurrence
    unsure = False
    for anchor, heads, anchored in _anchored_names():
        # a line's number: counted on from the last occurrence's (each anchor's occurrences
        # come in order, so the text is counted at most once per anchor)
        counted, line = 0, 1
        found = source.find(anchor)
        while found >= 0:
            end = found + len(anchor)   # every anchor ends the names it stands for
            following = _call_or_rename_after(source, end)
            start = _name_start(source, found, end, heads, anchored) if following else -1
            if following and start >= 0:
                line += source.count("\n", counted, start)
                counted = start
                before = source[source.rfind("\n", 0, start) + 1:start]
                column = len(before.encode("utf-8", "surrogatepass"))   # ``ast``: UTF-8 columns
                statement = None if _ends_defining(before) or _in_comment(before) \
                    else _statement_around(tree.body, (line, column), children)
                if statement is not None:
                    if following == "as":
                        return None   # a renamed import: the new name's calls are not seen
                    by_end = calls.get(id(statement))
                    if by_end is None:
                        by_end = calls[id(statement)] = _calls_by_callee_end(statement)
                    for call in by_end.get((line, column + end - start), ()):
                        if _accepted_with_some_imports(call.func, module_imports):
                            return True
                        if bindings is None:
                            bindings = _imported_bindings(tree)
                            if bindings is None:
                                return None
                        at = _index_ending_after(tree.body, (line, column))
                        verdict = _call_verdict(call.func, bindings, imported_at, at)
                        if verdict:
                            return True
                        unsure = unsure or verdict is None
            found = source.find(anchor, found + 1)
    return None if unsure else False


def _accepted_with_some_imports(callee: ast.expr, imports: Dict[str, Set[str]]) -> bool:
    """Does the walk accept a call of ``callee`` with ``imports`` among the file's? A name or
    ``X.a.b`` that ``classify`` recognises through them stays recognised with more targets;
    ``X.from_pretrained`` of an ``X`` not in them is asked again with every import."""
    root = callee
    while isinstance(root, ast.Attribute):
        root = root.value
    return isinstance(root, ast.Name) and root.id in imports \
        and _may_be_recognised(callee, imports)


def _call_verdict(callee: ast.expr, bindings: Dict[str, Set[str]],
                  imported_at: Dict[str, int], top: int) -> Optional[bool]:
    """Does the walk accept a call of ``callee``, given every import of the file? It asks
    with the imports met so far, then with all of them: more imports only add targets,
    except for ``X.from_pretrained(...)`` (a loader method), which it accepts for an ``X``
    not imported yet and asks ``classify`` about once ``X`` is: None (unsure) there, unless
    a module statement before the call's (``top``, its index) imports ``X``."""
    if _may_be_recognised(callee, bindings):
        return True
    if type(callee) is ast.Attribute and callee.attr in LOADER_METHODS \
            and type(callee.value) is ast.Name and callee.value.id in bindings \
            and imported_at.get(callee.value.id, top) >= top:
        return None
    return False


def _imported_bindings(tree: ast.Module) -> Optional[Dict[str, Set[str]]]:
    """What every import of a recognised library binds, in any scope (statements only: no
    expression holds an import); None for ``from lib import *``."""
    bindings: Dict[str, Set[str]] = {}
    pending: List[List[ast.stmt]] = [tree.body]
    while pending:
        for statement in pending.pop():
            kind = type(statement)
            if kind is ast.Import or kind is ast.ImportFrom:
                if _note_recognised_imports(statement, bindings):  # type: ignore[arg-type]
                    return None
            else:
                children = _child_statements(statement)
                if children:
                    pending.append(children)
    return bindings


def _calls_by_callee_end(statement: ast.stmt) -> Dict[Tuple[int, int], List[ast.Call]]:
    """The calls in ``statement`` outside the statements it holds (a compound statement's
    header, decorators, ``except`` types, ``case`` patterns), by where their callee ends."""
    found: Dict[Tuple[int, int], List[ast.Call]] = {}
    pending: List[ast.AST] = [statement]
    pop, extend = pending.pop, pending.extend
    while pending:
        node = pop()
        kind = type(node)   # the exact class: ``ast.parse`` builds no subclasses of its node types
        if kind is ast.Name or kind is ast.Constant:
            continue   # leaves (a third of the nodes): nothing below
        if kind is ast.Call:
            callee = node.func   # type: ignore[attr-defined]
            end = (callee.end_lineno or 0, callee.end_col_offset or 0)
            found.setdefault(end, []).append(node)   # type: ignore[arg-type]
        if isinstance(node, ast.expr):   # no statement below an expression: no filter (most nodes)
            extend(child_nodes(node))
        else:
            extend([child for child in child_nodes(node) if not isinstance(child, ast.stmt)])
    return found


def _in_comment(before: str) -> bool:
    """Is what follows ``before`` (its line so far) in a comment? Yes after a ``#`` with no
    quote before it on the line; not after a ``{`` (the line may go on a triple-quoted
    f-string, where ``# {call()}`` holds a call)."""
    hash_mark = before.find("#")
    return hash_mark >= 0 and "{" not in before[hash_mark:] \
        and "'" not in before[:hash_mark] and '"' not in before[:hash_mark]


def _statement_around(statements: List[ast.stmt], position: Tuple[int, int],
                      known_children: Dict[int, List[ast.stmt]]) -> Optional[ast.stmt]:
    """The innermost statement whose text holds ``position`` (line, UTF-8 column) and may
    hold an expression there: None between statements (a comment or a blank) and in a bare
    string (a docstring); a compound statement when it is not in one of its statements (its
    header, its ``else:``, a comment). ``known_children``: ``_child_statements`` by statement
    id, filled here (a class of a hundred methods is listed once, not per occurrence in it)."""
    while True:
        statement = _statement_ending_after(statements, position)
        if statement is None or _start(statement) > position:
            return None   # after the last statement, or between two
        children = known_children.get(id(statement))
        if children is None:
            children = known_children[id(statement)] = _child_statements(statement)
        if not children:
            docstring = type(statement) is ast.Expr \
                and type(statement.value) is ast.Constant
            return None if docstring else statement
        inner = _statement_ending_after(children, position)
        if inner is None or _start(inner) > position:
            return statement
        statements = children


def _statement_ending_after(statements: List[ast.stmt],
                            position: Tuple[int, int]) -> Optional[ast.stmt]:
    """The first of ``statements`` (in source order) that ends after ``position``."""
    index = _index_ending_after(statements, position)
    return statements[index] if index < len(statements) else None


def _index_ending_after(statements: List[ast.stmt], position: Tuple[int, int]) -> int:
    """The index of the first of ``statements`` that ends after ``position`` (a binary
    search: they are in source order)."""
    low, high = 0, len(statements)
    while low < high:
        middle = (low + high) // 2
        statement = statements[middle]
        if (statement.end_lineno, statement.end_col_offset) <= position:
            low = middle + 1
        else:
            high = middle
    return low


def _start(statement: ast.stmt) -> Tuple[int, int]:
    """Where ``statement`` starts: at its first decorator, if it has any."""
    decorators = getattr(statement, "decorator_list", None)
    first = decorators[0] if decorators else statement
    return first.lineno, first.col_offset


# The fields of a statement that hold statements (or handlers and match cases, which do).
_STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")


# Per statement class: its fields among ``_STATEMENT_LISTS`` (none for most).
_STATEMENT_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _child_statements(statement: ast.stmt) -> List[ast.stmt]:
    """The statements directly inside a compound statement, in source order (those of its
    ``except`` handlers and ``case`` clauses included)."""
    kind = type(statement)
    fields = _STATEMENT_FIELDS.get(kind)
    if fields is None:
        fields = _STATEMENT_FIELDS[kind] = tuple(
            name for name in kind._fields if name in _STATEMENT_LISTS)
    children: List[ast.stmt] = []
    for name in fields:
        for item in getattr(statement, name):
            if isinstance(item, ast.stmt):
                children.append(item)
            else:   # an ``except`` handler or a ``case``
                children.extend(item.body)
    return children


def _imports_all(source: str) -> bool:
    """Does ``source`` hold ``import *`` (``str.find`` is a fast C search, a pattern is not)?"""
    found = source.find("import")
    while found >= 0:
        if _star_follows(source, found + 6):
            return True
        found = source.find("import", found + 6)
    return False


def _folds_to_ascii(source: str) -> bool:
    """Can a non-ASCII character of ``source`` stand in a name and become an ASCII letter,
    digit or ``_`` (or nothing) there, as ``Ｌ`` and ``ᵀ`` do (``³`` and ``…`` stand in no
    name)?"""
    others = source.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES) \
        .decode("utf-8", "surrogatepass")
    for character in set(others):
        if ("a" + character).isidentifier():   # what Python's tokenizer asks of a name
            import unicodedata   # (~0.5 M instructions to load: only for such files)

            folded = unicodedata.normalize("NFKC", character)
            if not folded or any(part in _NAME_CHARACTERS for part in folded):
                return True
    return False


_ASCII_BYTES = bytes(range(128))


# The three text tests below answer as the patterns in tests/test_text_scans.py, which they
# replace: compiling a pattern costs ~0.2-0.5 M instructions in every fresh process (issue 13).
def _star_follows(source: str, position: int) -> bool:
    """Is ``position`` followed by a ``*`` with only blanks and ``\\`` before it?"""
    length = len(source)
    while position < length:
        character = source[position]
        if character == "*":
            return True
        if not (character.isspace() or character == "\\"):
            return False
        position += 1
    return False


def _ends_defining(before: str) -> bool:
    """Does ``before`` (a line up to a name) end with ``def`` or ``class`` and blanks, so that
    the name is the one defined: ``def from_pretrained(`` is no call."""
    text = before[:-1] if before.endswith("\n") else before
    for candidate in (before, text):   # ``$`` also matches before a final line end
        stripped = candidate.rstrip(" \t")
        if len(stripped) < len(candidate):
            for keyword in ("def", "class"):
                start = len(stripped) - len(keyword)
                if stripped.endswith(keyword) and (start == 0 or not _is_word(stripped[start - 1])):
                    return True
    return False


def _call_or_rename_after(source: str, position: int) -> str:
    """``"("`` when a call's ``(`` follows ``position``, ``"as"`` when an import's renaming
    ``as`` does, ``""`` otherwise; what may stand before either: blanks, comments, line
    continuations, closing parentheses. As the pattern, a ``(`` or ``as`` in such a comment
    counts too, and of the reachable ones the last is the answer."""
    first = source[position:position + 1]
    if first == "(":
        return "("
    if not (first == "#" or first == "\\" or first == ")" or first.isspace()):
        return "as" if _as_at(source, position) else ""
    length, covered, index = len(source), position, position   # up to ``covered``: a comment
    while index < length:
        character = source[index]
        if character == "#":
            line_ends = [end for end in (source.find("\n", index), source.find("\r", index)) if end >= 0]
            covered = max(covered, min(line_ends) if line_ends else length)
        elif index >= covered and not (character.isspace() or character == "\\" or character == ")"):
            break
        index += 1
    call = source.rfind("(", position, index + 1)
    rename = source.rfind("as", position, index + 2)
    while rename >= 0 and not _as_at(source, rename):
        rename = source.rfind("as", position, rename + 1)
    if call < 0 and rename < 0:
        return ""
    return "(" if call > rename else "as"


def _as_at(source: str, position: int) -> bool:
    """``as`` at ``position``, as a whole word's end (``\\b``)."""
    return source.startswith("as", position) and not (
        position + 2 < len(source) and _is_word(source[position + 2]))


def _is_word(character: str) -> bool:
    """What ``\\w`` matches in a ``str`` pattern."""
    return character.isalnum() or character == "_"


_NAME_CHARACTERS = "_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Common ends of recognisable names: one ``str.find`` (a fast C search) per end, not per name.
_NAME_ENDS = ("Config", "Trainer", "Arguments")


@functools.lru_cache(maxsize=1)
def _anchored_names() -> Tuple[Tuple[str, Tuple[str, ...], Tuple[str, ...]], ...]:
    """Strings whose occurrences include every recognisable last name's end, the anchors: a
    name's first common end (``_NAME_ENDS``), or the name itself. Per anchor, the common ones
    first (a file with a call answers at the first of them): what stands before it in the
    recognisable names that end with it, and those names (sorted)."""
    # Built on every process's first file, so searched in one text of the names, a line each:
    # a loop step per name found, where ``endswith`` per name and anchor cost ~0.3 M.
    names = sorted(_recognisable_last_names())
    listing = "\n".join(names) + "\n"
    ending_with: Dict[str, List[str]] = {}
    unclaimed = set(names)   # names without a common end so far
    for end in _NAME_ENDS:
        found = _names_ending_with(listing, end)
        if not unclaimed.isdisjoint(found):   # the first common end of some name
            ending_with[end] = found
            unclaimed.difference_update(found)
    for name in unclaimed:
        ending_with[name] = _names_ending_with(listing, name)
    ordered = sorted(ending_with, key=lambda anchor: (anchor not in _NAME_ENDS[:1], anchor))
    return tuple([(anchor, tuple([name[:-len(anchor)] for name in ending_with[anchor]]),
                   tuple(ending_with[anchor])) for anchor in ordered])


def _names_ending_with(listing: str, end: str) -> List[str]:
    """The names of ``listing`` (one per line, each line ended by ``\\n``) that end with ``end``,
    in its order."""
    found = []
    line_end = end + "\n"
    at = listing.find(line_end)
    while at >= 0:
        found.append(listing[listing.rfind("\n", 0, at) + 1:at + len(end)])
        at = listing.find(line_end, at + 1)
    return found


def _name_start(source: str, found: int, end: int, heads: Tuple[str, ...],
                anchored: Tuple[str, ...]) -> int:
    """Where the name that ends at ``end`` (its anchor found at ``found``) starts, when that
    whole name is one of ``anchored`` (its ``heads`` before the anchor); else -1. A name is
    the longest run of name characters (``_NAME_CHARACTERS``) before ``end``: one of
    ``anchored`` written there, with no name character before it. One ``endswith`` turns
    most occurrences away (``PeftConfig``), instead of a scan back over the run."""
    if not source.endswith(heads, 0, found):
        return -1
    for name in anchored:
        start = end - len(name)
        if start >= 0 and source.startswith(name, start) \
                and (start == 0 or source[start - 1] not in _NAME_CHARACTERS):
            return start
    return -1


@functools.lru_cache(maxsize=1)
def _recognisable_last_names() -> FrozenSet[str]:
    """The last name of every callee ``callees.classify`` can recognise through an attribute
    (``peft.LoraConfig``, ``AutoModelForCausalLM.from_pretrained``)."""
    return frozenset(name for _, name in linking_facts().modelled_calls) | frozenset(LOADER_METHODS)


def _may_be_recognised(callee: ast.expr, bindings: Dict[str, Set[str]]) -> bool:
    """Can a call of ``callee`` be one ``callees.classify`` recognises, given the imports?"""
    if not bindings:
        return False
    attributes: List[str] = []
    while isinstance(callee, ast.Attribute):
        attributes.append(callee.attr)
        callee = callee.value
    if not isinstance(callee, ast.Name):
        return False
    if callee.id not in bindings:
        # ``model_class.from_pretrained()``: may hold an imported loader
        return len(attributes) == 1 and attributes[0] in LOADER_METHODS
    suffix = "".join("." + name for name in reversed(attributes))
    return any(classify(target + suffix) is not None for target in bindings[callee.id])
