"""Value resolution and call linking, on the typed model the rules see."""

from __future__ import annotations

import ast

import pytest

from lora_lint_plugin.analysis.extract import extract
from lora_lint_plugin.analysis.model import (
    ABSENT,
    LORA_CONFIG,
    MODEL_LOAD,
    PEFT_JOIN,
    TRAINER,
    TRAINING_ARGS,
    UNSLOTH_PEFT,
)
from lora_lint_plugin.analysis.values import UNKNOWN

from .conftest import dedent


def model_of(source: str):
    text = dedent(source)
    return extract(ast.parse(text), text)


def lora_args(source: str):
    file = model_of(source)
    calls = list(file.calls_with_role(LORA_CONFIG, UNSLOTH_PEFT))
    assert len(calls) == 1, calls
    return calls[0].args


def resolved(source: str, name: str = "r"):
    return lora_args(source).plain(name)


@pytest.mark.parametrize("expression,expected", [
    ("16", 16),
    ("-1", -1),
    ("8 * 2", 16),
    ("2 ** 4", 16),
    ("0.5", 0.5),
    ("True", True),
    ("None", None),
    ("'q_proj'", "q_proj"),
    ("'q_' 'proj'", "q_proj"),
    ("['q_proj'] + ['v_proj']", ["q_proj", "v_proj"]),
    ("('q_proj', 'v_proj')", ("q_proj", "v_proj")),
    ("'q_proj, v_proj'.split(',')", ["q_proj", "v_proj"]),
    ("'q_proj v_proj'.split()", ["q_proj", "v_proj"]),
    ("{'a': 1}['a']", 1),
    ("[*['a'], 'b']", ["a", "b"]),
])
def test_literal_expressions(expression, expected):
    assert resolved(f"from peft import LoraConfig\nLoraConfig(r={expression})\n") == expected


@pytest.mark.parametrize("expression", [
    "args.rank",
    "int(sys.argv[1])",
    "f'{x}_proj'",
    "[m for m in MODULES]",
    "os.environ['R']",
    "2 ** 100000",
    "1 / 0",
    "undefined_name",
])
def test_unresolvable_expressions_are_unknown(expression):
    source = f"import os, sys\nfrom peft import LoraConfig\nLoraConfig(r={expression})\n"
    assert resolved(source) is UNKNOWN


def test_module_constant_and_element_positions():
    source = """
        from peft import LoraConfig
        TARGETS = [
            "q_proj",
            "lm_head",
        ]
        config = LoraConfig(target_modules=TARGETS + ["v_proj"])
    """
    value = lora_args(source).value("target_modules")
    assert value.python == ["q_proj", "lm_head", "v_proj"]
    assert [(item.span.line, item.span.col) for item in value.items] == [(3, 4), (4, 4), (6, 46)]
    assert all(item.literal for item in value.items)


def test_last_assignment_before_use_wins_in_straight_line_code():
    source = """
        from peft import LoraConfig
        R = 8
        R = 16
        LoraConfig(r=R)
        R = 32
    """
    assert resolved(source) == 16


def test_conditional_assignment_is_unknown():
    source = """
        import sys
        from peft import LoraConfig
        R = 8
        if len(sys.argv) > 1:
            R = 16
        LoraConfig(r=R)
    """
    assert resolved(source) is UNKNOWN


def test_assignment_inside_the_same_block_dominates():
    source = """
        from peft import LoraConfig
        if __name__ == "__main__":
            R = 16
            LoraConfig(r=R)
    """
    assert resolved(source) == 16


def test_function_parameter_is_unknown_and_shadows_global():
    source = """
        from peft import LoraConfig
        R = 16
        def build(R):
            return LoraConfig(r=R)
    """
    assert resolved(source) is UNKNOWN


def test_local_constant_in_function_and_global_read():
    source = """
        from peft import LoraConfig
        ALPHA = 32
        def build():
            r = 16
            return LoraConfig(r=r, lora_alpha=ALPHA)
    """
    args = lora_args(source)
    assert args.plain("r") == 16
    assert args.plain("lora_alpha") == 32


def test_global_rebound_twice_is_unknown_inside_functions():
    source = """
        from peft import LoraConfig
        R = 8
        def build():
            return LoraConfig(r=R)
        R = 16
    """
    assert resolved(source) is UNKNOWN


def test_loop_carried_assignment_is_unknown():
    source = """
        from peft import LoraConfig
        R = 8
        for _ in range(3):
            LoraConfig(r=R)
            R = R * 2
    """
    assert resolved(source) is UNKNOWN


def test_dict_unpacking_supplies_keywords():
    source = """
        from peft import LoraConfig
        BASE = dict(r=16, lora_alpha=16)
        extra = {"lora_dropout": 0.05, **BASE}
        LoraConfig(**extra, bias="none")
    """
    args = lora_args(source)
    assert args.plain("r") == 16
    assert args.plain("lora_dropout") == 0.05
    assert args.plain("bias") == "none"
    assert args.value("target_modules") is ABSENT


def test_unresolvable_kwargs_make_missing_names_unknown():
    source = """
        from peft import LoraConfig
        def build(kwargs):
            return LoraConfig(r=8, **kwargs)
    """
    args = lora_args(source)
    assert args.plain("r") == 8
    assert args.value("target_modules") is UNKNOWN


def test_argument_values_are_resolved_when_first_read():
    source = """
        from peft import LoraConfig
        RANK = 8
        TARGETS = ["q_proj", "v_proj"]
        config = LoraConfig(r=RANK, lora_alpha=2 * RANK, target_modules=TARGETS)
    """
    args = lora_args(source)
    assert sorted(args.by_name) == ["lora_alpha", "r", "target_modules"]
    assert "r" in args and args.get("r").span.line == 4
    # names, spans and completeness are known without resolving any value
    assert not any(argument.is_resolved for argument in args.by_name.values())
    assert args.plain("lora_alpha") == 16
    assert args.get("lora_alpha").is_resolved and not args.get("r").is_resolved
    targets = args.value("target_modules")
    assert targets.python == ["q_proj", "v_proj"] and targets.span.line == 3
    assert args.value("target_modules") is targets   # read once, the same value after
    assert args.plain("r") == 8 and args.value("bias") is ABSENT


def test_import_aliases_match_and_local_lookalikes_do_not():
    source = """
        import peft as p
        from peft import LoraConfig as LC

        class LoraConfig:
            pass

        a = p.LoraConfig(r=1)
        b = LC(r=2)
        c = LoraConfig(r=3)
    """
    calls = list(model_of(source).calls_with_role(LORA_CONFIG))
    assert [call.args.plain("r") for call in calls] == [1, 2]


def test_unsloth_pipeline_is_one_setup():
    source = """
        from unsloth import FastLanguageModel
        from trl import SFTTrainer, SFTConfig

        model, tokenizer = FastLanguageModel.from_pretrained(
            model_name="unsloth/llama-3-8b-bnb-4bit", max_seq_length=2048)
        model = FastLanguageModel.get_peft_model(model, r=16)
        trainer = SFTTrainer(model=model, tokenizer=tokenizer, args=SFTConfig(output_dir="o"))
    """
    file = model_of(source)
    assert len(file.setups) == 1
    setup = file.setups[0]
    assert setup.model_load.role == MODEL_LOAD
    assert setup.lora.role == UNSLOTH_PEFT
    assert setup.trainer.role == TRAINER
    assert setup.training_args.role == TRAINING_ARGS
    assert setup.model_id.python == "unsloth/llama-3-8b-bnb-4bit"
    assert (setup.model_id.span.line, setup.model_id.span.col) == (5, 15)


def test_peft_pipeline_through_prepare_for_kbit_training():
    source = """
        from transformers import AutoModelForCausalLM, TrainingArguments, Trainer
        from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

        MODEL_ID = "Qwen/Qwen2.5-7B"
        base = AutoModelForCausalLM.from_pretrained(MODEL_ID)
        base = prepare_model_for_kbit_training(base)
        config = LoraConfig(r=8, target_modules=["q_proj"])
        model = get_peft_model(base, config)
        Trainer(model=model, args=TrainingArguments("out"))
    """
    file = model_of(source)
    assert len(file.setups) == 1
    setup = file.setups[0]
    assert setup.model_id.python == "Qwen/Qwen2.5-7B"
    assert setup.lora.role == LORA_CONFIG
    assert setup.adapter_call.role == PEFT_JOIN
    assert setup.training_args.args.plain("output_dir") == "out"
    assert file.gradient_checkpointing_calls, "prepare_model_for_kbit_training enables checkpointing"


def test_trl_string_model_and_peft_config():
    source = """
        from trl import SFTTrainer
        from peft import LoraConfig
        trainer = SFTTrainer(model="google/gemma-2-9b", peft_config=LoraConfig(r=4))
    """
    setup = model_of(source).setups[0]
    assert setup.model_id.python == "google/gemma-2-9b"
    assert setup.lora.args.plain("r") == 4


def test_two_setups_in_one_file_stay_apart():
    source = """
        from unsloth import FastLanguageModel
        a, _ = FastLanguageModel.from_pretrained("unsloth/Qwen3-8B-Base")
        a = FastLanguageModel.get_peft_model(a, r=8)
        b, _ = FastLanguageModel.from_pretrained("unsloth/gemma-3-4b-pt")
        b = FastLanguageModel.get_peft_model(b, r=4)
    """
    setups = model_of(source).setups
    pairs = sorted((s.model_id.python, s.lora.args.plain("r")) for s in setups)
    assert pairs == [("unsloth/Qwen3-8B-Base", 8), ("unsloth/gemma-3-4b-pt", 4)]


def test_tokenizer_half_is_not_the_model():
    source = """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/Qwen3-8B-Base")
        tokenizer = FastLanguageModel.get_peft_model(tokenizer, r=8)
    """
    lora = next(model_of(source).calls_with_role(UNSLOTH_PEFT))
    assert lora.model is None


def test_chat_signals_and_token_additions():
    source = """
        from unsloth.chat_templates import get_chat_template
        import peft
        tokenizer = get_chat_template(tokenizer, chat_template="llama-3")
        text = tokenizer.apply_chat_template(messages)
        tokenizer.add_tokens(["<tool>"])
        PROMPT = "<|im_start|>user"
    """
    file = model_of(source)
    kinds = sorted(signal.kind for signal in file.chat_signals)
    assert kinds == ["apply-chat-template", "chat-template-argument", "chat-token-literal",
                     "unsloth-chat-function"]
    assert [s.detail for s in file.token_additions] == ["add_tokens"]


def test_calls_of_several_roles_come_in_file_order():
    source = """
        from peft import LoraConfig
        from unsloth import FastLanguageModel
        first = LoraConfig(r=4)
        model = FastLanguageModel.get_peft_model(model, r=8)
        second = LoraConfig(r=16)
    """
    file = model_of(source)
    both = [call.args.plain("r") for call in file.calls_with_role(LORA_CONFIG, UNSLOTH_PEFT)]
    assert both == [4, 8, 16]
    assert [call.args.plain("r") for call in file.calls_with_role(UNSLOTH_PEFT, LORA_CONFIG)] \
        == both   # the order of the roles asked for does not matter
    assert [call.args.plain("r") for call in file.calls_with_role(LORA_CONFIG)] == [4, 16]
    assert list(file.calls_with_role(TRAINER, TRAINING_ARGS)) == []


def test_method_calls_give_signals_only_for_the_methods_they_name():
    source = """
        import torch
        from trl import SFTTrainer
        torch.manual_seed(0)
        model.gradient_checkpointing_enable()
        tokenizer.add_special_tokens({"pad_token": "<pad>"})
        tokenizer.decode(ids)
        trainer = SFTTrainer(model=model)
        trainer.train()
        prompt = tokenizer.apply_chat_template(messages)
    """
    file = model_of(source)
    assert [signal.kind for signal in file.gradient_checkpointing_calls] == ["gc-enable"]
    assert [signal.detail for signal in file.token_additions] == ["add_special_tokens"]
    assert [signal.kind for signal in file.chat_signals] == ["apply-chat-template-after-training"]


@pytest.mark.parametrize("calls,expected", [
    ("Ranks(16)\nRanks(rank=16)\n", 16),   # every call passes 16 to ``__init__``
    ("Ranks(16)\nRanks(8)\n", UNKNOWN),
    ("Ranks(16)\nfactory = Ranks\n", UNKNOWN),   # the class escapes: called with anything
])
def test_class_parameters_read_from_every_construction(calls, expected):
    source = "from peft import LoraConfig\n\nclass Ranks:\n    def __init__(self, rank):\n" \
             "        LoraConfig(r=rank)\n\n" + calls
    assert resolved(source) == expected


def test_a_class_with_a_base_is_not_followed_into_its_constructor():
    source = """
        from peft import LoraConfig
        class Ranks(Base):
            def __init__(self, rank):
                LoraConfig(r=rank)
        Ranks(16)
    """
    assert resolved(source) is UNKNOWN


def test_an_environment_variable_the_file_sets_has_no_known_default():
    read = 'from peft import LoraConfig\nLoraConfig(r=int(os.environ.get("LORA_R", "0")))\n'
    assert resolved("import os\n" + read) == 0
    assert resolved('import os\nos.environ.setdefault("LORA_R", "16")\n' + read) is UNKNOWN
    assert resolved('import os\nos.environ.pop("LORA_R")\n' + read) is UNKNOWN
    assert resolved('import os\nos.environ.get("LORA_R")\n' + read) == 0   # a read writes nothing


@pytest.mark.parametrize("assigned,rank", [("", 8), ("args.rank = 4", UNKNOWN)])
def test_file_facts_first_needed_inside_a_local_function_call(assigned, rank):
    """The file's facts (its options, the attributes it assigns) are gathered when a value
    read inside a call of a local function first needs them, as for the whole file."""
    source = f"""
import argparse
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM
parser = argparse.ArgumentParser()
parser.add_argument("--rank", type=int, default=8)
args = parser.parse_args()
{assigned}
def make(alpha):
    return LoraConfig(r=args.rank, lora_alpha=alpha)
model = AutoModelForCausalLM.from_pretrained("org/x")
model = get_peft_model(model, make(16))
"""
    [setup] = [setup for setup in model_of(source).setups if setup.lora is not None]
    assert setup.lora.args.plain("lora_alpha") == 16   # read in the call ``make(16)``
    assert setup.lora.args.plain("r") == rank
    if rank == 8:
        assert setup.lora.args.value("r").origin == "default of --rank"


def test_calls_in_branches_no_run_takes_are_not_extracted():
    file = model_of("""
        from peft import LoraConfig
        from unsloth import FastLanguageModel
        if False:
            a = LoraConfig(r=1)
        if 0:
            pass
        elif flag:
            b = LoraConfig(r=2)
        if True:
            c = LoraConfig(r=3)
        else:
            d = LoraConfig(r=4)
        if flag:
            e = LoraConfig(r=5)
        def reload():
            if (False):
                model, tokenizer = FastLanguageModel.from_pretrained("lora_model")
        while False:
            f = LoraConfig(r=6)
    """)
    # ``while False:`` is not a parked branch: only ``if`` with a literal condition is
    assert [call.args.plain("r") for call in file.calls] == [2, 3, 5, 6]
