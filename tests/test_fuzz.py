"""Fuzzing: generated programs through the engine, the flake8 plugin class and the fixer.

Two generators: hypothesmith's grammar-based programs (arbitrary Python, prefixed with LoRA
code so the prefilter lets them through to LibCST), and a generator of LoRA-ish programs built
from fragments (LoraConfig with literal / unresolvable arguments, import aliases, lists held in
variables, ``**`` unpacking, Unsloth and TRL calls) that reaches the rules and their fixes.

Properties: no exception escapes; every diagnostic is a LOR code on a line of the file; fixing
gives code that parses, and fixing the fixed code again changes nothing more.

Examples per test: ``LORA_LINT_FUZZ_EXAMPLES`` (default 25, a few seconds per test). A longer
run: ``LORA_LINT_FUZZ_EXAMPLES=2000 python -m pytest tests/test_fuzz.py -q``.
"""

from __future__ import annotations

import ast
import os
import re

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lora_lint_plugin.analysis.engine import analyse_source
from lora_lint_plugin.fixing.fixes import fix_source
from lora_lint_plugin.flake8_plugin import LoraLintPlugin

hypothesmith = pytest.importorskip("hypothesmith")
# generated programs may be legal but dubious (`...[0]`): the parser warns, that is fine
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::SyntaxWarning")]

EXAMPLES = int(os.environ.get("LORA_LINT_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])

LORA_PREFIX = (
    "from peft import LoraConfig, get_peft_model\n"
    "config = LoraConfig(r=0, target_modules=['q_proj', 'embed_tokens', 'q_proj'])\n"
)
CODE = re.compile(r"^LOR\d{3}$")


def _check_analysis(source: str) -> None:
    analysis = analyse_source(source)
    line_count = max(1, source.count("\n") + 1)
    for diagnostic in analysis.diagnostics:
        assert CODE.match(diagnostic.code), diagnostic
        assert 1 <= diagnostic.span.line <= line_count, diagnostic
        assert diagnostic.message and not diagnostic.message.endswith(".")


def _check_plugin(source: str) -> None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return  # flake8 reports E999 and never calls plugins
    lines = source.splitlines(keepends=True)
    for line, col, message, _ in LoraLintPlugin(tree, lines, "generated.py").run():
        assert CODE.match(message.split(" ", 1)[0]), message
        # LOR000 may say LibCST could not parse what CPython accepts (e.g. a backslash
        # continuation at the end of the file), never that lora-lint itself failed.
        assert "failed on this file" not in message, message
        assert line >= 1 and col >= 0


def _check_fix(source: str) -> None:
    def analyse(text: str):
        return analyse_source(text)

    for unsafe in (False, True):
        outcome = fix_source(source, analyse, unsafe=unsafe)
        assert outcome.error is None or not outcome.applied
        if outcome.changed:
            cst.parse_module(outcome.source)  # the fixed code parses
            again = fix_source(outcome.source, analyse, unsafe=unsafe)
            assert again.source == outcome.source or again.changed  # never an error
            assert again.error is None
        else:
            assert outcome.source == source


@FUZZ
@given(hypothesmith.from_grammar())
def test_grammar_programs_never_break_the_engine(program):
    _check_analysis(program)
    _check_analysis(LORA_PREFIX + program)
    _check_plugin(LORA_PREFIX + program)


@FUZZ
@given(hypothesmith.from_node())
def test_libcst_generated_modules_never_break_the_fixer(program):
    _check_analysis(LORA_PREFIX + program)
    _check_fix(LORA_PREFIX + program)


# -- LoRA-ish programs from fragments ------------------------------------------------------

MODULE_NAMES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj",
                "embed_tokens", "lm_head", "wte", "c_attn", "all-linear", "mlp", "experts",
                "q_proj", "", "model.layers.0.self_attn.q_proj", ".*proj"]
MODEL_IDS = ["meta-llama/Meta-Llama-3-8B", "meta-llama/Meta-Llama-3-8B-Instruct",
             "unsloth/llama-3-8b-bnb-4bit", "Qwen/Qwen2.5-7B", "google/gemma-2-9b",
             "mistralai/Mixtral-8x7B-v0.1", "not/a-real-model", ""]


unresolvable = st.sampled_from(["args.rank", "os.environ['R']", "int(sys.argv[1])",
                                "compute()", "cfg['r']", "unknown_name", "*extra"])
scalars = st.one_of(
    st.integers(-3, 300).map(repr),
    st.floats(allow_nan=True, allow_infinity=True, width=32).map(repr),
    st.sampled_from(["'8'", "None", "True", "False", "'none'", "'all'", "'lora_only'", "0.1",
                     "1e-4", "-1", "'gaussian'"]),
)
module_lists = st.lists(st.sampled_from(MODULE_NAMES), max_size=8).map(repr)
module_values = st.one_of(module_lists, st.sampled_from(MODULE_NAMES).map(repr),
                          st.just("TARGETS"), st.just("TARGETS + ['lm_head']"),
                          st.just("('q_proj', 'v_proj')"), st.just("set(TARGETS)"))
keyword_names = st.sampled_from(["r", "lora_alpha", "lora_dropout", "bias", "task_type",
                                 "use_rslora", "init_lora_weights", "layers_to_transform",
                                 "rank_pattern", "fan_in_fan_out", "use_dora"])


@st.composite
def lora_programs(draw) -> str:
    lines = []
    alias = draw(st.sampled_from(["plain", "as", "module", "star_dict"]))
    if alias == "plain":
        lines.append("from peft import LoraConfig, get_peft_model")
        config_call = "LoraConfig"
    elif alias == "as":
        lines.append("from peft import LoraConfig as LC, get_peft_model")
        config_call = "LC"
    else:
        lines.append("import peft")
        lines.append("from peft import get_peft_model")
        config_call = "peft.LoraConfig"
    lines.append("from transformers import AutoModelForCausalLM, TrainingArguments")
    if draw(st.booleans()):
        lines.append("from trl import SFTTrainer, SFTConfig")
    lines.append(f"TARGETS = {draw(module_lists)}")
    model_id = draw(st.sampled_from(MODEL_IDS))
    lines.append(f"model = AutoModelForCausalLM.from_pretrained({model_id!r})")
    arguments = []
    for name in draw(st.lists(keyword_names, max_size=5, unique=True)):
        value = draw(st.one_of(scalars, unresolvable.filter(lambda v: not v.startswith("*"))))
        arguments.append(f"{name}={value}")
    if draw(st.booleans()):
        arguments.append(f"target_modules={draw(module_values)}")
    if draw(st.booleans()):
        arguments.append(f"modules_to_save={draw(module_values)}")
    if alias == "star_dict":
        lines.append(f"kwargs = dict({', '.join(arguments)})")
        arguments = ["**kwargs"]
    if draw(st.booleans()):
        arguments.insert(0, draw(unresolvable.filter(lambda v: v.startswith("*"))))
    lines.append(f"config = {config_call}({', '.join(arguments)})")
    shape = draw(st.sampled_from(["join", "trainer", "both", "none"]))
    if shape in ("join", "both"):
        lines.append("model = get_peft_model(model, config)")
    if shape in ("trainer", "both") and "from trl import SFTTrainer, SFTConfig" in lines:
        seq = draw(st.sampled_from(["512", "32768", "args.max_len"]))
        lines.append(f"training_args = SFTConfig(output_dir='out', max_seq_length={seq}, "
                     f"per_device_train_batch_size={draw(st.integers(1, 64))})")
        peft_config = ", peft_config=config" if shape == "trainer" else ""
        lines.append(f"trainer = SFTTrainer(model=model, args=training_args{peft_config})")
    if draw(st.booleans()):
        # wrap everything but the imports in a function
        body = lines[3:]
        lines = lines[:3] + ["def train():"] + ["    " + line for line in body] + ["train()"]
    return "\n".join(lines) + "\n"


@st.composite
def unsloth_programs(draw) -> str:
    model_id = draw(st.sampled_from(MODEL_IDS))
    arguments = [f"{name}={draw(scalars)}"
                 for name in draw(st.lists(keyword_names, max_size=4, unique=True))]
    if draw(st.booleans()):
        arguments.append(f"target_modules={draw(module_values)}")
    if draw(st.booleans()):
        arguments.append(f"use_gradient_checkpointing={draw(scalars)}")
    return (
        "from unsloth import FastLanguageModel\n"
        f"TARGETS = {draw(module_lists)}\n"
        f"model, tokenizer = FastLanguageModel.from_pretrained({model_id!r}, "
        f"max_seq_length={draw(st.sampled_from(['2048', '65536', 'n']))})\n"
        f"model = FastLanguageModel.get_peft_model(model, {', '.join(arguments)})\n"
    )


@FUZZ
@given(st.one_of(lora_programs(), unsloth_programs()))
def test_spliced_fixes_equal_the_whole_module_transform(program):
    # Fixes are applied by splicing the rewritten nodes' text into the source; the whole
    # LibCST module transform must give the same text for every round's fixes.
    from lora_lint_plugin.fixing.fixes import CstIndex, apply_fixes, plan_round

    analysis = analyse_source(program)
    fixes = [fix for fix, _ in plan_round(analysis.diagnostics, unsafe=True)]
    if fixes:
        index = CstIndex(program)
        assert apply_fixes(index, fixes) == apply_fixes(index, fixes, splice=False)


@FUZZ
@given(st.one_of(lora_programs(), unsloth_programs()))
def test_lora_programs_analyse_and_fix_cleanly(program):
    compile(program, "generated.py", "exec")  # the generator makes valid Python
    _check_analysis(program)
    _check_plugin(program)
    _check_fix(program)


def test_the_lora_generator_reaches_the_rules():
    # Guard against a generator that silently stops exercising anything: across a fixed set of
    # draws, some programs must produce diagnostics and some fixes.
    found_codes = set()
    fixed = 0

    @settings(max_examples=60, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.one_of(lora_programs(), unsloth_programs()))
    def collect(program):
        nonlocal fixed
        analysis = analyse_source(program)
        found_codes.update(d.code for d in analysis.diagnostics)
        fixed += any(d.fix is not None for d in analysis.diagnostics)

    collect()
    assert len(found_codes) >= 3, found_codes
    assert fixed >= 1
