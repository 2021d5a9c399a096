"""The rules. Each lives in its own module, registered with ``@register``.

A module ``lorNNN_<name>.py`` holds rule ``LORNNN``, so the code tells which module to import:
a run imports only the rules it runs (flake8 drops the opt-in LOR9xx by default; a rule only for
YAML configs is not needed for Python), each module costing ~0.1-0.4 ms to import.
"""

from __future__ import annotations

import importlib
import os
from functools import lru_cache
from typing import Callable, Dict, List, Optional, Type

from .base import Invalid, Rule, RuleContext, YamlConfig, example_language, example_source, expected_fix, \
    register, registered_rules

__all__ = ["Invalid", "Rule", "RuleContext", "YamlConfig", "register", "all_rules", "active_rules",
           "rule_by_code", "example_language", "example_source", "expected_fix"]


@lru_cache(maxsize=1)
def _rule_modules() -> Dict[str, str]:
    """Rule code -> module name, from the package's file names (one directory listing)."""
    try:
        names = [name[:-3] for name in os.listdir(__path__[0]) if name.endswith(".py")]
    except OSError:  # not on disk (a zip): ask the import system
        import pkgutil

        names = [module.name for module in pkgutil.iter_modules(__path__)]
    return {f"LOR{name[3:6]}": name for name in sorted(names)
            if name.startswith("lor") and name[3:6].isdigit()}


def _load(code: str) -> None:
    importlib.import_module(f"{__name__}.{_rule_modules()[code]}")


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
