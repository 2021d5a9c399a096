"""Command-line options generated from a dataclass's fields.

``for f in fields(Config): parser.add_argument(f"--{f.name}", type=..., default=f.default)``
then ``Config(**vars(parser.parse_args()))``: each field is an option whose default is the
field's own, so ``cfg.x`` is the field's default unless the command line passes ``--x``. Only
that exact shape is recognised: every use of the parser is such a generated ``add_argument``
in a loop over ``fields`` of the same class, or the one ``parse_args()``; anything else (a
hand-written option, ``set_defaults``, another default) leaves the fields unknown.
"""

from __future__ import annotations

import ast
from typing import Optional

from .scopes import ScopeIndex

# add_argument keywords that leave the option's name and default as generated
_NEUTRAL_KEYWORDS = frozenset(("type", "help", "metavar", "required"))


def parsed_from_fields(index: ScopeIndex, mapping: ast.expr, cls: ast.ClassDef) -> bool:
    """``mapping`` (the ``**`` argument of ``cls(...)``) is ``vars(parser.parse_args())`` of a
    parser whose options are all generated from ``fields(cls)`` with the fields' defaults."""
    parsed = _vars_of(mapping)
    if not isinstance(parsed, ast.Call) or parsed.args or parsed.keywords \
            or not isinstance(parsed.func, ast.Attribute) or parsed.func.attr != "parse_args" \
            or not isinstance(parsed.func.value, ast.Name):
        return False
    parser = index.sole_binding(parsed.func.value)
    created = getattr(parser.statement, "value", None) if parser is not None else None
    if not isinstance(created, ast.Call) \
            or "argparse.ArgumentParser" not in index.imported_names(created.func):
        return False
    name = parsed.func.value.id
    uses = [node for node in index.of_kind(ast.Name)
            if node.id == name and index.sole_binding(node) is parser
            and parser is not None and node is not parser.node]
    generated = 0
    for use in uses:
        method = index.parent(use)
        if not isinstance(method, ast.Attribute):
            return False
        call = index.parent(method)
        if call is parsed:
            continue
        if not isinstance(call, ast.Call) or call.func is not method \
                or method.attr != "add_argument" or not _generated(index, call, cls):
            return False
        generated += 1
    return generated > 0 and sum(1 for use in uses if index.parent(use) is parsed.func) == 1


def _vars_of(expression: ast.expr) -> Optional[ast.expr]:
    if isinstance(expression, ast.Call) and isinstance(expression.func, ast.Name) \
            and expression.func.id == "vars" and len(expression.args) == 1 \
            and not expression.keywords:
        return expression.args[0]
    return None


def _generated(index: ScopeIndex, call: ast.Call, cls: ast.ClassDef) -> bool:
    """``parser.add_argument(f"--{f.name}", ..., default=f.default)`` inside
    ``for f in fields(cls):``."""
    loop = next((node for node in index.ancestors(call) if isinstance(node, ast.For)), None)
    if loop is None or not isinstance(loop.target, ast.Name) or not isinstance(loop.iter, ast.Call) \
            or "dataclasses.fields" not in index.imported_names(loop.iter.func) \
            or len(loop.iter.args) != 1:
        return False
    iterated = index.sole_binding(loop.iter.args[0])
    if iterated is None or iterated.node is not cls:
        return False
    field = loop.target.id
    if len(call.args) != 1 or not _is_option_of(call.args[0], field):
        return False
    defaults = [keyword for keyword in call.keywords if keyword.arg == "default"]
    if len(defaults) != 1 or not _is_attribute(defaults[0].value, field, "default"):
        return False
    return all(keyword.arg == "default" or keyword.arg in _NEUTRAL_KEYWORDS
               for keyword in call.keywords)


def _is_option_of(name: ast.expr, field: str) -> bool:
    """``f"--{f.name}"``."""
    if not isinstance(name, ast.JoinedStr) or len(name.values) != 2:
        return False
    prefix, part = name.values
    return isinstance(prefix, ast.Constant) and prefix.value == "--" \
        and isinstance(part, ast.FormattedValue) and part.format_spec is None \
        and part.conversion == -1 and _is_attribute(part.value, field, "name")


def _is_attribute(node: ast.expr, owner: str, attr: str) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == attr \
        and isinstance(node.value, ast.Name) and node.value.id == owner
