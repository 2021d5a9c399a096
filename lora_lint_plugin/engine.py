"""The analysis pipeline: source -> prefilter -> LibCST + metadata -> FileModel -> rules.

This is the one entry point the flake8 plugin, the CLI, the codemods and the estimator share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, Sequence

from .diagnostics import Diagnostic
from .prefilter import has_candidate_call, might_contain_training_code, parse_for_prefilter
from .settings import Settings


@dataclass
class Analysis:
    """The outcome of analysing one source text.

    ``error`` is set when the file could not be analysed (then ``diagnostics`` is empty);
    ``skipped`` when the prefilter showed it holds no training code. ``module`` and ``model``
    are kept for fixes and cost estimates (the nodes in fixes belong to ``module``).
    """

    diagnostics: List[Diagnostic] = field(default_factory=list)
    error: Optional[str] = None
    skipped: bool = False
    module: Any = None
    model: Any = None


_NOT_GIVEN: Any = object()
TOO_DEEP = "the code is nested too deeply to analyse"


def analyse_source(source: str, settings: Optional[Settings] = None,
                   rule_filter: Optional[Callable[[str], bool]] = None,
                   tree: Any = _NOT_GIVEN) -> Analysis:
    """Analyse Python source text. Never raises for bad input; see ``Analysis.error``.

    ``tree``: the module's ``ast`` when the caller already has it (flake8 does), so the
    candidate-call gate costs no second parse; None if the running Python could not parse it.
    """
    if not might_contain_training_code(source):
        return Analysis(skipped=True)
    if tree is _NOT_GIVEN:
        tree, too_deep = parse_for_prefilter(source)
        if too_deep:
            return Analysis(error=TOO_DEEP)
    if not has_candidate_call(tree):
        return Analysis(skipped=True)
    from .parsing import AnalysisError, call_with_deep_stack

    try:
        return call_with_deep_stack(lambda: _analyse(source, settings or Settings(), rule_filter))
    except AnalysisError as error:
        return Analysis(error=str(error))


def _analyse(source: str, settings: Settings,
             rule_filter: Optional[Callable[[str], bool]]) -> Analysis:
    from libcst.metadata import MetadataWrapper

    from .extract import extract
    from .parsing import parse_module
    from .rules import RuleContext, active_rules

    module = parse_module(source)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    file_model = extract(wrapper)
    context = RuleContext(settings)
    diagnostics: List[Diagnostic] = []
    for rule in active_rules(rule_filter):
        diagnostics.extend(rule.check(file_model, context))
    return Analysis(diagnostics=_deduplicate(diagnostics), module=module, model=file_model)


def _deduplicate(diagnostics: Sequence[Diagnostic]) -> List[Diagnostic]:
    """Sorted by position, one diagnostic per (position, code, message)."""
    seen = set()
    unique = []
    for diagnostic in sorted(diagnostics):
        key = (diagnostic.span, diagnostic.code, diagnostic.message)
        if key not in seen:
            seen.add(key)
            unique.append(diagnostic)
    return unique
