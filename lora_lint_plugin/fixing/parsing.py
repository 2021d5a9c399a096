"""LibCST parsing for fixes (the analysis itself runs on ``ast``; see ``extract.py``).

LibCST work runs through ``deep_stack.call_with_deep_stack``: its native parser overflows the
C stack on deeply nested input. Fixes only ever run on text the engine analysed, so code
CPython itself refuses as too deeply nested never gets here (``analysis/ast_parsing.py``).
"""

from __future__ import annotations

from typing import Union

import libcst as cst

from ..analysis.deep_stack import AnalysisError


def parse_module(source: Union[str, bytes]) -> cst.Module:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise AnalysisError(f"syntax error at line {error.raw_line}: {error.message}") from None
