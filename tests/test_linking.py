"""Linking the model from its loader through the calls practitioners write, through the real
``lora-lint`` CLI and flake8.

Every construct has a linked form: the model's architecture is known at the LoRA call, so a
GPT-2 module name on a Llama model (``c_attn``) is reported (LOR103, marked ``# expect:``),
and a look-alike form the extractor must not link: there the model is unknown and lora-lint
stays silent. All cases are written to one directory and checked by one run of each tool.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from .conftest import dedent, expected_markers, run_flake8, write_source

SCRIPT = Path(sys.executable).with_name("lora-lint")

HEADER = """
import sys
from pathlib import Path
import torch
import transformers
from accelerate import Accelerator
from peft import LoraConfig, get_peft_model, prepare_model_for_int8_training
from transformers import AutoModelForCausalLM, LlamaForCausalLM, LlamaModel
from transformers.models.mistral import MistralForCausalLM
from trl import SFTTrainer, clone_chat_template, setup_chat_format
from unsloth import FastLlamaModel, FastModel
"""
LORA = 'get_peft_model({model}, LoraConfig(target_modules=["q_proj", "c_attn"]))  # expect: LOR103'
LOAD = 'AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")'

# name -> (linked source, look-alike source); ``{lora}`` is the LoRA call on ``model``.
CONSTRUCTS: Dict[str, Tuple[str, str]] = {
    "to_chained": (
        f"model = {LOAD}.to('cuda')\nmodel = {{lora}}",
        f"model = {LOAD}.to_bettertransformer()\nmodel = {{lora}}",
    ),
    "methods_applied_later": (
        f"model = {LOAD}\nmodel = model.cuda()\nmodel = model.half().float()\n"
        "model = model.bfloat16()\nmodel = {lora}",
        f"model = {LOAD}\nmodel = model.merge_and_unload()\nmodel = {{lora}}",
    ),
    "setup_chat_format": (
        f"model = {LOAD}\nmodel, tokenizer = setup_chat_format(model, tokenizer)\n"
        "model = {lora}",
        f"model = {LOAD}\ntokenizer, model = setup_chat_format(model, tokenizer)\n"
        "model = {lora}",
    ),
    "clone_chat_template": (
        f"model = {LOAD}\nmodel, tokenizer, added = clone_chat_template(model, tokenizer, 'x')\n"
        "model = {lora}",
        f"model = {LOAD}\nresult = clone_chat_template(model, tokenizer, 'x')\n"
        "model = {lora}".replace("{lora}", "get_peft_model(result, LoraConfig("
                                 "target_modules=['q_proj', 'c_attn']))"),
    ),
    "prepare_model_for_int8_training": (
        f"model = {LOAD}\nmodel = prepare_model_for_int8_training(model)\nmodel = {{lora}}",
        f"model = {LOAD}\nmodel = prepare_model_for_int8_training(other)\nmodel = {{lora}}",
    ),
    "torch_compile": (
        f"model = torch.compile({LOAD})\nmodel = {{lora}}",
        f"model = {LOAD}\nmodel = torch.jit.script(model)\nmodel = {{lora}}",
    ),
    "accelerator_prepare_one": (
        f"accelerator = Accelerator()\nmodel = accelerator.prepare({LOAD})\nmodel = {{lora}}",
        f"accelerator = make_accelerator()\nmodel = accelerator.prepare({LOAD})\n"
        "model = {lora}",
    ),
    "accelerator_prepare_model": (
        f"accelerator = Accelerator()\nmodel = accelerator.prepare_model({LOAD})\nmodel = {{lora}}",
        f"accelerator = Accelerator()\nmodel = accelerator.prepare_optimizer({LOAD})\n"
        "model = {lora}",
    ),
    "accelerator_prepare_tuple": (
        f"model = {LOAD}\nmodel, optimizer, loader = Accelerator().prepare(model, optimizer, "
        "loader)\nmodel = {lora}",
        f"model = {LOAD}\noptimizer, model, loader = Accelerator().prepare(model, optimizer, "
        "loader)\nmodel = {lora}",
    ),
    "loader_class_variable": (
        "model_class = AutoModelForCausalLM\n"
        "model = model_class.from_pretrained('meta-llama/Llama-3.1-8B')\nmodel = {lora}",
        "model_class = AutoModelForCausalLM\nmodel_class = pick(model_class)\n"
        "model = model_class.from_pretrained('meta-llama/Llama-3.1-8B')\nmodel = {lora}",
    ),
    "loader_class_conditional": (
        "model_class = LlamaForCausalLM if sys.argv[1] == 'llama' else AutoModelForCausalLM\n"
        "model = model_class.from_pretrained('meta-llama/Llama-3.1-8B')\nmodel = {lora}",
        "model_class = LlamaForCausalLM if sys.argv[1] == 'llama' else FastModel\n"
        "model = model_class.from_pretrained('meta-llama/Llama-3.1-8B')\nmodel = {lora}",
    ),
    "loader_class_module_attribute": (
        "model_class, config_class = transformers.MistralForCausalLM, transformers.AutoConfig\n"
        "model = model_class.from_pretrained('mistralai/Mistral-7B-v0.3')\nmodel = {lora}",
        "model_class, config_class = transformers.MistralModel, transformers.AutoConfig\n"
        "model = model_class.from_pretrained('mistralai/Mistral-7B-v0.3')\nmodel = {lora}",
    ),
    "concrete_loader_class": (
        "model = MistralForCausalLM.from_pretrained('mistralai/Mistral-7B-v0.3')\nmodel = {lora}",
        "model = LlamaModel.from_pretrained('meta-llama/Llama-3.1-8B')\nmodel = {lora}",
    ),
    "model_id_keyword": (
        "model = AutoModelForCausalLM.from_pretrained(\n"
        "    pretrained_model_name_or_path='meta-llama/Llama-3.1-8B')\nmodel = {lora}",
        "model = AutoModelForCausalLM.from_pretrained(\n"
        "    pretrained_model_name_or_path=sys.argv[1])\nmodel = {lora}",
    ),
    "unsloth_loader_family": (
        "model, tokenizer = FastModel.from_pretrained(model_name='unsloth/Llama-3.2-1B-Instruct')\n"
        "model = FastModel.get_peft_model(model, target_modules=['q_proj', 'c_attn'])  "
        "# expect: LOR103\n"
        "other, tokenizer = FastLlamaModel.from_pretrained('unsloth/Llama-3.2-1B-Instruct')\n"
        "other = FastLlamaModel.get_peft_model(other, target_modules=['q_proj', 'c_attn'])  "
        "# expect: LOR103",
        "model, tokenizer = FastModel.from_pretrained(model_name=sys.argv[1])\n"
        "model = FastModel.get_peft_model(model, target_modules=['q_proj', 'c_attn'])\n"
        "tokenizer, other = FastLlamaModel.from_pretrained('unsloth/Llama-3.2-1B-Instruct')\n"
        "other = FastLlamaModel.get_peft_model(other, target_modules=['q_proj', 'c_attn'])",
    ),
    "value_head_loader_with_peft_config": (
        "from trl import AutoModelForCausalLMWithValueHead, PPOTrainer\n"
        "model = AutoModelForCausalLMWithValueHead.from_pretrained(\n"
        "    'meta-llama/Llama-3.1-8B', peft_config=LoraConfig(\n"
        "        target_modules=['q_proj', 'c_attn']))  # expect: LOR103\n"
        "trainer = PPOTrainer(model=model, args=ppo_args)",
        "from trl import AutoModelForCausalLMWithValueHead, PPOTrainer\n"
        "model = AutoModelForCausalLMWithValueHead.from_pretrained(\n"
        "    sys.argv[1], peft_config=LoraConfig(\n"
        "        target_modules=['q_proj', 'c_attn']))\n"
        "trainer = PPOTrainer(model=model, args=ppo_args)",
    ),
    "pass_through_on_one_branch": (
        f"model = {LOAD}\nif sys.argv[1] == '8bit':\n"
        "    model = prepare_model_for_int8_training(model)\nmodel = {lora}",
        f"model = {LOAD}\nif sys.argv[1] == '8bit':\n"
        "    model = prepare_model_for_int8_training(model)\nelse:\n"
        "    model = wrap(model)\nmodel = {lora}",
    ),
    "same_model_on_both_branches": (
        "if sys.argv[1] == '4bit':\n"
        "    model = AutoModelForCausalLM.from_pretrained('meta-llama/Llama-3.1-8B',\n"
        "                                                 load_in_4bit=True)\n"
        "    model = prepare_model_for_int8_training(model)\n"
        "else:\n"
        "    model = AutoModelForCausalLM.from_pretrained('meta-llama/Llama-3.1-8B')\n"
        "model = {lora}",
        "if sys.argv[1] == '4bit':\n"
        "    model = AutoModelForCausalLM.from_pretrained('meta-llama/Llama-3.1-8B',\n"
        "                                                 load_in_4bit=True)\n"
        "else:\n"
        "    model = AutoModelForCausalLM.from_pretrained('mistralai/Mistral-7B-v0.3')\n"
        "model = {lora}",
    ),
    "bound_on_the_other_branch": (
        f"import peft\nmodel = {LOAD}\nif sys.argv[1] == 'resume':\n"
        "    model = peft.PeftModel.from_pretrained(model, 'adapter')\nelse:\n"
        "    model = prepare_model_for_int8_training(model)\n    model = {lora}",
        f"model = {LOAD}\nfor step in range(2):\n    if step:\n"
        "        model = AutoModelForCausalLM.from_pretrained('mistralai/Mistral-7B-v0.3')\n"
        "    else:\n        model = {lora}",
    ),
    "loader_function_called_with_two_models": (
        "def load(name):\n    return AutoModelForCausalLM.from_pretrained(name)\n"
        "model = load('meta-llama/Llama-3.1-8B')\nmodel = {lora}\nreference = load('gpt2')",
        "def load(name):\n    return AutoModelForCausalLM.from_pretrained(name)\n"
        "model = load(sys.argv[1])\nmodel = {lora}\nreference = load('gpt2')",
    ),
    "loader_function_through_two_calls": (
        "def load(name):\n    model = AutoModelForCausalLM.from_pretrained(name)\n"
        "    return prepare_model_for_int8_training(model)\n"
        "def load_pair(org, name):\n    return load(org + '/' + name), name\n"
        "model, _ = load_pair('meta-llama', 'Llama-3.1-8B')\nmodel = {lora}\n"
        "reference, _ = load_pair('openai-community', 'gpt2')",
        "def load(name):\n    model = AutoModelForCausalLM.from_pretrained(name)\n"
        "    return prepare_model_for_int8_training(model)\n"
        "def load_pair(org, name):\n    return load(org + '/' + name), name\n"
        "model, _ = load_pair('meta-llama', sys.argv[1])\nmodel = {lora}\n"
        "reference, _ = load_pair('openai-community', 'gpt2')",
    ),
    "concrete_task_head_class": (
        "model = transformers.LlamaForSequenceClassification.from_pretrained(\n"
        "    'meta-llama/Llama-3.1-8B')\nmodel = {lora}",
        "model = transformers.LlamaModel.from_pretrained('meta-llama/Llama-3.1-8B')\n"
        "model = {lora}",
    ),
    "lora_config_or_none": (
        f"model = {LOAD}\n"
        "peft_config = LoraConfig(target_modules=['q_proj', 'c_attn']) if sys.argv[1] else None"
        "  # expect: LOR103\ntrainer = SFTTrainer(model=model, peft_config=peft_config)",
        f"model = {LOAD}\n"
        "peft_config = LoraConfig(target_modules=['q_proj', 'c_attn']) if sys.argv[1] else other\n"
        "trainer = SFTTrainer(model=model, peft_config=peft_config)",
    ),
    "local_trainer_subclass": (
        "class SavingTrainer(SFTTrainer):\n    def save_model(self, output_dir=None):\n"
        "        pass\n"
        f"model = {LOAD}\n"
        "trainer = SavingTrainer(model=model, peft_config=LoraConfig(\n"
        "    target_modules=['q_proj', 'c_attn']))  # expect: LOR103",
        "class SavingTrainer(SFTTrainer):\n    def __init__(self, teacher, *args, **kwargs):\n"
        "        super().__init__(*args, **kwargs)\n"
        f"model = {LOAD}\n"
        "trainer = SavingTrainer(model=model, peft_config=LoraConfig(\n"
        "    target_modules=['q_proj', 'c_attn']))",
    ),
    "self_attribute_in_one_method": (
        "class Pipeline:\n    def setup(self):\n"
        f"        self.model = {LOAD}\n"
        "        self.model = get_peft_model(self.model, LoraConfig(\n"
        "            target_modules=['q_proj', 'c_attn']))  # expect: LOR103",
        "class Pipeline:\n    def setup(self):\n"
        f"        self.model = {LOAD}\n        self.reload()\n"
        "        self.model = get_peft_model(self.model, LoraConfig(\n"
        "            target_modules=['q_proj', 'c_attn']))",
    ),
    "self_attribute_across_methods": (
        "class Pipeline:\n    def load(self):\n"
        f"        self.model = {LOAD}\n\n"
        "    def adapt(self):\n        return get_peft_model(self.model, LoraConfig(\n"
        "            target_modules=['q_proj', 'c_attn']))  # expect: LOR103",
        "class Pipeline(Base):\n    def load(self):\n"
        f"        self.model = {LOAD}\n\n"
        "    def adapt(self):\n        return get_peft_model(self.model, LoraConfig(\n"
        "            target_modules=['q_proj', 'c_attn']))",
    ),
    "self_attribute_set_in_init": (
        "class Pipeline:\n    def __init__(self):\n"
        f"        self.model = {LOAD}\n\n"
        "    def train(self):\n        return get_peft_model(self.model, LoraConfig(\n"
        "            target_modules=['q_proj', 'c_attn']))  # expect: LOR103",
        "class Pipeline:\n    def __init__(self):\n"
        f"        self.model = {LOAD}\n\n"
        "    def swap(self):\n"
        "        self.model = AutoModelForCausalLM.from_pretrained('mistralai/Mistral-7B-v0.3')\n\n"
        "    def train(self):\n        return get_peft_model(self.model, LoraConfig(\n"
        "            target_modules=['q_proj', 'c_attn']))",
    ),
    "try_except_same_model": (
        f"try:\n    model = {LOAD[:-1]}, attn_implementation='flash_attention_2')\n"
        f"except ImportError:\n    model = {LOAD}\nmodel = {{lora}}",
        "model = AutoModelForCausalLM.from_pretrained('mistralai/Mistral-7B-v0.3')\n"
        f"try:\n    model = {LOAD}\nexcept OSError:\n    pass\nmodel = {{lora}}",
    ),
    "try_except_raising": (
        f"try:\n    model = {LOAD}\nexcept OSError as error:\n"
        "    raise SystemExit(error)\nmodel = {lora}",
        f"try:\n    model = {LOAD}\nexcept OSError:\n"
        "    model = AutoModelForCausalLM.from_pretrained('mistralai/Mistral-7B-v0.3')\n"
        "model = {lora}",
    ),
    "inline_in_trainer": (
        f"model = {LOAD}\n"
        "trainer = SFTTrainer(model=model.to('cuda'), peft_config=LoraConfig(\n"
        "    target_modules=['q_proj', 'c_attn']))  # expect: LOR103",
        f"model = {LOAD}\n"
        "trainer = SFTTrainer(model=wrap(model), peft_config=LoraConfig(\n"
        "    target_modules=['q_proj', 'c_attn']))",
    ),
    # the arguments of ``Tuner(...)`` are ``__init__``'s (a class without a base: nothing
    # else constructs it); another argument on another call makes them unknown
    "constructor_argument": (
        "class Tuner:\n    def __init__(self, config=None):\n"
        "        self.config = config or {'model_name': 'gpt2'}\n"
        "    def run(self):\n"
        "        model = AutoModelForCausalLM.from_pretrained(self.config['model_name'])\n"
        "        return {lora}\nTuner({'model_name': 'meta-llama/Llama-3.1-8B'}).run()",
        "class Tuner:\n    def __init__(self, config=None):\n"
        "        self.config = config or {'model_name': 'gpt2'}\n"
        "    def run(self):\n"
        "        model = AutoModelForCausalLM.from_pretrained(self.config['model_name'])\n"
        "        return {lora}\nTuner({'model_name': 'meta-llama/Llama-3.1-8B'}).run()\n"
        "Tuner(dict(model_name=sys.argv[1])).run()",
    ),
    # a local path as a ``Path`` (``~`` depends on who runs it)
    "model_path_object": (
        "model = AutoModelForCausalLM.from_pretrained(\n"
        "    Path('/models/meta-llama/Llama-3.1-8B').expanduser())\nmodel = {lora}",
        "model = AutoModelForCausalLM.from_pretrained(\n"
        "    Path('~/meta-llama/Llama-3.1-8B').expanduser())\nmodel = {lora}",
    ),
    # the function's last ``return`` ends a ``with`` block (not when code follows the block)
    "loader_function_returning_in_with": (
        f"def load():\n    with torch.no_grad():\n        return {LOAD}\nmodel = load()\n"
        "model = {lora}",
        f"def load():\n    with torch.no_grad():\n        model = {LOAD}\n    model.eval()\n"
        "model = load()\nmodel = {lora}",
    ),
}


# Trainers other than SFT, linked like it: a model-id string or a loaded model (positional),
# and peft_config. The look-alike imports a class of the same name from the project itself.
TRAINER_CALLS = {
    "DPOTrainer": "DPOTrainer({model}, None, args=DPOConfig(beta=0.1), peft_config={config})",
    "ORPOTrainer": "ORPOTrainer({model}, ORPOConfig(), peft_config={config})",
    "KTOTrainer": "KTOTrainer(model={model}, args=KTOConfig(), peft_config={config})",
    "CPOTrainer": "CPOTrainer({model}, CPOConfig(), peft_config={config})",
    "GRPOTrainer": "GRPOTrainer({model}, reward_funcs=[reward], peft_config={config})",
    "RewardTrainer": "RewardTrainer(model={model}, args=RewardConfig(), peft_config={config})",
    "GKDTrainer": "GKDTrainer(model={model}, teacher_model='gpt2', args=GKDConfig(), "
                  "peft_config={config})",
    "OnlineDPOTrainer": "OnlineDPOTrainer({model}, None, args=OnlineDPOConfig(), "
                        "peft_config={config})",
    "RLOOTrainer": "RLOOTrainer(model={model}, reward_funcs=[reward], args=RLOOConfig(), "
                   "peft_config={config})",
}
TRAINER_CONFIG = "LoraConfig(target_modules=['q_proj', 'c_attn'])"
for _trainer, _call in TRAINER_CALLS.items():
    _config = _trainer.replace("Trainer", "Config")
    CONSTRUCTS[_trainer + "_model_id"] = (
        f"from trl import {_trainer}, {_config}\n"
        + _call.format(model="'meta-llama/Llama-3.1-8B'", config=TRAINER_CONFIG)
        + "  # expect: LOR103",
        f"from my_project.training import {_trainer}, {_config}\n"
        + _call.format(model="'meta-llama/Llama-3.1-8B'", config=TRAINER_CONFIG),
    )
    CONSTRUCTS[_trainer + "_loaded_model"] = (
        f"import trl\nfrom trl import {_config}\nmodel = {LOAD}.cuda()\n"
        + "trl." + _call.format(model="model", config=TRAINER_CONFIG) + "  # expect: LOR103",
        f"import trl\nfrom trl import {_config}\nmodel = {LOAD}.cuda()\n"
        + "trl." + _call.format(model="wrap(model)", config=TRAINER_CONFIG),
    )


def _source(body: str) -> str:
    return dedent(HEADER) + body.replace("{lora}", LORA.format(model="model")) + "\n"


def _without_markers(source: str) -> str:
    return "\n".join(line.split("  # expect:")[0] for line in source.splitlines()) + "\n"


@pytest.fixture(scope="module")
def construct_files(tmp_path_factory) -> Dict[str, Tuple[Path, List[tuple]]]:
    """name -> (file, expected (line, code)); look-alikes are written without markers."""
    directory = tmp_path_factory.mktemp("linking")
    files: Dict[str, Tuple[Path, List[tuple]]] = {}
    for name, (linked, lookalike) in CONSTRUCTS.items():
        source = _source(linked)
        files[name] = (write_source(directory, source, f"{name}.py"), expected_markers(source))
        files[name + "-lookalike"] = (
            write_source(directory, _without_markers(_source(lookalike)), f"{name}_lookalike.py"),
            [])
    return files


def _directory(files: Dict[str, Tuple[Path, List[tuple]]]) -> Path:
    return next(iter(files.values()))[0].parent


def test_the_prefilter_keeps_files_that_use_only_other_trainers():
    from lora_lint_plugin.analysis.prefilter import might_contain_training_code

    for trainer in TRAINER_CALLS:
        assert might_contain_training_code(
            f"from trl import {trainer}\ntrainer = {trainer}(model=model, tokenizer=tokenizer)\n")
    assert not might_contain_training_code("class DPOTrainer:\n    pass\n")


def test_every_linked_construct_has_an_expectation():
    for name, (linked, _) in CONSTRUCTS.items():
        assert expected_markers(_source(linked)), name


def test_constructs_through_the_cli(construct_files):
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "lora_lint_plugin"]
    result = subprocess.run(command + ["check", "--output-format", "json", "--select", "LOR1",
                                       str(_directory(construct_files))],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    found: Dict[str, List[tuple]] = {}
    for item in json.loads(result.stdout):
        found.setdefault(Path(item["filename"]).name, []).append(
            (item["location"]["row"], item["code"]))
    for name, (path, expected) in construct_files.items():
        assert sorted(found.get(path.name, [])) == expected, name


def test_constructs_through_flake8(construct_files):
    result = run_flake8(_directory(construct_files), "--select=LOR1")
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
    found: Dict[str, List[tuple]] = {}
    for line in result.stdout.splitlines():
        path, row, _, rest = line.split(":", 3)
        found.setdefault(Path(path).name, []).append((int(row), rest.split()[0]))
    for name, (path, expected) in construct_files.items():
        assert sorted(found.get(path.name, [])) == expected, name


def test_the_estimate_follows_the_same_links(construct_files):
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "lora_lint_plugin"]
    linked, _ = construct_files["methods_applied_later"]
    lookalike, _ = construct_files["methods_applied_later-lookalike"]
    result = subprocess.run(command + ["estimate", "--output-format", "json", str(linked),
                                       str(lookalike)],
                            capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    by_file = {Path(f["path"]).name: f["setups"] for f in json.loads(result.stdout)["files"]}
    assert [setup["model"]["id"] for setup in by_file[linked.name]] == ["meta-llama/Llama-3.1-8B"]
    assert [setup.get("skipped") for setup in by_file[lookalike.name]] == [
        "the model id is not known statically"]
