"""Parse a module with LibCST and resolve the metadata the extractor needs, once per file.

Deeply nested but legal code (a 2,000-term ``a + b + ...``) exceeds Python's default recursion
limit inside LibCST's visitors. Such files are retried on a helper thread with a large stack
and a raised recursion limit instead of failing (and instead of killing a flake8 run, which is
what a RecursionError escaping a plugin does).
"""

from __future__ import annotations

import sys
import threading
from typing import Callable, TypeVar, Union

import libcst as cst

T = TypeVar("T")

_DEEP_STACK_BYTES = 512 * 1024 * 1024
_DEEP_RECURSION_LIMIT = 120_000


class AnalysisError(Exception):
    """The file cannot be analysed; the message says why, in words a user understands."""


def parse_module(source: Union[str, bytes]) -> cst.Module:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise AnalysisError(f"syntax error at line {error.raw_line}: {error.message}") from None


def call_with_deep_stack(function: Callable[[], T]) -> T:
    """Run ``function``; if it recurses too deep, run it again on a thread with a big stack."""
    try:
        return function()
    except RecursionError:
        pass
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
