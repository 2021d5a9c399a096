"""Launcher scripts: option values a project's shell scripts pass to a training script, read
as second-tier values (``analysis/launchers.py``), through the real ``lora-lint`` CLI and flake8.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from .conftest import dedent, run_flake8

SCRIPT = Path(sys.executable).with_name("lora-lint")

HF_SCRIPT = dedent('''
    from dataclasses import dataclass, field
    from typing import Optional
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, HfArgumentParser

    @dataclass
    class ScriptArguments:
        model_name_or_path: Optional[str] = field(default=None)
        lora_rank: int = field(default=8)

    args, = HfArgumentParser(ScriptArguments).parse_args_into_dataclasses()
    model = AutoModelForCausalLM.from_pretrained(args.model_name_or_path)
    config = LoraConfig(r=args.lora_rank, target_modules=["q_proj", "c_attn"])
    model = get_peft_model(model, config)
''')

ARGPARSE_SCRIPT = dedent('''
    import argparse
    from peft import LoraConfig
    parser = argparse.ArgumentParser()
    parser.add_argument("--lora_r", type=int, default=8)
    parser.add_argument("--use_dora", action="store_true")
    args = parser.parse_args()
    config = LoraConfig(r=args.lora_r, use_dora=args.use_dora)
''')

# HfArgumentParser reading a JSON file named on the command line, else the command line
JSON_OR_COMMAND_LINE_SCRIPT = dedent('''
    import os, sys
    from dataclasses import dataclass, field
    from typing import Optional
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, HfArgumentParser

    @dataclass
    class ScriptArguments:
        model_name_or_path: Optional[str] = field(default=None)
        lora_rank: int = field(default=8)

    parser = HfArgumentParser(ScriptArguments)
    if len(sys.argv) == 2 and sys.argv[1].endswith(".json"):
        args, = parser.parse_json_file(json_file=os.path.abspath(sys.argv[1]))
    else:
        args, = parser.parse_args_into_dataclasses()
    model = AutoModelForCausalLM.from_pretrained(args.model_name_or_path)
    config = LoraConfig(r=args.lora_rank, target_modules=["q_proj", "c_attn"])
    model = get_peft_model(model, config)
''')

# TRL's own ModelConfig: a library class whose field type the catalog knows
TRL_MODEL_CONFIG_SCRIPT = dedent('''
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM
    from trl import ModelConfig, TrlParser

    model_args, = TrlParser((ModelConfig,)).parse_args_and_config()
    model = AutoModelForCausalLM.from_pretrained(model_args.model_name_or_path)
    model = get_peft_model(model, LoraConfig(r=8, target_modules=["q_proj", "c_attn"]))
''')

CONFIG_SCRIPT = dedent('''
    import json
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    config = json.load(open("config.json"))
    model = AutoModelForCausalLM.from_pretrained(config["model_name"])
    model = get_peft_model(model, LoraConfig(target_modules=["q_proj", "c_attn"]))
''')

# the branch a launched value decides: ``if args.model_name_or_path: ... else: from_config``;
# the tokenizer the embeddings are resized to comes from its own option
CONDITION_SCRIPT = dedent('''
    from dataclasses import dataclass, field
    from typing import Optional
    from peft import LoraConfig, get_peft_model
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, HfArgumentParser

    @dataclass
    class ScriptArguments:
        model_name_or_path: Optional[str] = field(default=None)
        tokenizer_name_or_path: Optional[str] = field(default=None)
        modules_to_save: Optional[str] = field(default=None)

    args, = HfArgumentParser(ScriptArguments).parse_args_into_dataclasses(
        return_remaining_strings=True)[:1]
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer_name_or_path)
    if args.model_name_or_path:
        model = AutoModelForCausalLM.from_pretrained(args.model_name_or_path)
    else:
        model = AutoModelForCausalLM.from_config(AutoConfig.for_model("llama"))
    model.resize_token_embeddings(len(tokenizer))
    config = LoraConfig(target_modules=["q_proj", "c_attn"],
                        modules_to_save=args.modules_to_save.split(","))
    model = get_peft_model(model, config)
''')

CONDITION_LAUNCH = ("python train.py --model_name_or_path {model} --tokenizer_name_or_path "
                    "{tokenizer} --modules_to_save embed_tokens,lm_head\n")

LAUNCH = ("CUDA_VISIBLE_DEVICES=0,1 torchrun --nproc_per_node 2 training/train.py \\\n"
          "    --model_name_or_path {model} \\\n    --lora_rank {rank} \\\n    --do_train\n")

# name -> (files relative to the project, expected (file, line, code, message part))
PROJECTS: Dict[str, Tuple[Dict[str, str], List[Tuple[str, int, str, str]]]] = {
    "launcher_in_scripts": ({
        "training/train.py": HF_SCRIPT,
        "scripts/run_sft.sh": LAUNCH.format(model="meta-llama/Llama-3.1-8B", rank=0),
    }, [("training/train.py", 13, "LOR103", "not a module of llama"),
        ("training/train.py", 13, "LOR201", "(value of --lora_rank in ../scripts/run_sft.sh)")]),
    "two_launchers_agree": ({
        "training/train.py": HF_SCRIPT,
        "scripts/run_sft.sh": LAUNCH.format(model="meta-llama/Llama-3.1-8B", rank=16),
        "scripts/run_sft_accelerate.sh": "accelerate launch --multi_gpu training/train.py "
                                         "--lora_rank 16 --model_name_or_path "
                                         "meta-llama/Llama-3.1-8B\n",
    }, [("training/train.py", 13, "LOR103", "not a module of llama")]),
    "two_launchers_differ": ({
        "training/train.py": HF_SCRIPT,
        "scripts/run_llama.sh": LAUNCH.format(model="meta-llama/Llama-3.1-8B", rank=0),
        "scripts/run_gpt2.sh": LAUNCH.format(model="openai-community/gpt2", rank=0),
    }, [("training/train.py", 13, "LOR201", "(value of --lora_rank in ../scripts/run_gpt2.sh)")]),
    # a variable the launcher assigns a literal once is known; $RANK (assigned nowhere) is not
    "shell_variable": ({
        "training/train.py": HF_SCRIPT,
        "scripts/run_sft.sh": 'DATA=/data\nMODEL="meta-llama/Llama-3.1-8B"\n'
                              + LAUNCH.format(model="${MODEL}", rank="$RANK"),
    }, [("training/train.py", 13, "LOR103", "not a module of llama")]),
    "shell_variable_rank": ({
        "training/train.py": HF_SCRIPT,
        "scripts/run_sft.sh": "export RANK=0\n" + LAUNCH.format(model="$UNSET", rank="$RANK"),
    }, [("training/train.py", 13, "LOR201", "(value of --lora_rank in ../scripts/run_sft.sh)")]),
    # assigned twice, inside an ``if``, from the command line, or in a launcher that sources
    # another file: unknown
    "shell_variable_unknown": ({
        "training/train.py": HF_SCRIPT,
        "scripts/run_twice.sh": "RANK=0\nRANK=16\n" + LAUNCH.format(model="$UNSET", rank="$RANK"),
        "scripts/run_if.sh": 'if [ -n "$1" ]; then\n  RANK=0\nfi\n'
                             + LAUNCH.format(model="$UNSET", rank="${RANK}"),
        "scripts/run_argument.sh": 'RANK="$2"\n' + LAUNCH.format(model="$UNSET", rank="$RANK"),
        "scripts/run_sourced.sh": "RANK=0\nsource env.sh\n"
                                  + LAUNCH.format(model="$UNSET", rank="$RANK"),
    }, []),
    # a field of TRL's ModelConfig: the launcher's text (without a launcher: its None default)
    "library_argument_class": ({
        "training/train.py": TRL_MODEL_CONFIG_SCRIPT,
        "scripts/run_grpo.sh": "python training/train.py --model_name_or_path "
                               "meta-llama/Llama-3.1-8B\n",
    }, [("training/train.py", 7, "LOR103", "(value of --model_name_or_path in ../scripts/run_grpo.sh)")]),
    "library_argument_class_without_launcher": ({"training/train.py": TRL_MODEL_CONFIG_SCRIPT}, []),
    # activating a virtual environment sets none of the launcher's variables
    "shell_variable_after_venv_activation": ({
        "training/train.py": HF_SCRIPT,
        "scripts/run_sft.sh": "python3 -m venv env\nsource env/bin/activate\nRANK=0\n"
                              + LAUNCH.format(model="$UNSET", rank="$RANK"),
    }, [("training/train.py", 13, "LOR201", "(value of --lora_rank in ../scripts/run_sft.sh)")]),
    # the default of the launcher's own parameter: a default, which the message names
    "shell_parameter_default": ({
        "training/train.py": HF_SCRIPT,
        "scripts/run_default.sh": 'RANK="${2:-0}"\n' + LAUNCH.format(model="$UNSET", rank="$RANK"),
    }, [("training/train.py", 13, "LOR201",
         "(default of $2 for --lora_rank in ../scripts/run_default.sh)")]),
    # launchers that pass options run the command-line branch, never the JSON file's
    "json_or_command_line": ({
        "training/train.py": JSON_OR_COMMAND_LINE_SCRIPT,
        "scripts/run_sft.sh": LAUNCH.format(model="meta-llama/Llama-3.1-8B", rank=16),
    }, [("training/train.py", 18, "LOR103", "not a module of llama")]),
    # the arguments object handed to a helper function: what either branch may give it
    "json_or_command_line_in_a_helper": ({
        "training/train.py": JSON_OR_COMMAND_LINE_SCRIPT.replace(
            "model = AutoModelForCausalLM.from_pretrained(args.model_name_or_path)",
            "def load(model_args):\n    return AutoModelForCausalLM.from_pretrained("
            "model_args.model_name_or_path)\nmodel = load(args)"),
        "scripts/run_sft.sh": LAUNCH.format(model="meta-llama/Llama-3.1-8B", rank=16),
    }, [("training/train.py", 20, "LOR103", "not a module of llama")]),
    "json_file_launched": ({
        "training/train.py": JSON_OR_COMMAND_LINE_SCRIPT,
        "scripts/run_sft.sh": LAUNCH.format(model="meta-llama/Llama-3.1-8B", rank=16),
        "scripts/run_json.sh": "python training/train.py configs/sft.json\n",
    }, []),
    "launcher_of_another_script": ({
        "training/train.py": HF_SCRIPT,
        "scripts/run_sft.sh": LAUNCH.format(model="meta-llama/Llama-3.1-8B", rank=0)
        .replace("training/train.py", "training/other.py"),
    }, []),
    "argparse_in_the_same_directory": ({
        "train.py": ARGPARSE_SCRIPT,
        "run.sh": "#!/bin/bash\n# python train.py --lora_r=64\npython train.py --lora_r=0 --use_dora"
                  "  # rank 0 on purpose\n",
    }, [("train.py", 7, "LOR201", "(value of --lora_r in run.sh)")]),
    # a condition on a value the launcher passes is decided by it; the embeddings resized to
    # another tokenizer (a merged, extended vocabulary): trained in full on purpose, so
    # LOR102/LOR111 stay silent; the model's own tokenizer: a few tokens, reported
    "condition_on_launched_value_extended_vocabulary": ({
        "train.py": CONDITION_SCRIPT,
        "run.sh": CONDITION_LAUNCH.format(model="meta-llama/Llama-2-7b-hf",
                                          tokenizer="merged_tokenizer_hf"),
    }, [("train.py", 20, "LOR103", "not a module of llama (meta-llama/Llama-2-7b-hf)")]),
    "condition_on_launched_value_own_tokenizer": ({
        "train.py": CONDITION_SCRIPT.replace(
            "model.resize_token_embeddings",
            'tokenizer.add_special_tokens({"pad_token": "<pad>"})\nmodel.resize_token_embeddings'),
        "run.sh": CONDITION_LAUNCH.format(model="meta-llama/Llama-2-7b-hf",
                                          tokenizer="meta-llama/Llama-2-7b-hf"),
    }, [("train.py", 21, "LOR103", "not a module of llama"),
        ("train.py", 21, "LOR111", "add_special_tokens on line 19"),
        ("train.py", 10, "LOR102", "(value of --modules_to_save in run.sh)"),
        ("train.py", 10, "LOR102", "(value of --modules_to_save in run.sh)")]),
    # a default (the launcher's own parameter's, or the field's None) decides nothing
    "condition_on_a_launcher_default": ({
        "train.py": CONDITION_SCRIPT,
        "run.sh": 'MODEL="${1:-meta-llama/Llama-2-7b-hf}"\n'
                  + CONDITION_LAUNCH.format(model="$MODEL", tokenizer="merged_tokenizer_hf"),
    }, []),
    "condition_without_launcher": ({"train.py": CONDITION_SCRIPT}, []),
    # A config file at a literal path next to the script is read (docs/resolution.md)
    "config_file_next_to_the_script": ({
        "train.py": CONFIG_SCRIPT,
        "config.json": '{"model_name": "meta-llama/Llama-3.1-8B"}\n',
        "run.sh": "python train.py\n",
    }, [("train.py", 7, "LOR103", "(value of key model_name in config.json)")]),
}


@pytest.fixture(scope="module")
def project_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("launchers")
    for name, (files, _) in PROJECTS.items():
        for relative, text in files.items():
            path = root / name / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return root


def _expected(name: str) -> List[Tuple[str, int, str]]:
    return sorted((f"{name}/{file}", line, code) for file, line, code, _ in PROJECTS[name][1])


def test_launcher_values_through_the_cli(project_root: Path) -> None:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "lora_lint_plugin"]
    result = subprocess.run(command + ["check", "--output-format", "json", "--select", "LOR1,LOR2",
                                       str(project_root)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    found: Dict[str, List[Tuple[str, int, str]]] = {}
    messages: Dict[Tuple[str, int, str], str] = {}
    for item in json.loads(result.stdout):
        relative = Path(item["filename"]).relative_to(project_root).as_posix()
        key = (relative, item["location"]["row"], item["code"])
        found.setdefault(relative.split("/")[0], []).append(key)
        messages[key] = item["message"]
    for name in PROJECTS:
        assert sorted(found.get(name, [])) == _expected(name), name
        for file, line, code, part in PROJECTS[name][1]:
            assert part in messages[(f"{name}/{file}", line, code)], (name, code)


def test_flake8_reads_the_same_launchers(project_root: Path) -> None:
    result = run_flake8(project_root, "--select=LOR1,LOR2")
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
    found: Dict[str, List[Tuple[str, int, str]]] = {}
    for line in result.stdout.splitlines():
        path, row, _, rest = line.split(":", 3)
        relative = Path(path).resolve().relative_to(project_root.resolve()).as_posix()
        found.setdefault(relative.split("/")[0], []).append((relative, int(row), rest.split()[0]))
    for name in PROJECTS:
        assert sorted(found.get(name, [])) == _expected(name), name


def test_launchers_are_not_read_when_the_tier_is_off(project_root: Path) -> None:
    project = project_root / "launcher_in_scripts"
    (project / "pyproject.toml").write_text("[tool.lora-lint]\nresolve-defaults = false\n",
                                            encoding="utf-8")
    try:
        command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "lora_lint_plugin"]
        result = subprocess.run(command + ["check", "--select", "LOR1,LOR2", str(project)],
                                capture_output=True, text=True, timeout=300, cwd=project)
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        (project / "pyproject.toml").unlink()
