"""One model loader standing for several: the loads a name may hold (the branches of an
``if``, the ``return``s of a function) when they call the same loader class for the same
resolved model id; its arguments are the ones every load passes alike (``extract.py``).

Imported when a model comes from more than one load (8 % of the real-world training files):
a flake8 process started per save pays for every module it loads.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from .model import MODEL_LOAD, Argument, Arguments, CallSite
from .resolve import Resolver
from .values import Value


def merged_loader(resolver: Resolver, loads: List[CallSite],
                  made: Dict[Tuple[int, ...], Optional[CallSite]]) -> Optional[CallSite]:
    """One loader for ``loads`` (each the model on one branch) when they are calls of the
    same loader class with the same resolved model id; its arguments are the ones every
    load passes with the same value, any other is unknown (never absent). TRL's value-head
    loaders, which apply a LoRA config themselves, are not merged. A load read in the call
    it was returned through (``Extractor._in_context``) counts with those arguments; the merged loader
    stands for the calls as written. ``made``: the merged loaders made so far, by the ids of
    the loads."""
    first = loads[0]
    if any(load.role != MODEL_LOAD or load.library == "trl" or not _is_single_call(load)
           or (load.name, load.library) != (first.name, first.library) for load in loads):
        return None
    loads = sorted(loads, key=lambda load: (load.node.lineno, load.node.col_offset))
    key = tuple(id(load) for load in loads)
    if key not in made:
        arguments = _agreed_arguments(resolver, loads)
        model_id = arguments.value("model_name")
        if not isinstance(model_id, Value) or not isinstance(model_id.python, str):
            made[key] = None
        else:
            made[key] = CallSite(
                role=MODEL_LOAD, name=first.name, library=first.library, node=loads[0].node,
                span=loads[0].span, head_span=loads[0].head_span, args=arguments,
                alternatives=tuple(load.alternatives[0] if load.alternatives else load
                                   for load in loads))
    return made[key]


def _agreed_arguments(resolver: Resolver, loads: List[CallSite]) -> Arguments:
    agreed: Dict[str, Argument] = {}
    for name, argument in loads[0].args.by_name.items():
        values = [argument.value] + [load.args.value(name) for load in loads[1:]]
        value = resolver.agreed(values)  # type: ignore[arg-type]
        if isinstance(value, Value):
            agreed[name] = Argument(name, value, argument.span, argument.node,
                                    argument.value_span)
    return Arguments(agreed, complete=False)


def _is_single_call(site: CallSite) -> bool:
    """``site`` is one call as written, or that call read with a caller's arguments (a copy
    whose one alternative is the same call), not several merged ones."""
    return not site.alternatives or len(site.alternatives) == 1 \
        and site.alternatives[0].node is site.node
