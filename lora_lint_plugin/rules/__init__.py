"""The rules. Each lives in its own module, registered with ``@register``.

A module ``lorNNN_<name>.py`` holds rule ``LORNNN``, so the code tells which module to import:
a run imports only the rules it runs (flake8 drops the opt-in LOR9xx by default; a rule only for
YAML configs is not needed for Python), each module costing ~0.1-0.4 ms to import. The file
names are known from one directory listing, so a rule module is loaded from its file directly
(``_load``): the import system's search for it was a third of an empty module's import cost.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
from functools import lru_cache
from typing import Callable, Dict, List, Optional, Set, Tuple, Type

from .base import Invalid, Rule, RuleContext, YamlConfig, example_language, example_source, expected_fix, \
    register, registered_rules

__all__ = ["Invalid", "Rule", "RuleContext", "YamlConfig", "register", "all_rules", "active_rules",
           "rule_by_code", "example_language", "example_source", "expected_fix"]


@lru_cache(maxsize=1)
def _rule_modules() -> Dict[str, str]:
    """Rule code -> module name, from the package's file names (one directory listing)."""
    return {f"LOR{name[3:6]}": name for name in _module_names()[0]
            if name.startswith("lor") and name[3:6].isdigit()}


@lru_cache(maxsize=1)
def _module_names() -> Tuple[List[str], bool]:
    """The package's module names, and whether they were listed from its folder on disk."""
    try:
        return sorted(name[:-3] for name in os.listdir(__path__[0]) if name.endswith(".py")), True
    except OSError:  # not on disk (a zip): ask the import system
        import pkgutil

        return sorted(module.name for module in pkgutil.iter_modules(__path__)), False


_LOADING = threading.Lock()
_LOADED: Set[str] = set()  # codes whose module has run to its end


def _load(code: str) -> None:
    """Import the module of rule ``code``: from its file, found by the listing, when the package
    is on disk (the same source loader and bytecode cache as an import), else by the import
    system."""
    if code in _LOADED:
        return
    name = _rule_modules()[code]
    qualified = f"{__name__}.{name}"
    with _LOADING:  # one thread runs a module; another waits until it has run to its end
        if code in _LOADED:
            return
        if qualified in sys.modules or not _module_names()[1]:
            importlib.import_module(qualified)  # imported already (waits for it), or not on disk
        else:
            _run_file(qualified, os.path.join(__path__[0], name + ".py"))
            setattr(sys.modules[__name__], name, sys.modules[qualified])
        _LOADED.add(code)


def _run_file(qualified: str, path: str) -> None:
    """What an import of ``path`` does once the import system has found it."""
    spec = importlib.util.spec_from_file_location(qualified, path)
    assert spec is not None and spec.loader is not None  # a .py file always has both
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[qualified]
        raise


def all_rules() -> List[Type[Rule]]:
    """Every rule class, sorted by code."""
    for code in _rule_modules():
        _load(code)
    return registered_rules()


def rule_by_code(code: str) -> Optional[Type[Rule]]:
    for rule in all_rules():
        if rule.code == code:
            return rule
    return None


@lru_cache(maxsize=None)
def _instance(code: str) -> Rule:
    _load(code)
    return next(rule for rule in registered_rules() if rule.code == code)()


def active_rules(rule_filter: Optional[Callable[[str], bool]] = None) -> List[Rule]:
    """Rule instances to run, by code: all of them, or those whose code passes ``rule_filter``
    (only those rules' modules are imported)."""
    return [_instance(code) for code in _rule_modules()
            if rule_filter is None or rule_filter(code)]
