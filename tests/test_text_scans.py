"""String scans that stand for regular expressions on the check path.

Compiling a pattern runs ``re``'s compiler, written in Python: ~0.2-1 M instructions per pattern
in every fresh process, a visible share of a flake8 run per save (issue 13). Where a pattern is
simple, the check path tests strings instead; each test here holds the pattern that was
replaced and compares the two answers on generated text (the awkward cases: blanks, tabs,
comments, ``\\r``, word boundaries, non-ASCII letters) and on real files.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Iterator, List

from lora_lint_plugin.analysis.extract import CHAT_TOKEN_FIRST_CHARACTERS, CHAT_TOKEN_LITERALS, _has_literal_condition
from lora_lint_plugin.analysis.prefilter import _call_or_rename_after, _ends_defining, _star_follows
from lora_lint_plugin.analysis.text_prefilter import imports_a_library
from lora_lint_plugin.config.discovery import may_hold_table

from .test_corpus import ROOT as CORPUS_ROOT

REPO = Path(__file__).resolve().parent.parent

# what ``text_prefilter.imports_a_library`` answers
LIBRARY_IMPORT = re.compile(
    r"(?m)^[ \t]*(?:from[ \t]+(?:peft|unsloth|trl)\b|import[ \t][^\n#]*\b(?:peft|unsloth|trl)\b)")

# what ``prefilter._star_follows``, ``_ends_defining`` and ``_call_or_rename_after`` answer
STAR_AFTER_IMPORT = re.compile(r"(?:\s|\\)*\*")
DEFINED_NAME = re.compile(r"\b(?:def|class)[ \t]+$")
BEFORE_CALL = re.compile(r"(?:\s|\\|\)|#[^\r\n]*)*(?:\(|as\b)")
# what ``extract._has_literal_condition`` answers
LITERAL_CONDITION = re.compile(r"if[\s(]+(?:False|True|None|[0-9.'\"])")

_PIECES = ["from", "import", "peft", "trl", "unsloth", "peft_x", "xpeft", "trl2", "_trl", "é", "ĳ", "²",
           " ", "  ", "\t", "\n", "\r", "\r\n", "#", ",", ".", "(", ")", "as", "torch", "\\", "*", ":",
           "x", "1", "'", '"', "LoraConfig", "def", "class", "if", "_", "False", "True", "None", "Fals",
           "Tr", "N", "F", "0", "[", "<"]


def generated_texts(count: int, seed: int = 13) -> Iterator[str]:
    """Short texts made of the pieces the patterns look at, in every order."""
    chooser = random.Random(seed)
    for _ in range(count):
        yield "".join(chooser.choice(_PIECES) for _ in range(chooser.randint(1, 12)))


def real_texts() -> List[str]:
    """The project's sources, test scripts and examples, and the corpus when present (a sample:
    every 40th file)."""
    paths = sorted(REPO.glob("lora_lint_plugin/**/*.py")) + sorted(REPO.glob("tests/data/**/*.py")) \
        + sorted(REPO.glob("examples/*.py"))
    if CORPUS_ROOT.is_dir():
        paths += sorted(CORPUS_ROOT.rglob("*.py"))[::40]
    return [path.read_text(encoding="utf-8", errors="surrogateescape") for path in paths]


def test_imports_a_library_answers_as_the_pattern_on_generated_text():
    for text in generated_texts(60_000):
        assert imports_a_library(text) == (LIBRARY_IMPORT.search(text) is not None), repr(text)


def test_imports_a_library_answers_as_the_pattern_on_real_files():
    texts = real_texts()
    assert any(LIBRARY_IMPORT.search(text) for text in texts)   # both answers occur
    assert not all(LIBRARY_IMPORT.search(text) for text in texts)
    for text in texts:
        assert imports_a_library(text) == (LIBRARY_IMPORT.search(text) is not None)


def test_imports_a_library_on_written_cases():
    yes = ["from peft import LoraConfig", "  from\tpeft.tuners import x", "import torch, peft",
           "import trl", "x = 1\nimport unsloth  # comment", "\timport os, trl as t",
           "from unsloth import FastLanguageModel"]
    no = ["from peft_utils import x", "import torchpeft", "import os  # peft", "# import peft",
          "x = 'from peft import y'", "from . import peft", "importlib.import_module('peft')",
          "from\npeft import x", "import a.b, c\\\n  , peft", "import peft_x", "import xpeft", "fromage peft"]
    for text in yes:
        assert imports_a_library(text), text
        assert LIBRARY_IMPORT.search(text), text
    for text in no:
        assert not imports_a_library(text), text
        assert not LIBRARY_IMPORT.search(text), text


def before_call(text: str, position: int) -> str:
    found = BEFORE_CALL.match(text, position)
    return "" if found is None else "as" if found.group().endswith("as") else "("


def test_the_gate_text_scans_answer_as_their_patterns_on_generated_text():
    for text in generated_texts(40_000, seed=29):
        assert _ends_defining(text) == (DEFINED_NAME.search(text) is not None), repr(text)
        for position in range(len(text) + 1):
            assert _star_follows(text, position) == (STAR_AFTER_IMPORT.match(text, position) is not None), \
                (text, position)
            assert _call_or_rename_after(text, position) == before_call(text, position), (text, position)


def test_the_gate_text_scans_answer_as_their_patterns_on_real_files():
    for text in real_texts():
        for found in (index for index, character in enumerate(text) if character in "ngt"):
            position = found + 1   # after names' usual last letters (``Config``, ``import``)
            assert _call_or_rename_after(text, position) == before_call(text, position)
            assert _star_follows(text, position) == (STAR_AFTER_IMPORT.match(text, position) is not None)
        for line in text.splitlines(keepends=True):
            for end in range(0, len(line) + 1, 3):
                assert _ends_defining(line[:end]) == (DEFINED_NAME.search(line[:end]) is not None)


def test_the_literal_condition_scan_answers_as_its_pattern():
    texts = list(generated_texts(40_000, seed=31)) + real_texts() + [
        "if False:", "if(0)", "if  (\t'x'", "if None", "if Nothing", "if Falsey", "elif True:", "diff 1",
        "if x", "if\n.5", "if (Trolls)"]
    assert sum(_has_literal_condition(text) for text in texts) > 100   # both answers occur
    for text in texts:
        assert _has_literal_condition(text) == (LITERAL_CONDITION.search(text) is not None), repr(text)


def test_every_chat_token_starts_with_a_tested_character():
    assert {token[0] for token in CHAT_TOKEN_LITERALS} == set(CHAT_TOKEN_FIRST_CHARACTERS)


# what ``config.discovery.may_hold_table`` answers once the text names lora-lint
TOOL_TABLE = re.compile(rb"""tool["']?[ \t]*\.[ \t]*["']?lora-lint|^[ \t]*\[[ \t]*["']?tool["']?[ \t]*\]"""
                        rb"""|^[ \t]*["']?tool["']?[ \t]*=""", re.MULTILINE)
_TOML_PIECES = ["tool", "lora-lint", "tools", "xtool", "lora-lint-plugin", ".", "[", "]", "=", '"', "'",
                " ", "\t", "  ", "\n", "\r\n", "\r", "#", "a", "[tool]", "[tool.lora-lint]", "name", "é"]


def test_the_toml_table_scan_answers_as_its_pattern() -> None:
    chooser = random.Random(17)
    texts = ["".join(chooser.choice(_TOML_PIECES) for _ in range(chooser.randint(1, 14)))
             for _ in range(60_000)]
    texts += ["[tool.lora-lint]\n", ' [ "tool" ]\nx = "lora-lint"', "tool = {lora-lint = 1}",
              "'tool' \t. 'lora-lint'", 'tool."\'lora-lint', "[tools]\nlora-lint", "a\n\ttool\t=\t1\nlora-lint",
              (REPO / "pyproject.toml").read_text(encoding="utf-8")]
    for text in texts:
        content = text.encode("utf-8")
        expected = b"lora-lint" in content and TOOL_TABLE.search(content) is not None
        assert may_hold_table(content) == expected, text
