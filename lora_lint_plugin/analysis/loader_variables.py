"""``cls.from_pretrained(...)`` where ``cls`` is a variable bound to a loader class
(``model_class = AutoModelForCausalLM``, or ``A if cond else B`` of one library and role):
what ``extract.py`` recognises the call as.

Imported when a loader method is called on a name no import binds (1 % of the real-world
training files): a flake8 process started per save pays for every module it loads.
"""

from __future__ import annotations

import ast
from typing import List, Optional

from .callees import LOADER_METHODS, Classified, classify
from .resolve import Resolver
from .scopes import assigned_expression


def loader_from_variable(resolver: Resolver, func: ast.expr) -> Optional[Classified]:
    """``cls.from_pretrained(...)`` where ``cls`` is a variable bound to a loader class
    (``model_class = AutoModelForCausalLM``), or to ``A if cond else B`` when both are
    loaders of the same library and role. Anything else: None (unknown, never a guess)."""
    if not isinstance(func, ast.Attribute) or func.attr not in LOADER_METHODS \
            or not isinstance(func.value, ast.Name):
        return None
    found: Optional[Classified] = None
    for qualified in _class_variable_names(resolver, func.value):
        classified = classify(qualified + "." + func.attr)
        if classified is None or found is not None and \
                (found[0], found[2]) != (classified[0], classified[2]):
            return None
        found = found or classified
    return found


def _class_variable_names(resolver: Resolver, name: ast.Name) -> List[str]:
    """The qualified class names a variable certainly holds one of (empty: unknown)."""
    binding = resolver.binding_for(name)
    value = assigned_expression(binding.node, binding.statement) if binding else None
    options = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
    names: List[str] = []
    for option in options:
        qualified = resolver.index.imported_names(option) if option is not None else []
        if len(qualified) != 1:
            return []
        names.append(qualified[0])
    return names
