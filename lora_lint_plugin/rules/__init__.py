"""The rules. Each lives in its own module, registered with ``@register``."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Callable, List, Optional, Tuple, Type

from .base import Invalid, Rule, RuleContext, YamlConfig, example_language, example_source, expected_fix, \
    register, registered_rules

__all__ = ["Invalid", "Rule", "RuleContext", "YamlConfig", "register", "all_rules", "active_rules",
           "rule_by_code", "example_language", "example_source", "expected_fix"]


@lru_cache(maxsize=None)
def _load_rule_modules() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("lor"):
            importlib.import_module(f"{__name__}.{module.name}")


def all_rules() -> List[Type[Rule]]:
    """Every rule class, sorted by code."""
    _load_rule_modules()
    return registered_rules()


def rule_by_code(code: str) -> Optional[Type[Rule]]:
    for rule in all_rules():
        if rule.code == code:
            return rule
    return None


@lru_cache(maxsize=None)
def _instances() -> Tuple[Rule, ...]:
    return tuple(rule() for rule in all_rules())


def active_rules(rule_filter: Optional[Callable[[str], bool]] = None) -> List[Rule]:
    """Rule instances to run: all of them, or those whose code passes ``rule_filter``."""
    rules = _instances()
    if rule_filter is None:
        return list(rules)
    return [rule for rule in rules if rule_filter(rule.code)]
