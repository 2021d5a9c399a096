"""The candidate-call gate's text test (``prefilter.has_candidate_call`` given the source).

Before walking every node, the gate looks for the recognisable callee names in the text and
finds the statement around each occurrence: a name in a docstring, a comment or a ``def``
line is no call; the calls in code there are asked what the walk would ask them. The text
must never change the walk's answer: every spelling of a call below is accepted with the text
as without it, and flake8 still reports the calls' findings.
"""

from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import pytest

from lora_lint_plugin.analysis.prefilter import _answer_from_text, has_candidate_call

from .conftest import flake8_codes, write_source

# Library-style modules: the recognisable names only in docstrings, comments, definitions.
NO_CALL = {
    "docstrings": '''
        """Load with ``AutoModelForCausalLM.from_pretrained("x")``."""
        from peft import PeftConfig

        class Tuner:
            """Example:

            >>> config = LoraConfig(r=8)
            >>> model = get_peft_model(model, config)
            """

            def load(self):
                """PeftModel.from_pretrained(model, path)"""
                return PeftConfig
    ''',
    "comments": '''
        from peft import PeftConfig

        def load(path):
            # e.g. PeftModel.from_pretrained(model, path); see get_peft_model(model, config)
            if path:
                # LoraConfig(r=8) would do the same
                return PeftConfig
            return None  # not LoraConfig(r=8)
    ''',
    "definitions": '''
        from peft import PeftConfig

        class LoraConfig(PeftConfig):
            @classmethod
            def from_pretrained(cls, path):
                return cls
    ''',
}

# Calls the walk recognises, spelled every way the text test must still see them.
CALLS = {
    "plain": "from peft import LoraConfig\nLoraConfig(r=8)\n",
    "renamed": "from peft import LoraConfig as LC\nLC(r=8)\n",
    "star import": "from peft import *\nconfig = make(r=8)\n",
    "attribute": "import peft\npeft.LoraConfig(r=8)\n",
    "parenthesised callee": "import peft\n(peft.LoraConfig)(r=8)\n",
    "comment before the parenthesis": "from peft import LoraConfig\nx = [LoraConfig  # c\n     (r=8)]\n",
    "line continuation": "from peft import LoraConfig\nx = LoraConfig \\\n    (r=8)\n",
    "decorator": "from peft import LoraConfig\n@LoraConfig(r=8)\ndef f():\n    pass\n",
    "compound statement's header": "from peft import get_peft_model\nif get_peft_model(m, c):\n    pass\n",
    "after a docstring on its line": 'from peft import LoraConfig\n"""doc"""; LoraConfig(r=8)\n',
    "f-string": 'from peft import LoraConfig\nx = f"{LoraConfig(r=8)}"\n',
    "f-string after a #": 'from peft import LoraConfig\nx = f"""\n# {LoraConfig(r=8)}\n"""\n',
    "except handler": ("from peft import LoraConfig\ntry:\n    pass\nexcept ValueError:\n"
                       "    LoraConfig(r=8)\n"),
    "full-width letter (NFKC)": "from peft import LoraConfig\n\uff2coraConfig(r=8)\n",
    "loader method": ("from transformers import AutoModelForCausalLM\n"
                      "AutoModelForCausalLM.from_pretrained('m')\n"),
    "windows line ends": "from peft import LoraConfig\r\nLoraConfig(r=8)\r\n",
    "old mac line ends": "from peft import LoraConfig\rLoraConfig(r=8)\r",
}
if sys.version_info >= (3, 10):
    CALLS["match case"] = ("from peft import LoraConfig\nmatch x:\n    case 1:\n"
                           "        LoraConfig(r=8)\n")


def _source(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.mark.parametrize("name", sorted(NO_CALL))
def test_names_outside_code_are_rejected_from_the_text(name: str) -> None:
    source = _source(NO_CALL[name])
    tree = ast.parse(source)
    assert _answer_from_text(tree, source) is False
    assert has_candidate_call(tree, source) is has_candidate_call(tree) is False


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_spelling_of_a_call_is_seen(name: str) -> None:
    source = CALLS[name]
    tree = ast.parse(source)
    assert has_candidate_call(tree) is True
    assert _answer_from_text(tree, source) is not False
    assert has_candidate_call(tree, source) is True


# Names in code that are no recognised call: the text answers as the walk does.
IN_CODE_NO_CALL = {
    "in a string": 'from peft import LoraConfig\nhelp_text = "use LoraConfig(r=8)"\n',
    "not a library's": "from mylib import LoraConfig\nLoraConfig(r=8)\n",
    "a loader method of a class that is none": ("from peft import PeftConfig\n"
                                                "PeftConfig.from_pretrained('path')\n"),
}


@pytest.mark.parametrize("name", sorted(IN_CODE_NO_CALL))
def test_names_in_code_are_asked_as_the_walk_asks(name: str) -> None:
    source = IN_CODE_NO_CALL[name]
    tree = ast.parse(source)
    assert has_candidate_call(tree) is False
    assert has_candidate_call(tree, source) is False


def test_a_call_the_text_answers_needs_no_walk() -> None:
    source = "import os\nfrom peft import LoraConfig\n\ndef make():\n    return LoraConfig(r=8)\n"
    assert _answer_from_text(ast.parse(source), source) is True


def test_a_loader_method_of_a_name_imported_later_is_left_to_the_walk() -> None:
    # The walk asks the call before ``X`` is imported (any loader method then counts) and
    # would ask ``classify`` after: the import order decides, so the text does not.
    source = ("from peft import LoraConfig\nmodel = X.from_pretrained('m')\n"
              "from peft import PeftConfig as X\n")
    tree = ast.parse(source)
    assert _answer_from_text(tree, source) is None
    assert has_candidate_call(tree, source) is has_candidate_call(tree) is True


@pytest.mark.parametrize("call", [
    "LC(r=16, lora_alpha=32, lora_dropout=5)",
    "(LoraConfig)(r=16, lora_alpha=32, lora_dropout=5)",
    "LoraConfig  # note\n    (r=16, lora_alpha=32, lora_dropout=5)",
])
def test_flake8_reports_calls_the_text_shows_only_in_part(tmp_path: Path, call: str) -> None:
    source = ('"""Train with ``get_peft_model(model, LoraConfig(...))``."""\n'
              "from peft import LoraConfig, LoraConfig as LC\n"
              "# LoraConfig(r=8) is the default\n"
              f"config = [\n    {call}\n]\n")
    path = tmp_path / "train.py"
    path.write_text(source, encoding="utf-8")
    assert [code for _, _, code in flake8_codes(path)] == ["LOR202"]


def test_a_module_without_calls_reports_nothing(tmp_path: Path) -> None:
    path = write_source(tmp_path, NO_CALL["docstrings"] + "\n\nlora_dropout = 5\n", "tuner.py")
    assert flake8_codes(path) == []


@pytest.mark.parametrize("names", [
    ("LoraConfig", "SFTConfig", "SFTTrainer", "TrainingArguments", "from_pretrained"),
    # a whole name that ends another, a name that is a common end, ends within ends
    ("PeftModel", "AutoPeftModel", "Config", "fig", "OnConfig", "Trainer", "XTrainerConfig", "Arguments"),
    ("a", "ba", "cba", "Configa", "aConfig"),
])
def test_anchors_are_each_names_first_common_end_or_the_name(monkeypatch: pytest.MonkeyPatch,
                                                             names: tuple) -> None:
    """``_anchored_names`` (built in one pass over a listing of the names) is what its definition
    says: per anchor, every name that ends with it; the anchors ordered ``Config`` first."""
    from lora_lint_plugin.analysis import prefilter

    ends = prefilter._NAME_ENDS
    anchors = {next((end for end in ends if name.endswith(end)), name) for name in names}
    expected = tuple((anchor, tuple(name[:-len(anchor)] for name in sorted(names) if name.endswith(anchor)),
                      tuple(name for name in sorted(names) if name.endswith(anchor)))
                     for anchor in sorted(anchors, key=lambda anchor: (anchor != ends[0], anchor)))
    monkeypatch.setattr(prefilter, "_recognisable_last_names", lambda: frozenset(names))
    prefilter._anchored_names.cache_clear()
    try:
        assert prefilter._anchored_names() == expected
    finally:
        prefilter._anchored_names.cache_clear()
