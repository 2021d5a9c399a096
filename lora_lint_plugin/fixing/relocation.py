"""Code a fix moves or copies to another place must still run there.

A fix that moves an expression (LOR505 moves ``max_seq_length=max_seq_length`` from
``SFTTrainer(...)`` into the ``SFTConfig(...)`` built earlier) makes the names it reads be read
at the new place. In execution order (source order in a script, cell order in a notebook,
which lora-lint joins in order) a name may not be bound there yet, a NameError, or bound to
something else, a silent change. ``relocated_code`` gives the code to write at the new place:

* the expression's own text when every name it reads refers, at the new place, to the same
  binding as where it is written now (no binding of the name between the two places, at least
  one before the new place, both places in the same function or module body);
* else the text of the literal the expression resolves to (``2048`` for ``max_seq_length``
  assigned ``2048`` in a later cell), which reads no name;
* else None: the rule offers no fix.

``move_to_config_fix`` is LOR505's move of a trainer argument into its config call, imported
by the rule when it first offers one.
"""

from __future__ import annotations

import ast
import builtins
from typing import Any, List, Optional, Tuple

from ..analysis.diagnostics import Fix, FixSafety
from ..analysis.model import Argument, CallSite, FileModel
from ..analysis.values import Value

__all__ = ["move_to_config_fix", "relocated_code"]

Position = Tuple[int, int]

# Nodes whose names live in their own scope: a name read inside them is not checked here.
_INNER_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def relocated_code(file: FileModel, argument: Argument, target: ast.AST) -> Optional[str]:
    """The code of ``argument``'s value to write inside ``target`` (an ``ast`` node of the
    same module), or None when no code reads the same value there."""
    if argument.value_span is None:
        return None
    expression = argument.node.value if isinstance(argument.node, ast.keyword) else argument.node
    if isinstance(expression, ast.expr) and _names_keep_their_binding(file, expression, target):
        return file.segment(argument.value_span)
    value = argument.value
    if isinstance(value, Value) and value.literal:
        return file.segment(value.span)
    return None


def _names_keep_their_binding(file: FileModel, expression: ast.expr, target: ast.AST) -> bool:
    index = file.scopes
    if index is None:
        return False
    names = [node for node in ast.walk(expression) if isinstance(node, ast.Name)]
    if any(isinstance(node, _INNER_SCOPES) for node in ast.walk(expression)):
        return False  # names bound inside the expression itself: not worth modelling
    if not names:
        return True
    target_scope = _scope_at(index, target)
    if target_scope is None or target_scope.is_class:
        return False
    here, there = _start(target), _start(expression)
    for name in names:
        if index.scope_of(name) is not target_scope:
            return False  # the two places run in different function bodies
        if not _same_binding(index, target_scope, name.id, here, there):
            return False
    return True


def _same_binding(index: Any, scope: Any, name: str, here: Position, there: Position) -> bool:
    """``name`` read at ``here`` refers to what it refers to at ``there`` (same scope)."""
    bindings, holder = index.lookup(scope, name)
    if holder is None:
        return hasattr(builtins, name)
    if holder is not scope:
        return True  # a global read in a function: both places read it when the body runs
    effective: List[Position] = [_end(b.statement if b.statement is not None else b.node)
                                 for b in bindings]
    low, high = min(here, there), max(here, there)
    bound_before = any(position <= here for position in effective)
    rebound_between = any(low < position <= high for position in effective)
    return bound_before and not rebound_between


def _scope_at(index: Any, node: ast.AST) -> Any:
    """The scope code written in ``node`` runs in: that of the first name inside it."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name):
            return index.scope_of(inner)
    return None


def _start(node: Any) -> Position:
    return node.lineno, node.col_offset


def _end(node: Any) -> Position:
    return node.end_lineno, node.end_col_offset


def move_to_config_fix(file: FileModel, trainer: CallSite, argument: Argument,
                       config_name: str, config_class: str) -> Optional[Fix]:
    """Move ``argument`` from the trainer call (``SFTTrainer(...)``) into its config call
    (``SFTConfig(...)``).

    Only in the plain case: the keyword is written in the trainer call, the trainer's
    ``args=`` is a known ``config_class(...)`` call whose keywords are all visible and that
    does not already set the target name.
    """
    from .edits import add_keyword, is_written_keyword, make_fix, remove_arguments  # loaded with the first fix
    config = trainer.training_args
    if config is None or config.name != config_class or not config.args.complete \
            or config_name in config.args or not is_written_keyword(argument) \
            or argument.value_span is None:
        return None
    value_code = relocated_code(file, argument, config.node)
    if value_code is None:
        return None  # the value's names are not bound where the config is built
    description = f"move {argument.name}= into {config_class}(...) as {config_name}="
    if argument.span.contains(config.span):
        return None  # the config call is inside the argument that moves
    return make_fix(FixSafety.SAFE, description,
                    remove_arguments(trainer.span, [argument.span]),
                    add_keyword(config.span, config_name, value_code))
