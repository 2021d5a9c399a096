"""Targeted tests of LOR201-LOR207 and LOR501-LOR506: positions, messages, fixes, traps.

Expected error texts are PEFT's / Unsloth's / TRL's / transformers' own messages (peft 0.21.2,
unsloth 2026.10.9, trl 1.16.0), expected fixed sources are written out by hand.
"""

from __future__ import annotations

import libcst as cst
import pytest

from lora_lint_plugin.analysis.engine import analyse_source
from lora_lint_plugin.fixing.fixes import fix_source
from lora_lint_plugin.config.settings import Settings

from .conftest import dedent, flake8_codes, lint, run_flake8


def only(code, source):
    return [d for d in lint(source) if d.code == code]


def fixed(source, *codes, unsafe=False):
    def analyse(text):
        return analyse_source(text, Settings(), lambda code: code in codes)
    outcome = fix_source(dedent(source), analyse, unsafe=unsafe)
    assert outcome.error is None, outcome.error
    cst.parse_module(outcome.source)  # every fixed output must still parse
    return outcome.source


# -- positions through real flake8 -------------------------------------------------------------

def test_columns_through_flake8(tmp_source):
    path = tmp_source('''
        from peft import LoraConfig
        config = LoraConfig(r=0, lora_alpha=0, lora_dropout=1.5, bias="None", task_type="causal")
    ''')
    found = set(flake8_codes(path))
    # flake8 columns are 1-based and point at the literal of each offending value
    assert (2, 23, "LOR201") in found
    assert (2, 37, "LOR204") in found
    assert (2, 53, "LOR202") in found
    assert (2, 63, "LOR203") in found
    assert (2, 81, "LOR206") in found


def test_noqa_silences(tmp_source):
    path = tmp_source('''
        from peft import LoraConfig
        config = LoraConfig(r=0)  # noqa: LOR201
    ''')
    assert flake8_codes(path) == []


# -- LOR201 -----------------------------------------------------------------------------------

def test_lor201_peft_message_has_the_exact_error():
    [d] = only("LOR201", '''
        from peft import LoraConfig
        config = LoraConfig(r=-4)
    ''')
    assert "`r` should be a positive integer value but the value passed is -4" in d.message


def test_lor201_unsloth_message_has_unsloth_error():
    [d] = only("LOR201", '''
        from unsloth import FastLanguageModel
        model, tok = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, 32.0)
    ''')
    assert "Unsloth: Rank of 32.0 must be an integer." in d.message


def test_lor201_fix_integral_float_only():
    source = '''
        from peft import LoraConfig
        a = LoraConfig(r=16.0, lora_alpha=32)
        b = LoraConfig(r=0.5)
    '''
    assert fixed(source, "LOR201") == dedent('''
        from peft import LoraConfig
        a = LoraConfig(r=16, lora_alpha=32)
        b = LoraConfig(r=0.5)
    ''')


def test_lor201_bool_is_not_a_rank_and_unknown_is_silent():
    found = only("LOR201", '''
        import peft as p
        import sys
        a = p.LoraConfig(r=True)
        b = p.LoraConfig(r=int(sys.argv[1]))
        c = p.LoraConfig(**OPTIONS)
    ''')
    assert [d.line for d in found] == [3]


# -- LOR202 / LOR204 ---------------------------------------------------------------------------

@pytest.mark.parametrize("value,reported", [
    ("0", False), ("0.1", False), ("0.999", False), ("1", True), ("1.0", True),
    ("1.5", True), ("-0.05", True)])
def test_lor202_boundaries(value, reported):
    found = only("LOR202", f'''
        from peft import LoraConfig
        config = LoraConfig(lora_dropout={value})
    ''')
    assert bool(found) is reported


def test_lor202_message_over_one_quotes_torch():
    [d] = only("LOR202", '''
        from peft import LoraConfig
        config = LoraConfig(lora_dropout=1.5)
    ''')
    assert "dropout probability has to be between 0 and 1, but got 1.5" in d.message


@pytest.mark.parametrize("value,reported", [("16", False), ("0.5", False), ("0", True), ("-8", True)])
def test_lor204_boundaries(value, reported):
    found = only("LOR204", f'''
        from peft import LoraConfig
        config = LoraConfig(r=8, lora_alpha={value})
    ''')
    assert bool(found) is reported


# -- LOR203 -----------------------------------------------------------------------------------

@pytest.mark.parametrize("value,reported", [
    ('"none"', False), ('"all"', False), ('"lora_only"', False),
    ('"boft_only"', False),  # PEFT accepts any value ending in "_only"
    ('"None"', True), ('"lora"', True), ("None", True)])
def test_lor203_accepted_values_follow_peft(value, reported):
    found = only("LOR203", f'''
        from peft import LoraConfig
        config = LoraConfig(bias={value})
    ''')
    assert bool(found) is reported


def test_lor203_fixes_case_and_none():
    source = '''
        from peft import LoraConfig
        a = LoraConfig(bias="None")
        b = LoraConfig(bias='LORA_ONLY')
        c = LoraConfig(bias=None)
        d = LoraConfig(bias="lora")
    '''
    assert fixed(source, "LOR203") == dedent('''
        from peft import LoraConfig
        a = LoraConfig(bias="none")
        b = LoraConfig(bias='lora_only')
        c = LoraConfig(bias="none")
        d = LoraConfig(bias="lora")
    ''')


def test_lor203_message_has_peft_error():
    [d] = only("LOR203", '''
        from peft import LoraConfig
        config = LoraConfig(bias="lora")
    ''')
    assert "NotImplementedError: Requested bias: lora, is not implemented." in d.message


# -- LOR205 -----------------------------------------------------------------------------------

def test_lor205_not_for_unknown_models_or_dropout():
    found = only("LOR205", '''
        from unsloth import FastLanguageModel
        model, tok = FastLanguageModel.from_pretrained(MODEL_NAME)
        model = FastLanguageModel.get_peft_model(
            model, lora_dropout=0.1, target_modules=["self_attn.q_proj"])
    ''')
    assert found == []


def test_lor205_typo_is_left_to_lor103():
    found = only("LOR205", '''
        from unsloth import FastLanguageModel
        model, tok = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, target_modules=["q_proj", "v_prj"])
    ''')
    assert found == []


def test_lor205_message_names_the_leaf():
    [d] = only("LOR205", '''
        from unsloth import FastLanguageModel
        model, tok = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, target_modules=["mlp.down_proj"])
    ''')
    assert "'mlp.down_proj'" in d.message and "'down_proj'" in d.message


# -- LOR206 -----------------------------------------------------------------------------------

def test_lor206_fixes_keyword_and_task_type():
    source = '''
        from peft import LoraConfig
        config = LoraConfig(
            r=16,
            target_module=["q_proj"],  # typo
            task_type="causal_lm",
        )
    '''
    assert fixed(source, "LOR206") == dedent('''
        from peft import LoraConfig
        config = LoraConfig(
            r=16,
            target_modules=["q_proj"],  # typo
            task_type="CAUSAL_LM",
        )
    ''')


def test_lor206_no_rename_when_target_keyword_already_present():
    source = '''
        from peft import LoraConfig
        config = LoraConfig(target_modules=["q_proj"], target_module=["v_proj"])
    '''
    [d] = only("LOR206", source)
    assert d.fix is None
    assert "'target_module'" in d.message and "target_modules" in d.message


def test_lor206_message_has_type_error_and_task_list():
    found = only("LOR206", '''
        from peft import LoraConfig
        config = LoraConfig(lora_droput=0.1, task_type="CAUSAL")
    ''')
    messages = " ".join(d.message for d in found)
    assert "LoraConfig.__init__() got an unexpected keyword argument 'lora_droput'" in messages
    assert "did you mean 'lora_dropout'" in messages
    assert ("Invalid task type: 'CAUSAL'. Must be one of the following task types: SEQ_CLS, "
            "SEQ_2_SEQ_LM, CAUSAL_LM, TOKEN_CLS, QUESTION_ANS, FEATURE_EXTRACTION.") in messages


def test_lor206_inherited_and_new_fields_are_known():
    found = only("LOR206", '''
        from peft import LoraConfig
        config = LoraConfig(
            inference_mode=False, base_model_name_or_path="x", revision="main",
            trainable_token_indices=[1, 2], target_parameters=["experts.gate_up_proj"],
            ensure_weight_tying=True, use_dora=True, exclude_modules=["lm_head"],
        )
    ''')
    assert found == []


def test_lor206_layer_options():
    found = only("LOR206", '''
        from peft import LoraConfig
        a = LoraConfig(target_modules=".*q_proj", layers_pattern="layers", layers_to_transform=[0])
        b = LoraConfig(target_modules=["q_proj"], layers_pattern="layers")
        c = LoraConfig(target_modules=["q_proj"], layers_pattern="layers", layers_to_transform=[0])
        d = LoraConfig(init_lora_weights="loftq", loftq_config={})
    ''')
    messages = sorted((d.line, d.message.split(":")[0]) for d in found)
    assert messages == [
        (2, "layers_pattern with a string target_modules"),
        (2, "layers_to_transform with a string target_modules"),
        (3, "layers_pattern without layers_to_transform"),
        (5, 'init_lora_weights="loftq" without loftq_config'),
    ]


def test_lor206_unsloth_keywords_and_kwargs_forwarding():
    found = only("LOR206", '''
        from unsloth import FastLanguageModel
        model, tok = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16, use_gradient_checkpointing="unsloth", use_dora=True,
            loftq_config={}, init_lora_weights="loftq", lora_alpah=16)
    ''')
    # Unsloth fills in a LoftQ config itself: only the typo is reported
    assert [d.message.split(":")[0] for d in found] == \
        ["'lora_alpah' is not a LoraConfig keyword (FastLanguageModel.get_peft_model passes it on to LoraConfig)"]


# -- LOR207 -----------------------------------------------------------------------------------

def test_lor207_only_both_literal_true():
    found = only("LOR207", '''
        from transformers import TrainingArguments
        from trl import SFTConfig, SFTTrainer
        a = TrainingArguments(output_dir="o", fp16=True, bf16=True)
        b = TrainingArguments(output_dir="o", fp16=True, bf16=False)
        c = SFTConfig(fp16=not supported(), bf16=supported())
        d = SFTConfig(fp16=1, bf16=True)
    ''')
    assert [d.line for d in found] == [3]
    assert "At most one of fp16 and bf16 can be True, but not both" in found[0].message


# -- LOR501 -----------------------------------------------------------------------------------

UNSLOTH_EMBEDDINGS = '''
    from unsloth import FastLanguageModel, UnslothTrainer, UnslothTrainingArguments
    model, tok = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
    model = FastLanguageModel.get_peft_model(model, r=16, modules_to_save=["embed_tokens"])
'''


def test_lor501_fix_adds_a_tenth_of_the_learning_rate():
    source = UNSLOTH_EMBEDDINGS + '''
    trainer = UnslothTrainer(
        model=model,
        args=UnslothTrainingArguments(
            output_dir="out",
            learning_rate=2e-4,
        ),
    )
    '''
    assert fixed(source, "LOR501") == dedent(source).replace(
        "learning_rate=2e-4,\n", "learning_rate=2e-4,\n        embedding_learning_rate=2e-5,\n")


def test_lor501_fix_single_line_call():
    source = UNSLOTH_EMBEDDINGS + '''
    args = UnslothTrainingArguments(output_dir="out", learning_rate=5e-5)
    trainer = UnslothTrainer(model=model, args=args)
    '''
    assert 'UnslothTrainingArguments(output_dir="out", learning_rate=5e-5, embedding_learning_rate=5e-6)' \
        in fixed(source, "LOR501")


def test_lor501_no_fix_for_sft_trainer_and_points_at_args():
    source = '''
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        from trl import SFTTrainer, SFTConfig
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B")
        model = get_peft_model(model, LoraConfig(r=16, modules_to_save=["lm_head"]))
        trainer = SFTTrainer(model=model,
                             args=SFTConfig(output_dir="o"))
    '''
    [d] = only("LOR501", source)
    assert d.line == 7 and d.fix is None
    assert "learning_rate=2e-5" in d.message  # SFTConfig's default learning rate
    # a plain transformers/TRL script: no advice to switch to Unsloth's trainer
    assert "Unsloth" not in d.message and "optimizers=" in d.message


def test_lor501_trainer_without_args_is_the_anchor():
    source = UNSLOTH_EMBEDDINGS + '''
    trainer = UnslothTrainer(model=model, train_dataset=data)
    '''
    [d] = only("LOR501", source)
    assert d.line == dedent(source).splitlines().index("trainer = UnslothTrainer(model=model, train_dataset=data)") + 1
    # 1/10 of the 2e-5 default learning rate of UnslothTrainingArguments (TRL's SFTConfig)
    assert "pass args=UnslothTrainingArguments(embedding_learning_rate=2e-6)" in d.message
    assert "Unsloth recommends a 2-10x smaller rate" in d.message


def test_lor501_silent_with_unknown_args_or_without_trainer():
    assert only("LOR501", UNSLOTH_EMBEDDINGS + '''
    trainer = UnslothTrainer(model=model, args=build_args())
    ''') == []
    assert only("LOR501", UNSLOTH_EMBEDDINGS) == []


def test_lor501_and_lor101_split_the_work():
    """A lower embedding rate silences LOR101; LOR501 stays silent too."""
    found = lint(UNSLOTH_EMBEDDINGS + '''
    trainer = UnslothTrainer(model=model, args=UnslothTrainingArguments(
        learning_rate=5e-5, embedding_learning_rate=5e-6))
    ''')
    assert [d for d in found if d.code in ("LOR101", "LOR102", "LOR501", "LOR502")] == []


@pytest.mark.parametrize("value,text", [
    (2e-4, "2e-4"), (2e-4 / 10, "2e-5"), (1.5e-4, "1.5e-4"), (5e-5 / 10, "5e-6"), (0.05, "0.05")])
def test_lor501_learning_rates_print_as_written(value, text):
    from lora_lint_plugin.rules.lor501_no_embedding_learning_rate import format_learning_rate
    assert format_learning_rate(value) == text


# -- LOR502 -----------------------------------------------------------------------------------

def test_lor502_switches_trainer_with_existing_import():
    source = '''
        from unsloth import FastLanguageModel, UnslothTrainer, UnslothTrainingArguments
        from trl import SFTTrainer
        trainer = SFTTrainer(model=model, args=UnslothTrainingArguments(
            learning_rate=5e-5, embedding_learning_rate=5e-6))
    '''
    assert fixed(source, "LOR502") == dedent(source).replace(
        "trainer = SFTTrainer(", "trainer = UnslothTrainer(")


def test_lor502_adds_the_name_to_the_unsloth_import():
    source = '''
        from unsloth import FastLanguageModel
        from trl import SFTConfig, SFTTrainer
        args = SFTConfig(learning_rate=5e-5, embedding_learning_rate=5e-6)
        trainer = SFTTrainer(model=model, args=args)
    '''
    result = fixed(source, "LOR502")
    assert result == dedent('''
        from unsloth import FastLanguageModel, UnslothTrainingArguments, UnslothTrainer
        from trl import SFTConfig, SFTTrainer
        args = UnslothTrainingArguments(learning_rate=5e-5, embedding_learning_rate=5e-6)
        trainer = UnslothTrainer(model=model, args=args)
    ''')
    assert only("LOR502", result) == []


def test_lor502_no_fix_without_unsloth_import_or_for_training_arguments():
    [d] = only("LOR502", '''
        from trl import SFTConfig
        args = SFTConfig(embedding_learning_rate=1e-5)
    ''')
    assert d.fix is None
    assert "SFTConfig.__init__() got an unexpected keyword argument 'embedding_learning_rate'" in d.message
    [d] = only("LOR502", '''
        from unsloth import FastLanguageModel
        from transformers import TrainingArguments
        from trl import SFTTrainer
        args = TrainingArguments(embedding_learning_rate=1e-5)
    ''')
    assert d.fix is None


def test_lor502_module_attribute_import():
    source = '''
        import unsloth
        import trl
        trainer = trl.SFTTrainer(model=model, args=unsloth.UnslothTrainingArguments(
            embedding_learning_rate=1e-5))
    '''
    assert "trainer = unsloth.UnslothTrainer(model=model" in fixed(source, "LOR502")


# -- LOR503 / LOR504 ---------------------------------------------------------------------------

def test_lor503_drops_peft_config_keeping_layout():
    source = '''
        from peft import LoraConfig, get_peft_model
        from trl import SFTTrainer
        config = LoraConfig(r=16)
        model = get_peft_model(base_model(), config)
        trainer = SFTTrainer(
            model=model,  # adapted above
            peft_config=config,
        )
        other = SFTTrainer(model, peft_config=config, args=None)
    '''
    assert fixed(source, "LOR503") == dedent('''
        from peft import LoraConfig, get_peft_model
        from trl import SFTTrainer
        config = LoraConfig(r=16)
        model = get_peft_model(base_model(), config)
        trainer = SFTTrainer(
            model=model,  # adapted above
        )
        other = SFTTrainer(model, args=None)
    ''')


def test_lor503_message_and_unsloth_adapter():
    [d] = only("LOR503", '''
        from unsloth import FastLanguageModel
        from trl import SFTTrainer
        from peft import LoraConfig
        model, tok = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=16)
        trainer = SFTTrainer(model=model, peft_config=LoraConfig(r=16))
    ''')
    assert "You passed a `PeftModel` instance together with a `peft_config`" in d.message
    assert "line 5" in d.message


def test_lor504_silent_when_get_peft_model_is_applied_anywhere():
    assert only("LOR504", '''
        from unsloth import FastLanguageModel
        from trl import SFTTrainer
        model, tok = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        FastLanguageModel.get_peft_model(model, r=16)
        trainer = SFTTrainer(model=model, peft_config=config)
    ''') == []


def test_lor504_and_lor503_do_not_overlap():
    found = lint('''
        from unsloth import FastLanguageModel
        from peft import LoraConfig
        from trl import SFTTrainer
        model, tok = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        trainer = SFTTrainer(model=model, peft_config=LoraConfig(r=16))
    ''')
    assert [d.code for d in found if d.code in ("LOR503", "LOR504")] == ["LOR504"]


# -- LOR505 -----------------------------------------------------------------------------------

def test_lor505_renames_and_moves():
    source = '''
        from trl import SFTConfig, SFTTrainer
        trainer = SFTTrainer(
            model=model,
            tokenizer=tokenizer,
            max_seq_length=2048,
            args=SFTConfig(
                output_dir="out",
            ),
            packing=True,
        )
    '''
    assert fixed(source, "LOR505") == dedent('''
        from trl import SFTConfig, SFTTrainer
        trainer = SFTTrainer(
            model=model,
            processing_class=tokenizer,
            args=SFTConfig(
                output_dir="out",
                max_length=2048,
                packing=True,
            ),
        )
    ''')


def test_lor505_moves_into_a_separate_config_call():
    source = '''
        from trl import SFTConfig, SFTTrainer
        config = SFTConfig(output_dir="out", max_seq_length=1024)
        trainer = SFTTrainer(model=model, args=config, dataset_text_field="text")
    '''
    assert fixed(source, "LOR505") == dedent('''
        from trl import SFTConfig, SFTTrainer
        config = SFTConfig(output_dir="out", max_length=1024, dataset_text_field="text")
        trainer = SFTTrainer(model=model, args=config)
    ''')


def test_lor505_no_move_without_a_known_config():
    [d] = only("LOR505", '''
        from trl import SFTTrainer
        from transformers import TrainingArguments
        trainer = SFTTrainer(model=model, args=TrainingArguments("o"), packing=True)
    ''')
    assert d.fix is None
    assert "SFTTrainer.__init__() got an unexpected keyword argument 'packing'" in d.message


def test_lor505_silent_under_unsloth():
    assert only("LOR505", '''
        from unsloth import FastLanguageModel
        from trl import SFTConfig
        args = SFTConfig(max_seq_length=2048)
    ''') == []


TRL_BEFORE_UNSLOTH = """\
{first}from trl import SFTTrainer
from unsloth import FastLanguageModel
{rebinding}trainer = SFTTrainer(model=model, tokenizer=tokenizer)
"""


@pytest.mark.parametrize("first, rebinding, helper, reported", [
    ("", "", None, True),
    # TRL's name bound again after Unsloth's import: Unsloth's class may be the one called
    ("", "from trl import SFTTrainer\n", None, False),
    # a project module imported first imports Unsloth: trl was patched before the file's import
    ("from helper import load\n", "", "import unsloth\ndef load(): pass\n", False),
    ("from helper import load\n", "", "def load(): pass\n", True),
])
def test_lor505_trl_name_bound_before_unsloth_through_flake8(tmp_path, first, rebinding, helper,
                                                             reported):
    """A file that imports Unsloth after binding SFTTrainer from trl calls TRL's own class."""
    if helper is not None:
        (tmp_path / "helper.py").write_text(helper, encoding="utf-8")
    path = tmp_path / "train.py"
    source = TRL_BEFORE_UNSLOTH.format(first=first, rebinding=rebinding)
    path.write_text(source, encoding="utf-8")
    call_line = source.splitlines().index("trainer = SFTTrainer(model=model, tokenizer=tokenizer)") + 1
    found = [(row, code) for row, _, code in flake8_codes(path) if code == "LOR505"]
    assert found == ([(call_line, "LOR505")] if reported else []), found
    if reported:
        message = [line for line in run_flake8(path, "--select=LOR505").stdout.splitlines()][0]
        assert "imported from trl on line" in message and "TRL's own class" in message


def test_lor505_unsloth_imported_only_in_a_function_stays_silent():
    assert only("LOR505", '''
        from trl import SFTTrainer
        def main():
            from unsloth import FastLanguageModel
            return SFTTrainer(model=model, tokenizer=tokenizer)
    ''') == []


# -- LOR506 -----------------------------------------------------------------------------------

def test_lor506_moves_the_import_up():
    source = '''
        """Train."""
        from __future__ import annotations

        # third-party
        import torch
        from transformers import TrainingArguments
        from trl import SFTTrainer

        # unsloth patches trl
        from unsloth import FastLanguageModel

        model, tok = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
    '''
    result = fixed(source, "LOR506")
    assert result == dedent('''
        """Train."""
        from __future__ import annotations

        # third-party
        import torch
        # unsloth patches trl
        from unsloth import FastLanguageModel
        from transformers import TrainingArguments
        from trl import SFTTrainer

        model, tok = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
    ''')
    assert only("LOR506", result) == []


def test_lor506_no_fix_with_code_in_between():
    source = '''
        from transformers import TrainingArguments
        import os
        os.environ["CUDA_VISIBLE_DEVICES"] = "0"
        from unsloth import FastLanguageModel
        model, tok = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
    '''
    [d] = only("LOR506", source)
    assert d.line == 4 and d.fix is None
    assert "after transformers (line 1)" in d.message


def test_lor506_import_inside_try_has_no_fix():
    [d] = only("LOR506", '''
        import peft
        try:
            import unsloth
        except ImportError:
            unsloth = None
        config = peft.LoraConfig(r=16)
    ''')
    assert d.line == 3 and d.fix is None


def test_lor506_cell_delimiters_stay_in_place():
    source = '''
        # %%
        from transformers import TrainingArguments
        # %%
        from unsloth import FastLanguageModel
        model, tok = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
    '''
    assert fixed(source, "LOR506") == dedent('''
        # %%
        from unsloth import FastLanguageModel
        # %%
        from transformers import TrainingArguments
        model, tok = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
    ''')


# LOR206 on Unsloth: FastLanguageModel's fast path passes an unknown keyword on to LoraConfig
# (TypeError); the FastModel path keeps only LoraConfig's keywords (the setting is ignored).

UNSLOTH_LOAD = '''
    from unsloth import {loader}
    model, tokenizer = {loader}.from_pretrained("{model}"{options})
    model = {peft}.get_peft_model(model, r=16, lora_droput=0.05)
'''


@pytest.mark.parametrize("loader, model, options, peft, outcome", [
    ("FastLanguageModel", "unsloth/llama-3-8b-bnb-4bit", "", "FastLanguageModel", "raises"),
    ("FastLanguageModel", "Qwen/Qwen2.5-7B-Instruct", "", "FastLanguageModel", "raises"),
    ("FastModel", "unsloth/gemma-3-4b-it", "", "FastModel", "dropped"),
    ("FastVisionModel", "unsloth/Qwen2.5-VL-7B-Instruct", "", "FastVisionModel", "dropped"),
    # phi3 has no fast path: FastLanguageModel hands it to FastModel
    ("FastLanguageModel", "microsoft/Phi-3.5-mini-instruct", "", "FastLanguageModel", "dropped"),
    ("FastLanguageModel", "unsloth/llama-3-8b", ", load_in_8bit=True", "FastLanguageModel",
     "dropped"),
    ("FastLanguageModel", "unsloth/llama-3-8b", ", full_finetuning=flag", "FastLanguageModel",
     "either"),
    ("FastLanguageModel", "someone/private-model", "", "FastLanguageModel", "either"),
])
def test_lor206_unsloth_unknown_keyword_outcome_follows_the_path(
        tmp_source, loader, model, options, peft, outcome):
    source = UNSLOTH_LOAD.format(loader=loader, model=model, options=options, peft=peft)
    [d] = only("LOR206", source)
    raises = "got an unexpected keyword argument 'lora_droput'" in d.message
    dropped = "no effect" in d.message
    assert (raises, dropped) == {"raises": (True, False), "dropped": (False, True),
                                 "either": (True, True)}[outcome], d.message
    assert "did you mean 'lora_dropout'" in d.message
    safe_fixed = fixed(source, "LOR206")
    unsafe_fixed = fixed(source, "LOR206", unsafe=True)
    assert "lora_dropout=0.05" in unsafe_fixed
    # the rename is safe only where the keyword made the run fail
    assert ("lora_dropout=0.05" in safe_fixed) == (outcome == "raises")
    assert [code for _, _, code in flake8_codes(tmp_source(source)) if code == "LOR206"] == ["LOR206"]


def test_lor206_long_misspelt_unsloth_keyword_gets_its_name_and_an_unsafe_rename():
    source = '''
        from unsloth import FastModel
        model, tokenizer = FastModel.from_pretrained("unsloth/gemma-3-4b-it")
        model = FastModel.get_peft_model(model, finetuning_vision_layers=False, r=8)
    '''
    [d] = only("LOR206", source)
    assert "did you mean 'finetune_vision_layers'?" in d.message
    assert "has no effect" in d.message
    assert fixed(source, "LOR206") == dedent(source)  # a safe-only run keeps the file
    assert "finetune_vision_layers=False" in fixed(source, "LOR206", unsafe=True)


def test_lor206_short_keyword_far_from_every_name_gets_no_suggestion():
    [d] = only("LOR206", '''
        from peft import LoraConfig
        config = LoraConfig(rank=8)
    ''')
    assert d.fix is None and "remove it or check the PEFT documentation" in d.message
