"""Run deep work on a helper thread with a large stack and a raised recursion limit.

Deeply nested but legal code (a 3,000-term ``a + b + ...``) exceeds Python's default recursion
limit when ``ast.parse`` builds its tree and inside LibCST's visitors, and deeper code
overflows the C stack in LibCST's native parser (a segmentation fault no ``except`` can
catch). Such work runs here instead of failing, and instead of killing a flake8 run, which is
what a RecursionError escaping a plugin does. Code that CPython refuses even then is one
clear error (see ``ast_parsing.parse_python``).
"""

from __future__ import annotations

import sys
import threading
from typing import Callable, TypeVar

T = TypeVar("T")

_DEEP_STACK_BYTES = 512 * 1024 * 1024
_DEEP_RECURSION_LIMIT = 120_000


class AnalysisError(Exception):
    """The file cannot be analysed; the message says why, in words a user understands."""


def call_with_deep_stack(function: Callable[[], T]) -> T:
    """Run ``function`` on a helper thread with a big stack and a raised recursion limit.

    LibCST's native parser recurses on the C stack, and on deeply nested input (thousands of
    ``a + b + ...`` terms) it overflows the main thread's stack, so LibCST work always runs
    here; ``ast.parse`` only after it hit the recursion limit. Starting a thread costs
    microseconds.
    """
    outcome: dict = {}

    def target() -> None:
        previous_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(previous_limit, _DEEP_RECURSION_LIMIT))
        try:
            outcome["value"] = function()
        except BaseException as error:  # handed back to the caller's thread below
            outcome["error"] = error
        finally:
            sys.setrecursionlimit(previous_limit)

    previous_size = threading.stack_size()
    try:
        threading.stack_size(_DEEP_STACK_BYTES)
        worker = threading.Thread(target=target, name="lora-lint-deep-stack")
        worker.start()
    finally:
        threading.stack_size(previous_size)
    worker.join()
    if "error" in outcome:
        if isinstance(outcome["error"], RecursionError):
            raise AnalysisError("the code is nested too deeply to analyse")
        raise outcome["error"]
    return outcome["value"]
