"""LOR301/302 (base vs instruct), LOR401/402 (long context), LOR901-903 (opt-in suggestions).

Expected ids are written out from the model cards' base -> instruct pairs, not taken from the
catalog code under test.
"""

from __future__ import annotations

import difflib

import libcst as cst
import pytest

from lora_lint_plugin.analysis import engine
from lora_lint_plugin.analysis.diagnostics import FixSafety
from lora_lint_plugin.fixing.fixes import fix_source
from lora_lint_plugin.rules import rule_by_code
from lora_lint_plugin.config.settings import Settings

from .conftest import dedent, flake8_codes, lint, run_flake8, write_source

BASE_MODEL_CODES = ("LOR301", "LOR302", "LOR903")


def codes(source: str, *wanted: str, **settings) -> list:
    return [(d.line, d.code) for d in lint(source, **settings) if d.code in wanted]


def analyse(source: str):
    return engine.analyse_source(source)


def chat_script(model_id: str, quote: str = '"') -> str:
    """A chat SFT script (no trainer, so Unsloth's certain-crash rule LOR302 does not apply)."""
    return dedent(f"""
        from unsloth import FastLanguageModel
        from unsloth.chat_templates import get_chat_template
        model, tokenizer = FastLanguageModel.from_pretrained(
            model_name={quote}{model_id}{quote},
            max_seq_length=2048,
        )
        tokenizer = get_chat_template(tokenizer, chat_template="chatml")
        model = FastLanguageModel.get_peft_model(model, r=16)
    """)


def changed_tokens(before: str, after: str) -> list:
    """(old, new) pairs of whitespace-separated tokens that differ."""
    matcher = difflib.SequenceMatcher(a=before.split(), b=after.split())
    return [(" ".join(before.split()[i1:i2]), " ".join(after.split()[j1:j2]))
            for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


# --- LOR301 and its codemod -------------------------------------------------------------------

SIBLINGS = [
    ("unsloth/llama-3-8b-bnb-4bit", "unsloth/llama-3-8b-Instruct-bnb-4bit"),
    ("google/gemma-2-9b", "google/gemma-2-9b-it"),
    ("unsloth/gemma-3-4b-pt", "unsloth/gemma-3-4b-it"),
    ("Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B-Instruct"),
    ("unsloth/Qwen3-8B-Base", "unsloth/Qwen3-8B"),
]


@pytest.mark.parametrize("base,instruct", SIBLINGS)
@pytest.mark.parametrize("quote", ['"', "'"])
def test_fix_switches_base_to_instruct(base, instruct, quote):
    source = chat_script(base, quote)
    diagnostics = [d for d in analyse(source).diagnostics if d.code == "LOR301"]
    assert [d.line for d in diagnostics] == [4]
    assert instruct in diagnostics[0].message
    # unsafe: switching the checkpoint changes what is trained
    assert diagnostics[0].fix is not None and diagnostics[0].fix.safety == FixSafety.UNSAFE
    assert fix_source(source, analyse, unsafe=False).source == source

    outcome = fix_source(source, analyse, unsafe=True)
    assert outcome.error is None
    cst.parse_module(outcome.source)
    assert changed_tokens(source, outcome.source) == [
        (f"model_name={quote}{base}{quote},", f"model_name={quote}{instruct}{quote},")]
    assert fix_source(outcome.source, analyse, unsafe=True).source == outcome.source
    assert not [d for d in analyse(outcome.source).diagnostics if d.code in BASE_MODEL_CODES]


@pytest.mark.parametrize("model_id", [
    "unsloth/Qwen3-8B", "unsloth/phi-4", "unsloth/Llama-3.3-70B-Instruct",
    "meta-llama/Llama-3.3-70B-Instruct", "unsloth/llama-3-8b-Instruct-bnb-4bit",
    "acme/support-bot-8b",
])
def test_post_trained_and_unknown_models_are_never_touched(model_id):
    source = chat_script(model_id)
    assert not [d for d in analyse(source).diagnostics if d.code in BASE_MODEL_CODES]
    assert fix_source(source, analyse, unsafe=True).source == source


def test_plain_text_script_is_silent_for_lor301_but_opt_in_lor903_reports_it():
    source = dedent("""
        from unsloth import FastLanguageModel
        from trl import SFTTrainer
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=16)
        alpaca_prompt = "### Instruction:\\n{}\\n\\n### Response:\\n{}"
        trainer = SFTTrainer(model=model, train_dataset=dataset)
    """)
    assert codes(source, *BASE_MODEL_CODES) == [(3, "LOR903")]
    # LOR903's fix is unsafe: plain `fix` leaves the script alone, --unsafe-fixes switches it.
    assert fix_source(source, analyse, unsafe=False).source == source
    fixed = fix_source(source, analyse, unsafe=True).source
    assert changed_tokens(source, fixed) == [
        ('FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")',
         'FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct-bnb-4bit")')]


def test_module_constant_is_reported_and_fixed_where_it_is_written():
    source = dedent("""
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model

        MODEL_NAME = "google/gemma-2-9b"


        def main():
            model = AutoModelForCausalLM.from_pretrained(MODEL_NAME)
            model = get_peft_model(model, LoraConfig(r=8, target_modules="all-linear"))
            prompt = "<start_of_turn>user\\n{}<end_of_turn>"
    """)
    diagnostics = [d for d in analyse(source).diagnostics if d.code == "LOR301"]
    assert [(d.line, d.col) for d in diagnostics] == [(4, source.splitlines()[3].index('"'))]
    fixed = fix_source(source, analyse, unsafe=True).source
    assert 'MODEL_NAME = "google/gemma-2-9b-it"' in fixed
    assert changed_tokens(source, fixed) == [('"google/gemma-2-9b"', '"google/gemma-2-9b-it"')]


def test_computed_id_is_reported_at_the_argument_without_fix():
    source = dedent("""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained(model_name="unsloth/" + "gemma-2-9b")
        model = FastLanguageModel.get_peft_model(model, r=16)
        text = tokenizer.apply_chat_template(messages, tokenize=False)
    """)
    [diagnostic] = [d for d in analyse(source).diagnostics if d.code == "LOR301"]
    assert (diagnostic.line, diagnostic.col) == (2, source.splitlines()[1].index("model_name"))
    assert diagnostic.fix is None
    assert "unsloth/gemma-2-9b-it" in diagnostic.message


def test_local_path_is_reported_with_the_instruct_id_but_never_rewritten():
    source = chat_script("/models/meta-llama/Meta-Llama-3-8B")
    [diagnostic] = [d for d in analyse(source).diagnostics if d.code == "LOR301"]
    assert diagnostic.fix is None
    assert "Meta-Llama-3-8B-Instruct" in diagnostic.message
    assert fix_source(source, analyse, unsafe=True).source == source


def test_assistant_only_loss_is_a_chat_signal():
    source = dedent("""
        from trl import SFTConfig, SFTTrainer
        trainer = SFTTrainer(model="Qwen/Qwen2.5-7B", args=SFTConfig(assistant_only_loss=True))
        other = SFTTrainer(model="Qwen/Qwen2.5-7B", args=SFTConfig(assistant_only_loss=False))
    """)
    assert codes(source, *BASE_MODEL_CODES) == [(2, "LOR301"), (3, "LOR301")]
    plain = source.replace("assistant_only_loss=True", "assistant_only_loss=False")
    assert codes(plain, "LOR301") == []


def test_continued_pretraining_with_lower_embedding_rate_is_not_reported():
    source = dedent("""
        from unsloth import FastLanguageModel, UnslothTrainer, UnslothTrainingArguments
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/mistral-7b-v0.3-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=128, target_modules=["q_proj", "v_proj", "embed_tokens", "lm_head"])
        eos = "<|im_end|>"
        trainer = UnslothTrainer(model=model, args=UnslothTrainingArguments(
            learning_rate=5e-5, embedding_learning_rate=1e-5))
    """)
    assert codes(source, *BASE_MODEL_CODES) == []


# --- LOR302 ----------------------------------------------------------------------------------

def llama3_unsloth_trainer(model_id: str, peft_args: str = "") -> str:
    return dedent(f"""
        from unsloth import FastLanguageModel
        from unsloth.chat_templates import get_chat_template
        from trl import SFTTrainer
        model, tokenizer = FastLanguageModel.from_pretrained("{model_id}")
        tokenizer = get_chat_template(tokenizer, chat_template="llama-3")
        model = FastLanguageModel.get_peft_model(model, r=16{peft_args})
        trainer = SFTTrainer(model=model, train_dataset=dataset)
    """)


def test_certain_crash_replaces_lor301_and_is_fixed_the_same_way():
    source = llama3_unsloth_trainer("unsloth/llama-3-8b-bnb-4bit")
    assert codes(source, *BASE_MODEL_CODES) == [(4, "LOR302")]
    [diagnostic] = [d for d in analyse(source).diagnostics if d.code == "LOR302"]
    assert "embed_tokens and lm_head" in diagnostic.message
    fixed = fix_source(source, analyse).source
    assert changed_tokens(source, fixed) == [
        ('FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")',
         'FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct-bnb-4bit")')]
    assert codes(fixed, *BASE_MODEL_CODES) == []


def test_trained_embeddings_avoid_the_crash_but_the_advice_stays():
    source = llama3_unsloth_trainer(
        "unsloth/llama-3-8b-bnb-4bit",
        ', target_modules=["q_proj", "v_proj", "embed_tokens", "lm_head"]')
    assert codes(source, *BASE_MODEL_CODES) == [(4, "LOR301")]
    only_one = llama3_unsloth_trainer(
        "unsloth/llama-3-8b-bnb-4bit", ', modules_to_save=["lm_head"]')
    assert codes(only_one, *BASE_MODEL_CODES) == [(4, "LOR302")]


def test_crash_needs_llama3_style_untrained_tokens_and_unsloth():
    # Gemma base: advice (LOR301), not a certain crash.
    assert codes(llama3_unsloth_trainer("unsloth/gemma-2-9b"), *BASE_MODEL_CODES) == [
        (4, "LOR301")]
    # Plain PEFT/TRL: no Unsloth check, so no certain crash.
    source = dedent("""
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model
        from trl import SFTTrainer
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Meta-Llama-3-8B")
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        text = tokenizer.apply_chat_template(messages, tokenize=False)
        trainer = SFTTrainer(model=model, train_dataset=dataset)
    """)
    assert codes(source, *BASE_MODEL_CODES) == [(4, "LOR301")]


# --- LOR401 / LOR402 ---------------------------------------------------------------------------

def unsloth_long(length: str, peft_extra: str = "", loader_extra: str = "",
                 config: str = "SFTConfig()") -> str:
    return dedent(f"""
        from unsloth import FastLanguageModel
        from trl import SFTTrainer, SFTConfig
        model, tokenizer = FastLanguageModel.from_pretrained(
            'unsloth/llama-3-8b-Instruct', max_seq_length={length}{loader_extra})
        model = FastLanguageModel.get_peft_model(model, r=16{peft_extra})
        trainer = SFTTrainer(model=model, args={config})
    """)


def test_long_context_threshold_follows_the_setting():
    off = ", use_gradient_checkpointing=False"
    assert codes(unsloth_long("8191", off), "LOR401") == []
    assert codes(unsloth_long("8192", off), "LOR401") == [(5, "LOR401")]
    assert codes(unsloth_long("4096", off), "LOR401", long_context=4096) == [(5, "LOR401")]
    assert codes(unsloth_long("8 * 1024", off), "LOR401") == [(5, "LOR401")]


def test_unsloth_checkpointing_fix_keeps_quote_style_and_is_idempotent():
    source = unsloth_long("16384", ", use_gradient_checkpointing=False")
    outcome = fix_source(source, analyse)
    assert changed_tokens(source, outcome.source) == [
        ("use_gradient_checkpointing=False)", "use_gradient_checkpointing='unsloth')")]
    assert codes(outcome.source, "LOR401") == []
    assert fix_source(outcome.source, analyse).source == outcome.source


def test_unsloth_checkpointing_absent_or_overridden_is_on():
    assert codes(unsloth_long("32768"), "LOR401") == []
    # The loader's False is replaced by get_peft_model's default ("unsloth").
    assert codes(unsloth_long("32768", loader_extra=", use_gradient_checkpointing=False"),
                 "LOR401") == []
    assert codes(unsloth_long("32768", ", use_gradient_checkpointing=True"), "LOR401") == []


def test_checkpointing_enabled_elsewhere_in_the_file_silences_lor401():
    source = dedent("""
        from transformers import AutoModelForCausalLM, TrainingArguments
        from peft import prepare_model_for_kbit_training
        from trl import SFTTrainer
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B-Instruct")
        model = prepare_model_for_kbit_training(model)
        args = TrainingArguments(output_dir="out", per_device_train_batch_size=1)
        trainer = SFTTrainer(model=model, args=args, max_seq_length=16384)
    """)
    assert codes(source, "LOR401") == []
    without = source.replace("model = prepare_model_for_kbit_training(model)\n", "")
    assert codes(without, "LOR401") == [(5, "LOR401")]


def test_training_arguments_default_off_gets_keyword_added():
    source = dedent("""
        from transformers import TrainingArguments
        from trl import SFTTrainer
        args = TrainingArguments(output_dir="out", per_device_train_batch_size=1)
        trainer = SFTTrainer(model="Qwen/Qwen2.5-7B-Instruct", args=args, max_seq_length=16384)
    """)
    outcome = fix_source(source, analyse)
    assert changed_tokens(source, outcome.source) == [
        ("per_device_train_batch_size=1)", "per_device_train_batch_size=1, gradient_checkpointing=True)")]
    assert codes(outcome.source, "LOR401") == []


def test_explicit_false_on_sft_config_and_unknowns():
    source = dedent("""
        import argparse
        from trl import SFTConfig
        cli = argparse.ArgumentParser().parse_args()
        a = SFTConfig(max_length=16384, gradient_checkpointing=False, per_device_train_batch_size=1)
        b = SFTConfig(max_length=cli.length, gradient_checkpointing=False)
        c = SFTConfig(max_length=16384, gradient_checkpointing=cli.gc, per_device_train_batch_size=1)
        d = SFTConfig(max_length=16384, per_device_train_batch_size=1)
    """)
    assert codes(source, "LOR401", "LOR402") == [(4, "LOR401")]
    fixed = fix_source(source, analyse).source
    assert "a = SFTConfig(max_length=16384, gradient_checkpointing=True," in fixed


def test_large_batch_at_long_context():
    config = "SFTConfig(per_device_train_batch_size={})"
    assert codes(unsloth_long("16384", config=config.format(2)), "LOR402") == [(6, "LOR402")]
    assert codes(unsloth_long("16384", config=config.format(1)), "LOR402") == []
    assert codes(unsloth_long("4096", config=config.format(8)), "LOR402") == []
    # Unset: the default micro-batch of 8 is reported at the args call.
    [diagnostic] = [d for d in lint(unsloth_long("16384")) if d.code == "LOR402"]
    assert diagnostic.line == 6 and "default 8" in diagnostic.message
    assert diagnostic.fix is None


def test_logits_size_is_derived_from_the_vocabulary():
    source = dedent("""
        from trl import SFTConfig, SFTTrainer
        config = SFTConfig(max_length=16384, per_device_train_batch_size=2)
        trainer = SFTTrainer(model="meta-llama/Meta-Llama-3-8B-Instruct", args=config)
    """)
    [diagnostic] = [d for d in lint(source) if d.code == "LOR402"]
    # Llama-3 vocabulary: 128,256 tokens (config.json); fp32 logits = 2 x 16,384 x 128,256 x 4 B.
    assert "128,256" in diagnostic.message
    assert f"{2 * 16384 * 128256 * 4 / 1e9:.1f} GB" in diagnostic.message


# --- LOR901 / LOR902 / opt-in behaviour ------------------------------------------------------

def test_lor901_fix_and_short_context_exemption():
    source = unsloth_long("4096", ", use_gradient_checkpointing=True")
    assert codes(source, "LOR901") == [(5, "LOR901")]
    fixed = fix_source(source, analyse).source
    assert "use_gradient_checkpointing='unsloth'" in fixed
    assert codes(fixed, "LOR901") == []
    assert codes(unsloth_long("256", ", use_gradient_checkpointing=True"), "LOR901") == []


def test_lor902_needs_a_known_llama_style_model():
    source = dedent("""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/Qwen2.5-7B-Instruct")
        model = FastLanguageModel.get_peft_model(
            model, target_modules=("self_attn.q_proj", "self_attn.v_proj"))
    """)
    [diagnostic] = [d for d in lint(source) if d.code == "LOR902"]
    assert diagnostic.line == 4 and "r=16" in diagnostic.message  # Unsloth's default rank
    # the estimator's counter: 16 * 28 * ((3584 + 3584) + (3584 + 512)) = 5,046,272 for q/v, and
    # PEFT 0.21.2's trainable count for the seven projections (tests/data/lora_r16_expected.json)
    assert "(r=16: 5.05 M trainable parameters instead of 40.37 M)" in diagnostic.message
    with_k = source.replace('"self_attn.v_proj"', '"self_attn.v_proj", "k_proj"')
    assert codes(with_k, "LOR902") == []


@pytest.mark.parametrize("code", ["LOR901", "LOR902", "LOR903"])
def test_lor9_rules_are_opt_in(code):
    assert rule_by_code(code).default_enabled is False


def test_opt_in_rules_only_through_flake8_when_selected(tmp_path):
    path = write_source(tmp_path, unsloth_long("4096", ", use_gradient_checkpointing=True"))
    default_run = run_flake8(path)
    assert "Traceback" not in default_run.stderr
    assert "LOR901" not in default_run.stdout
    selected = run_flake8(path, "--extend-select=LOR9").stdout
    assert [line.split(":")[1] for line in selected.splitlines() if " LOR901 " in line] == ["5"]


def test_flake8_reports_lor301_at_the_model_literal(tmp_path):
    source = chat_script("google/gemma-2-9b")
    path = write_source(tmp_path, source)
    column = source.splitlines()[3].index('"') + 1  # flake8 columns are 1-based
    assert (4, column, "LOR301") in flake8_codes(path)


def test_long_context_setting_reaches_the_rules_through_flake8(tmp_path):
    path = write_source(tmp_path, unsloth_long("4096", ", use_gradient_checkpointing=False"))
    assert [c for c in flake8_codes(path) if c[2] == "LOR401"] == []
    found = flake8_codes(path, "--lora-lint-long-context=4096")
    assert [c[:1] + c[2:] for c in found if c[2] == "LOR401"] == [(5, "LOR401")]


def test_rules_never_crash_on_odd_values():
    source = dedent("""
        from unsloth import FastLanguageModel
        from trl import SFTConfig, SFTTrainer
        model, tokenizer = FastLanguageModel.from_pretrained(
            model_name=None, max_seq_length="long", use_gradient_checkpointing=None)
        model = FastLanguageModel.get_peft_model(model, r=16, target_modules=[1, None],
                                                 use_gradient_checkpointing=[])
        trainer = SFTTrainer(model=model, args=SFTConfig(max_length=1e9,
                             per_device_train_batch_size="8", gradient_checkpointing=0))
    """)
    analysis = engine.analyse_source(source, Settings())
    assert analysis.error is None


def test_infinite_and_nan_literals_are_not_lengths_or_batches():
    source = dedent("""
        from trl import SFTConfig, SFTTrainer
        a = SFTConfig(max_length=1e999, gradient_checkpointing=False, per_device_train_batch_size=4)
        b = SFTConfig(max_length=16384, per_device_train_batch_size=1e999)
        c = SFTConfig(max_length=1e999 - 1e999, gradient_checkpointing=False)
    """)
    assert engine.analyse_source(source).error is None
    assert codes(source, "LOR401", "LOR402") == []
