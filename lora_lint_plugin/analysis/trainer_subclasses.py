"""Trainer classes of the project: ``MyTrainer(...)`` where ``class MyTrainer(SFTTrainer)``,
in the analysed file or a project module, builds a trainer with the call's arguments when its
constructor is inherited or passes them on unchanged (``extract.py`` links it like the trainer).

Imported when a callee is named like a class of the file or like a trainer (14 % of the
real-world training files): a flake8 process started per save pays for every module it loads.
"""

from __future__ import annotations

import ast
from typing import Optional

from .callees import Classified, classify
from .model import TRAINER
from .resolve import Resolver

# A trainer class is followed through at most this many base classes of the project.
MAX_SUBCLASS_DEPTH = 8
_CONSTRUCTORS = ("__init__", "__new__")


def subclassed_trainer(resolver: Resolver, func: ast.expr) -> Optional[Classified]:
    """``MyTrainer(...)`` where ``class MyTrainer(SFTTrainer)``, in this file or imported
    from a project module (``from custom_modules import MyTrainer``), builds the trainer
    with the arguments of the call: it defines no constructor, or one that passes its
    arguments on unchanged (``_passes_arguments_on``). It links like the trainer. A class
    with another ``__init__`` or a ``__new__``, a decorator, a metaclass or a second base
    is not followed (its constructor may take anything)."""
    if type(func) is not ast.Name:
        return None
    defaults = resolver.defaults
    for _ in range(MAX_SUBCLASS_DEPTH):
        cls = defaults.class_named(func)
        if cls is None:
            return None
        defaults = defaults.owner(cls)   # the class's module: its names are looked up there
        if len(cls.bases) != 1 or cls.keywords or cls.decorator_list \
                or not _constructor_is_inherited(cls):
            return None
        func = cls.bases[0]
        for name in defaults.index.imported_names(func):
            classified = classify(name)
            if classified is not None:
                return classified if classified[0] == TRAINER else None
    return None


def _constructor_is_inherited(cls: ast.ClassDef) -> bool:
    """Whether calling ``cls`` runs its base's constructor with the same arguments: the class
    defines no ``__init__``/``__new__``, or an ``__init__`` that passes them on unchanged."""
    constructors = []
    for statement in cls.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                and statement.name in _CONSTRUCTORS:
            constructors.append(statement)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)) and any(
                isinstance(target, ast.Name) and target.id in _CONSTRUCTORS
                for target in (statement.targets if isinstance(statement, ast.Assign)
                               else [statement.target])):
            return False
    return not constructors or len(constructors) == 1 and _passes_arguments_on(constructors[0])


def _passes_arguments_on(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """``def __init__(self, *args, **kwargs)`` whose body calls ``super().__init__(*args,
    **kwargs)`` once and reads ``args`` and ``kwargs`` nowhere else (no ``kwargs.pop(...)``, no
    rebinding): the base gets exactly the caller's arguments. Anything else (a named
    parameter, a default, a decorator, another use) may change them: not followed."""
    arguments = function.args
    if function.name != "__init__" or function.decorator_list or type(function) \
            is not ast.FunctionDef or arguments.posonlyargs or arguments.kwonlyargs \
            or arguments.defaults or len(arguments.args) != 1 or arguments.vararg is None \
            or arguments.kwarg is None:
        return False
    positional, keywords = arguments.vararg.arg, arguments.kwarg.arg
    calls = 0
    uses = 0
    for node in ast.walk(function):
        if type(node) is ast.Name and node.id in (positional, keywords):
            uses += 1
        elif type(node) is ast.Call and _is_super_init(node, positional, keywords):
            calls += 1
    # the one call reads each name once; any other read or store of them is a change
    return calls == 1 and uses == 2


def _is_super_init(call: ast.Call, positional: str, keywords: str) -> bool:
    """``super().__init__(*positional, **keywords)``."""
    func = call.func
    return type(func) is ast.Attribute and func.attr == "__init__" \
        and type(func.value) is ast.Call and not func.value.args \
        and not func.value.keywords and type(func.value.func) is ast.Name \
        and func.value.func.id == "super" \
        and len(call.args) == 1 and type(call.args[0]) is ast.Starred \
        and type(call.args[0].value) is ast.Name and call.args[0].value.id == positional \
        and len(call.keywords) == 1 and call.keywords[0].arg is None \
        and type(call.keywords[0].value) is ast.Name \
        and call.keywords[0].value.id == keywords
