"""Saying so when a diagnostic rests on a default: one place for every rule.

A second-tier value (``Value.origin``, e.g. ``"default of --lora_target_modules"``) is one the
command line, a config file or the environment may replace at run time. Every diagnostic that
rests on one gets the origin appended to its message: ``... (default of --lora_r)``.

"Rests on" is read from where the diagnostic points and what the rule looked at:

* its span lies within a marked value (the default literal, or one element of it), or is the
  argument that received a marked value (``r=args.lora_r``) and the message states that
  value (``r=0 ...``; a message about the keyword itself does not rest on the value);
* or the rule looked up the model of a training setup whose model id is marked
  (``RuleContext.model_match``) and the diagnostic points inside a call of that setup.

The marked values are those of the arguments read by then (``_Marks``): a value no rule and
no link read is not one a diagnostic rests on.
"""

from __future__ import annotations

import bisect
from typing import Any, Dict, List, Sequence, Tuple

from ..fast_dataclass import replace
from .diagnostics import Diagnostic, Span
from .model import Argument, CallSite, FileModel, TrainingSetup
from .values import Value


def note_provenance(diagnostics: Sequence[Diagnostic], file: FileModel,
                    consulted: Sequence[TrainingSetup] = ()) -> List[Diagnostic]:
    """``diagnostics`` (of one rule) with the origin of the defaults they rest on added to
    their messages; ``consulted``: the setups whose model the rule looked up."""
    if not diagnostics:
        return []
    marks: _Marks = file.derived("provenance-marks", lambda: _Marks(file))
    marks.add_read([diagnostic.span for diagnostic in diagnostics])
    values, arguments = marks.values, marks.arguments
    models = _marked_models(consulted)
    if not values and not arguments and not models:
        return list(diagnostics)
    noted: List[Diagnostic] = []
    for diagnostic in diagnostics:
        origin = values.get(diagnostic.span) or _containing(values, diagnostic.span) \
            or _argument_origin(arguments, diagnostic) or _model_origin(models, diagnostic.span)
        if origin and f"({origin})" not in diagnostic.message:
            diagnostic = replace(diagnostic, message=f"{diagnostic.message} ({origin})")
        noted.append(diagnostic)
    return noted


class _Marks:
    """The defaults among the argument values read so far in one file: marked value spans ->
    origin, and spans of arguments given a marked value -> (parameter, origin).

    Argument values are resolved when first read (``model.Argument``), and only the read ones
    are marked: a diagnostic rests on a value its rule (or the linking before it) read, and
    reading every argument of every call here would undo that saving on each file with a
    diagnostic. An argument a diagnostic points into is read here first, so a message that
    states an argument's value is marked whoever read it."""

    def __init__(self, file: FileModel) -> None:
        self.values: Dict[Span, str] = {}
        self.arguments: Dict[Span, Tuple[str, str]] = {}
        # the arguments not marked yet (each is marked once, when it has been read)
        self._pending: List[Argument] = [argument for call in file.calls
                                         for argument in call.args.by_name.values()]
        # the calls by where they start (their order in the file model kept among equals),
        # and the furthest end of the calls up to each: what ``_read_arguments_at`` searches
        self._calls = sorted(((_start(call.span), _end(call.span), order, call)
                              for order, call in enumerate(file.calls)), key=_first)
        self._starts = [start for start, _, _, _ in self._calls]
        self._reach: List[Tuple[int, int]] = []
        furthest = (0, 0)
        for _, call_end, _, _ in self._calls:
            furthest = max(furthest, call_end)
            self._reach.append(furthest)

    def add_read(self, diagnostic_spans: List[Span]) -> None:
        """Mark the arguments read so far, after reading those the diagnostics point into."""
        for span in diagnostic_spans:
            self._read_arguments_at(span)
        pending: List[Argument] = []
        for argument in self._pending:
            if argument.is_resolved:
                self._mark_argument(argument)
            else:
                pending.append(argument)
        self._pending = pending

    def _read_arguments_at(self, span: Span) -> None:
        """Read the arguments ``span`` lies in, of the calls around it (in the file model's
        order). Only calls that start before it are looked at, back to where no call reaches
        its end: most diagnostics point into a call close to them, not into every call."""
        start, end = _start(span), _end(span)
        around: List[Tuple[int, CallSite]] = []
        position = bisect.bisect_right(self._starts, start) - 1
        while position >= 0 and self._reach[position] >= end:
            _, call_end, order, call = self._calls[position]
            if end <= call_end:
                around.append((order, call))
            position -= 1
        for _, call in sorted(around, key=_first):
            for argument in call.args.by_name.values():
                if argument.span.contains(span):
                    argument.value   # read: its value is marked below

    def _mark_argument(self, argument: Argument) -> None:
        value = argument.value
        if isinstance(value, Value):
            _mark(value, self.values)
            if value.origin is not None:
                self.arguments.setdefault(argument.span, (argument.name, value.origin))


def _first(item: Tuple[Any, ...]) -> Any:
    return item[0]


def _start(span: Span) -> Tuple[int, int]:
    return span.line, span.col


def _end(span: Span) -> Tuple[int, int]:
    return span.end_line, span.end_col


def _argument_origin(arguments: Dict[Span, Tuple[str, str]], diagnostic: Diagnostic) -> str:
    """A diagnostic on the whole ``r=args.lora_r`` argument rests on its value when it states
    the value (``r=0 is not positive``), not when it is about the keyword itself (``SFTTrainer
    has no max_seq_length``)."""
    found = arguments.get(diagnostic.span)
    if found is None or f"{found[0]}=" not in diagnostic.message:
        return ""
    return found[1]


def _mark(value: Value, marked: Dict[Span, str]) -> None:
    pending = [value]
    while pending:
        current = pending.pop()
        if current.origin is not None:
            marked.setdefault(current.span, current.origin)
        pending.extend(current.items)
        pending.extend(entry for _, entry in current.entries)


def _containing(marked: Dict[Span, str], span: Span) -> str:
    for region, origin in marked.items():
        if region.contains(span):
            return origin
    return ""


def _marked_models(consulted: Sequence[TrainingSetup]) -> List[Tuple[str, List[Span]]]:
    """(origin, spans of the setup's calls) for consulted setups whose model id is a default."""
    models = []
    for setup in consulted:
        model_id = setup.model_id
        if model_id is None or model_id.origin is None:
            continue
        spans = [model_id.span] + [call.span for call in (
            setup.model_load, setup.lora, setup.adapter_call, setup.trainer, setup.training_args)
            if call is not None]
        models.append((model_id.origin, spans))
    return models


def _model_origin(models: List[Tuple[str, List[Span]]], span: Span) -> str:
    for origin, spans in models:
        if any(region.contains(span) for region in spans):
            return origin
    return ""
