"""Rule semantics measured on real fine-tuning code, through real flake8 and ``lora-lint``.

Each case is a construct seen in public notebooks and scripts where a rule used to be wrong:
LOR302's "certain crash" on a custom template, LOR501 on LoRA-adapted embeddings, LOR301 on
chat tokens a file adds itself, advice and wording of LOR101/LOR102/LOR107/LOR111, and an
unknown embedding learning rate read as absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List

import pytest

from .conftest import dedent, flake8_codes, run_flake8, write_source
from .test_cli import check_json, write

LLAMA3_BASE = dedent("""
    from unsloth import FastLanguageModel
    from unsloth.chat_templates import get_chat_template, apply_chat_template
    from trl import SFTTrainer
    model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
    model = FastLanguageModel.get_peft_model(model, r=16)
    {template}
    trainer = SFTTrainer(model=model, train_dataset=dataset)
    {after}
""")


def base_codes(tmp_path: Path, template: str, after: str = "") -> List[str]:
    path = write_source(tmp_path, LLAMA3_BASE.format(template=template, after=after))
    return [code for line, _, code in flake8_codes(path) if code in ("LOR301", "LOR302") and line == 4]


@pytest.mark.parametrize("template", [
    'tokenizer = get_chat_template(tokenizer, chat_template="llama-3")',
    'tokenizer = get_chat_template(tokenizer, "llama-3.1")',
    "dataset = apply_chat_template(dataset, tokenizer=tokenizer)",  # Unsloth's default: Llama-3
    'text = "<|start_header_id|>user<|end_header_id|>\\n\\n{}<|eot_id|>"',
    'tokenizer = get_chat_template(tokenizer, chat_template=("{{ \'<|eot_id|>\' }}", "eos"))',
])
def test_lor302_when_the_untrained_tokens_reach_unsloths_check(tmp_path: Path, template: str):
    assert base_codes(tmp_path, template) == ["LOR302"]


@pytest.mark.parametrize("template", [
    "tokenizer = get_chat_template(tokenizer)",  # ChatML: no Llama-3 token
    'tokenizer = get_chat_template(tokenizer, chat_template="chatml")',
    "texts = [tokenizer.apply_chat_template(m, tokenize=False) for m in chats]",  # not known
    "tokenizer = get_chat_template(tokenizer, chat_template=settings.template)",
])
def test_no_certain_crash_without_the_untrained_tokens(tmp_path: Path, template: str):
    assert base_codes(tmp_path, template) == ["LOR301"]


def test_template_set_after_the_trainer_is_not_what_unsloth_checks(tmp_path: Path):
    after = 'tokenizer = get_chat_template(tokenizer, chat_template="llama-3")'
    assert base_codes(tmp_path, "tokenizer = get_chat_template(tokenizer)", after) == ["LOR301"]


@pytest.mark.parametrize("template", [
    # Unsloth's own Llama-3 base notebooks: a custom Alpaca-style template (plain text)
    'dataset = apply_chat_template(dataset, tokenizer=tokenizer, '
    'chat_template="### Instruction:\\n{INPUT}\\n\\n### Response:\\n{OUTPUT}")',
    'tokenizer = get_chat_template(tokenizer, chat_template="### Human: {INPUT}\\n### Bot: {OUTPUT}")',
])
def test_plain_text_template_of_the_files_own_is_no_chat_format(tmp_path: Path, template: str):
    assert base_codes(tmp_path, template) == []
    assert base_codes(tmp_path, template + "\ndataset = standardize_sharegpt(dataset)") == []


def notebook_json(cells: List[str]) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                                  "outputs": [], "source": text} for text in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


CUSTOM_TEMPLATE_CELLS = [
    "from unsloth import FastLanguageModel, apply_chat_template, standardize_sharegpt\n"
    "from trl import SFTTrainer\n",
    'model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")\n'
    "model = FastLanguageModel.get_peft_model(model, r=16)\n",
    "dataset = standardize_sharegpt(dataset)\n"
    'chat_template = """Below are instructions.\n\n### Instruction:\n{INPUT}\n\n'
    '### Response:\n{OUTPUT}"""\n'
    "dataset = apply_chat_template(dataset, tokenizer=tokenizer, chat_template=chat_template)\n",
    "trainer = SFTTrainer(model=model, train_dataset=dataset)\n",
    "trainer.train()\n",
    # inference with the trained model, after training
    "inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True)\n",
]


def test_custom_template_notebook_with_inference_after_training_is_not_reported(tmp_path: Path):
    write(tmp_path / "nb.ipynb", notebook_json(CUSTOM_TEMPLATE_CELLS))
    _, items = check_json(tmp_path, "--select", "LOR3", "nb.ipynb")
    assert items == []


def test_apply_chat_template_before_training_is_the_training_format(tmp_path: Path):
    cells = CUSTOM_TEMPLATE_CELLS[:2] + ["texts = [tokenizer.apply_chat_template(m) for m in chats]\n"] \
        + CUSTOM_TEMPLATE_CELLS[3:]
    write(tmp_path / "nb.ipynb", notebook_json(cells))
    _, items = check_json(tmp_path, "--select", "LOR3", "nb.ipynb")
    assert [(d["code"], d["cell"]) for d in items] == [("LOR301", 2)]


INFERENCE_SCRIPT = dedent("""
    from transformers import AutoModelForCausalLM
    from peft import LoraConfig, get_peft_model
    from trl import SFTTrainer
    model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B")
    model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
    def train():
        {before}
        trainer = SFTTrainer(model=model, train_dataset=alpaca_text)
        trainer.train()
        {after}
""")


@pytest.mark.parametrize("before, after, reported", [
    ("pass", "return tokenizer.apply_chat_template(messages)", False),   # inference
    ("texts = tokenizer.apply_chat_template(chats)", "pass", True),      # the training data
])
def test_chat_template_after_train_in_the_same_function(tmp_path: Path, before: str, after: str,
                                                        reported: bool):
    path = write_source(tmp_path, INFERENCE_SCRIPT.format(before=before, after=after))
    assert [code for _, _, code in flake8_codes(path) if code == "LOR301"] == \
        (["LOR301"] if reported else [])


def test_chat_template_in_another_function_than_train_still_counts(tmp_path: Path):
    source = INFERENCE_SCRIPT.format(before="pass", after="pass") + \
        "def format_row(row):\n    return tokenizer.apply_chat_template(row['messages'])\n"
    path = write_source(tmp_path, source)
    assert [code for _, _, code in flake8_codes(path) if code == "LOR301"] == ["LOR301"]


# -- LOR301: trainers built to start from a base model ---------------------------------------

FROM_BASE = dedent("""
    from transformers import AutoModelForCausalLM
    from peft import LoraConfig
    from trl import {trainer}, {config}
    model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B")
    texts = [tokenizer.apply_chat_template(m, tokenize=False) for m in chats]
    trainer = {trainer}(model=model, args={config}(output_dir="o"),
                        peft_config=LoraConfig(r=16, target_modules="all-linear"))
""")


@pytest.mark.parametrize("trainer, config, reported", [
    ("ORPOTrainer", "ORPOConfig", False),
    ("GRPOTrainer", "GRPOConfig", False),
    ("DPOTrainer", "DPOConfig", True),
    ("SFTTrainer", "SFTConfig", True),
])
def test_lor301_scope_by_trainer(tmp_path: Path, trainer: str, config: str, reported: bool):
    path = write_source(tmp_path, FROM_BASE.format(trainer=trainer, config=config))
    found = [code for _, _, code in flake8_codes(path) if code == "LOR301"]
    assert found == (["LOR301"] if reported else [])


def test_sft_stage_priming_a_grpo_run_from_base_is_not_reported(tmp_path: Path):
    source = FROM_BASE.format(trainer="SFTTrainer", config="SFTConfig") + \
        "from trl import GRPOTrainer\nrl = GRPOTrainer(model=model, reward_funcs=[reward])\n"
    path = write_source(tmp_path, source)
    assert [code for _, _, code in flake8_codes(path) if code == "LOR301"] == []


# -- LOR301: chat tokens the file adds itself ------------------------------------------------

ADDED_TOKENS = dedent("""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from peft import LoraConfig, get_peft_model
    model = AutoModelForCausalLM.from_pretrained("mistralai/Mistral-7B-v0.1")
    tokenizer = AutoTokenizer.from_pretrained("mistralai/Mistral-7B-v0.1")
    {addition}
    model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
    prompt = "<|im_start|>user\\n{{}}<|im_end|>"
""")


@pytest.mark.parametrize("addition,reported", [
    ('tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})',
     False),
    ('tokenizer.add_tokens(["<|im_start|>", "<|im_end|>"], special_tokens=True)', False),
    ("model.resize_token_embeddings(len(tokenizer))", False),  # names added elsewhere
    ("tokenizer.add_special_tokens(config.special_tokens)", False),  # not known
    ('tokenizer.add_tokens(["<tool>"])', True),  # the chat token is not one it adds
    ("pass", True),
])
def test_lor301_ignores_chat_tokens_the_file_adds(tmp_path: Path, addition: str, reported: bool):
    path = write_source(tmp_path, ADDED_TOKENS.format(addition=addition))
    found = [code for _, _, code in flake8_codes(path) if code == "LOR301"]
    assert found == (["LOR301"] if reported else [])


# -- LOR301: another family's chat markers written as text ----------------------------------

# A Korean tutorial's copy of Unsloth's Alpaca notebook renders its data for Llama 3.1 base with
# '<s>[INST] {instruction} [/INST]': Mistral's markers, plain characters for Llama 3's tokenizer.
FOREIGN_MARKERS = dedent("""
    from unsloth import FastLanguageModel
    from trl import SFTTrainer, SFTConfig
    model, tokenizer = FastLanguageModel.from_pretrained("{model}")
    model = FastLanguageModel.get_peft_model(model, r=16)
    prompt = "<s>[INST] {{instruction}} [/INST]\\n{{response}}"
    trainer = SFTTrainer(model=model, train_dataset=dataset, args=SFTConfig())
""")


@pytest.mark.parametrize("model,reported", [
    ("unsloth/Meta-Llama-3.1-8B", False),  # its tokenizer has no [INST]: plain text
    ("mistralai/Mistral-7B-v0.1", True),   # [INST] is its own chat marker
])
def test_lor301_chat_markers_its_tokenizer_lacks_are_text(tmp_path: Path, model: str,
                                                          reported: bool):
    path = write_source(tmp_path, FOREIGN_MARKERS.format(model=model))
    assert [code for _, _, code in flake8_codes(path) if code == "LOR301"] == \
        (["LOR301"] if reported else [])


def test_foreign_markers_in_a_notebook_are_lor903s_plain_text_case(tmp_path: Path):
    cells = FOREIGN_MARKERS.format(model="unsloth/Meta-Llama-3.1-8B").split("trainer = ")
    write(tmp_path / "tune.ipynb", notebook_json([cells[0], "trainer = " + cells[1]]))
    _, items = check_json(tmp_path, "--isolated", "--select", "LOR301,LOR903", "tune.ipynb")
    assert [(d["code"], d["cell"]) for d in items] == [("LOR903", 1)]


# -- LOR501: full matrices only, and advice that fits the script ----------------------------

PLAIN_TRAINER = dedent("""
    from transformers import AutoModelForCausalLM, Trainer, TrainingArguments
    from peft import LoraConfig, get_peft_model
    model = AutoModelForCausalLM.from_pretrained("meta-llama/Meta-Llama-3-8B")
    model = get_peft_model(model, LoraConfig(r=16, {modules}))
    trainer = Trainer(model=model, args=TrainingArguments(output_dir="o", learning_rate=2e-4))
""")


def test_lor501_not_for_lora_on_the_embedding_under_plain_peft(tmp_path: Path):
    path = write_source(tmp_path, PLAIN_TRAINER.format(
        modules='target_modules=["q_proj", "v_proj", "embed_tokens", "lm_head"]'))
    assert "LOR501" not in [code for _, _, code in flake8_codes(path)]


def test_lor501_plain_trainer_advice_is_not_unsloth(tmp_path: Path):
    write_source(tmp_path, PLAIN_TRAINER.format(
        modules='target_modules=["q_proj"], modules_to_save=["embed_tokens"]'))
    _, items = check_json(tmp_path, "train.py")
    [item] = [d for d in items if d["code"] == "LOR501"]
    advice = item["message"].split(";", 1)[1]
    assert "UnslothTrainer" not in advice and "optimizers=" in advice


# -- LOR101/LOR102: unknown is not absent; advice that fits the model ------------------------

def _codes(tmp_path: Path, source: str) -> List[str]:
    return [code for _, _, code in flake8_codes(write_source(tmp_path, source))]


def test_embedding_rate_from_a_launcher_is_unknown_not_absent(tmp_path: Path):
    source = dedent("""
        from unsloth import FastLanguageModel, UnslothTrainer, UnslothTrainingArguments
        from transformers import HfArgumentParser
        (arguments,) = HfArgumentParser(UnslothTrainingArguments).parse_args_into_dataclasses()
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16, target_modules=["q_proj", "v_proj", "embed_tokens", "lm_head"],
            modules_to_save=["embed_tokens", "lm_head"])
        trainer = UnslothTrainer(model=model, args=arguments)
    """)
    codes = _codes(tmp_path, source)
    assert "LOR101" not in codes and "LOR102" not in codes
    # a trainer that has no embedding rate settles it
    settled = _codes(tmp_path, source.replace("UnslothTrainer(model", "SFTTrainer(model").replace(
        "from transformers import", "from trl import SFTTrainer\nfrom transformers import"))
    assert settled.count("LOR101") == 2 and settled.count("LOR102") == 2


def test_embedding_rate_named_in_a_file_without_trainer_is_unknown(tmp_path: Path):
    source = dedent("""
        import argparse
        from peft import LoraConfig
        parser = argparse.ArgumentParser()
        parser.add_argument("--embedding_learning_rate", type=float, default=5e-6)
        config = LoraConfig(r=16, target_modules=["q_proj", "embed_tokens"])
    """)
    assert "LOR101" not in _codes(tmp_path, source)
    assert "LOR101" in _codes(tmp_path, source.replace("embedding_learning_rate", "lr"))


@pytest.mark.parametrize("model_id,advises_instruct", [
    ("google/gemma-3-270m-it", False),
    ("meta-llama/Meta-Llama-3-8B-Instruct", False),
    ("acme/own-model", False),  # unknown: never guessed to be a base model
    ("meta-llama/Meta-Llama-3-8B", True),
])
def test_instruct_model_advice_only_for_a_base_model(tmp_path: Path, model_id: str,
                                                     advises_instruct: bool):
    write_source(tmp_path, dedent(f"""
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model
        model = AutoModelForCausalLM.from_pretrained("{model_id}")
        model = get_peft_model(model, LoraConfig(
            r=16, target_modules=["q_proj", "lm_head"], modules_to_save=["embed_tokens"]))
    """))
    _, items = check_json(tmp_path, "train.py")
    messages: Dict[str, str] = {d["code"]: d["message"] for d in items}
    assert set(messages) >= {"LOR101", "LOR102"}
    for code in ("LOR101", "LOR102"):
        assert ("Instruct model" in messages[code]) is advises_instruct, messages[code]
        assert "trainable_token_indices" in messages[code]


# -- wording: LOR111 (LoRA vs full copies), LOR107 (transformers 4 and 5) --------------------

def test_lor111_says_lora_for_target_modules_and_full_copies_for_modules_to_save(tmp_path: Path):
    write_source(tmp_path, dedent("""
        from peft import LoraConfig
        tokenizer.add_tokens(["<tool>"])
        config = LoraConfig(r=8, target_modules=["q_proj", "embed_tokens"], modules_to_save=["lm_head"])
    """))
    _, items = check_json(tmp_path, "train.py")
    [message] = [d["message"] for d in items if d["code"] == "LOR111"]
    assert "'lm_head' is trained and saved as full matrices (modules_to_save)" in message
    assert "'embed_tokens' gets LoRA adapters" in message
    assert "'embed_tokens' is trained" not in message and "'embed_tokens' and" not in message


def test_lor107_wording_for_both_transformers_versions(tmp_path: Path):
    write_source(tmp_path, dedent("""
        import peft as p
        from transformers import AutoModelForCausalLM
        mixtral = AutoModelForCausalLM.from_pretrained("mistralai/Mixtral-8x7B-Instruct-v0.1")
        mixtral = p.get_peft_model(mixtral, p.LoraConfig(target_modules=["q_proj", "up_proj"]))
        oss = AutoModelForCausalLM.from_pretrained("openai/gpt-oss-20b")
        oss = p.get_peft_model(oss, p.LoraConfig(target_modules=["q_proj", "up_proj"]))
    """))
    _, items = check_json(tmp_path, "train.py")
    by_row = {d["location"]["row"]: d["message"] for d in items if d["code"] == "LOR107"}
    assert set(by_row) == {4, 6}
    assert "transformers 5" in by_row[4] and "w1/w2/w3" in by_row[4] and "target w1, w2, w3" in by_row[4]
    assert "transformers 4" not in by_row[6]  # gpt-oss: fused in both, no Linear experts named


def test_flake8_run_has_no_traceback_on_the_examples(tmp_path: Path):
    write_source(tmp_path, LLAMA3_BASE.format(
        template="dataset = apply_chat_template(dataset, tokenizer=tokenizer, **options)", after=""))
    result = run_flake8(tmp_path / "train.py", "--select=LOR")
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr


@pytest.mark.parametrize("rl, reported", [("orpo", False), ("grpo", False), ("dpo", True)])
def test_lor301_scope_in_an_axolotl_config(tmp_path: Path, rl: str, reported: bool):
    write(tmp_path / "config.yml", dedent(f"""
        base_model: mistralai/Mistral-7B-v0.1
        rl: {rl}
        chat_template: chatml
        datasets:
          - path: argilla/ultrafeedback-binarized-preferences-cleaned
            type: chat_template.argilla
        adapter: lora
        lora_r: 16
        lora_target_linear: true
    """))
    _, items = check_json(tmp_path, "--isolated", "--select", "LOR301", "config.yml")
    assert [d["code"] for d in items] == (["LOR301"] if reported else [])
