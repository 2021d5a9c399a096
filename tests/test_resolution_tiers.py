"""Values followed through real code: if/else bindings, small local functions and the second
tier (argparse, dataclass and class defaults, environment fallbacks, f-strings,
``snapshot_download``), through the real ``lora-lint`` command and flake8.

Every construct has a case that must be reported (the message names the default it rests on
when it rests on one) and one that must stay silent (unknown is never guessed).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from .conftest import flake8_codes, run_flake8, write_source

# name -> (source, [(code, line, text the message must contain)]); [] = silent
CASES: Dict[str, Tuple[str, List[Tuple[str, int, str]]]] = {
    "if_constant_condition": ("""
        from peft import LoraConfig
        DEBUG = True
        if DEBUG:
            RANK = 0
        else:
            RANK = 16
        LoraConfig(r=RANK)
    """, [("LOR201", 4, "r=0 is not positive")]),
    "if_input_condition_disagree": ("""
        import sys
        from peft import LoraConfig
        if len(sys.argv) > 1:
            RANK = 0
        else:
            RANK = 16
        LoraConfig(r=RANK)
    """, []),
    "if_branches_agree": ("""
        import sys
        from peft import LoraConfig
        if sys.argv[1] == "small":
            TARGETS = ["q_proj", "embed_tokens"]
        elif sys.argv[1] == "large":
            TARGETS = ["q_proj", "embed_tokens"]
        else:
            raise SystemExit("unknown size")
        LoraConfig(target_modules=TARGETS)
    """, [("LOR101", 9, "'embed_tokens' in target_modules")]),
    "if_without_else_disagrees": ("""
        import sys
        from peft import LoraConfig
        RANK = 16
        if "--tiny" in sys.argv:
            RANK = 0
        LoraConfig(r=RANK)
    """, []),
    "conditional_expression_constant": ("""
        from peft import LoraConfig
        SMALL = False
        LoraConfig(r=8 if SMALL else 0)
    """, [("LOR201", 3, "r=0")]),
    "conditional_expression_input": ("""
        import sys
        from peft import LoraConfig
        LoraConfig(r=8 if sys.argv[1] else 0)
    """, []),
    "function_called_once": ("""
        from peft import LoraConfig

        def make_config(rank, dropout=0.05):
            return LoraConfig(r=rank, lora_dropout=dropout)

        config = make_config(0)
    """, [("LOR201", 6, "r=0")]),
    "function_called_twice_differently": ("""
        from peft import LoraConfig

        def make_config(rank):
            return LoraConfig(r=rank)

        small = make_config(0)
        large = make_config(64)
    """, []),
    "function_returns_model": ("""
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM

        def load_model(name):
            model = AutoModelForCausalLM.from_pretrained(name)
            return model

        model = load_model("meta-llama/Meta-Llama-3-8B")
        config = LoraConfig(target_modules=["q_proj", "c_attn"])
        model = get_peft_model(model, config)
    """, [("LOR103", 9, "not a module of")]),
    "function_returns_model_two_names": ("""
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM

        def load_model(name):
            return AutoModelForCausalLM.from_pretrained(name)

        model = load_model("meta-llama/Meta-Llama-3-8B")
        other = load_model("gpt2")
        config = LoraConfig(target_modules=["q_proj", "c_attn"])
        model = get_peft_model(model, config)
    """, [("LOR103", 9, "not a module of")]),
    "function_returns_model_two_names_either": ("""
        import sys
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM

        def load_model(name):
            return AutoModelForCausalLM.from_pretrained(name)

        if sys.argv[1] == "small":
            model = load_model("gpt2")
        else:
            model = load_model("meta-llama/Meta-Llama-3-8B")
        config = LoraConfig(target_modules=["q_proj", "c_attn"])
        model = get_peft_model(model, config)
    """, []),
    "recursion": ("""
        from peft import LoraConfig

        def deeper(rank):
            if rank > 100:
                return LoraConfig(r=rank)
            return deeper(rank)

        def ping(rank):
            return pong(rank)

        def pong(rank):
            LoraConfig(r=rank)
            return ping(rank)

        deeper(0)
        ping(0)
    """, []),
    "argparse_default": ("""
        import argparse
        from peft import LoraConfig
        parser = argparse.ArgumentParser()
        parser.add_argument("--lora-r", type=int, default="0")
        parser.add_argument("--targets", nargs="+", default=["q_proj", "embed_tokens"])
        args = parser.parse_args()
        LoraConfig(r=args.lora_r, target_modules=args.targets)
    """, [("LOR201", 7, "(default of --lora-r)"),
          ("LOR101", 5, "(default of --targets)")]),
    "argparse_in_function": ("""
        import argparse
        from peft import LoraConfig

        def parse():
            parser = argparse.ArgumentParser()
            parser.add_argument("--rank", type=int, default=0)
            return parser.parse_args()

        def main(args):
            return LoraConfig(r=args.rank)

        if __name__ == "__main__":
            main(parse())
    """, [("LOR201", 6, "(default of --rank)")]),
    "argparse_keyword_not_value": ("""
        import argparse
        from trl import SFTTrainer
        parser = argparse.ArgumentParser()
        parser.add_argument("--max_len", type=int, default=1024)
        args = parser.parse_args()
        trainer = SFTTrainer(model="gpt2", max_seq_length=args.max_len)
    """, [("LOR505", 6, "has no max_seq_length")]),
    "argparse_required": ("""
        import argparse
        from peft import LoraConfig
        parser = argparse.ArgumentParser()
        parser.add_argument("--rank", type=int, required=True, default=0)
        parser.add_argument("--targets", nargs="+")
        args = parser.parse_args()
        LoraConfig(r=args.rank, target_modules=args.targets)
    """, []),
    "argparse_namespace_updated": ("""
        import argparse
        import json
        from peft import LoraConfig
        parser = argparse.ArgumentParser()
        parser.add_argument("--rank", type=int, default=0)
        args = parser.parse_args()
        args.__dict__.update(json.load(open("config.json")))
        LoraConfig(r=args.rank)
    """, []),
    "argparse_overwritten": ("""
        import argparse
        from peft import LoraConfig
        parser = argparse.ArgumentParser()
        parser.add_argument("--rank", type=int, default=0)
        args = parser.parse_args()
        if args.rank == 0:
            args.rank = 16
        LoraConfig(r=args.rank)
    """, []),
    "hf_dataclass_defaults": ("""
        from dataclasses import dataclass, field
        from typing import List
        from peft import LoraConfig
        from transformers import HfArgumentParser, TrainingArguments

        @dataclass
        class LoraArguments:
            lora_r: int = 0
            lora_target_modules: List[str] = field(
                default_factory=lambda: ["q_proj", "v_proj", "lm_head"])

        parser = HfArgumentParser((TrainingArguments, LoraArguments))
        training_args, lora_args = parser.parse_args_into_dataclasses()
        LoraConfig(r=lora_args.lora_r, target_modules=lora_args.lora_target_modules,
                   lora_dropout=training_args.lora_dropout)
    """, [("LOR101", 10, "(default of --lora_target_modules)"),
          ("LOR201", 8, "(default of --lora_r)")]),
    "namespace_of_parsed_dataclasses": ("""
        import argparse
        from dataclasses import dataclass, field
        from peft import LoraConfig
        from transformers import HfArgumentParser, TrainingArguments

        @dataclass
        class LoraArguments:
            lora_r: int = field(default=0)

        parser = HfArgumentParser((LoraArguments, TrainingArguments))
        lora_args, training_args, extra = parser.parse_args_into_dataclasses(
            return_remaining_strings=True)
        args = argparse.Namespace(**vars(lora_args), **vars(training_args))
        LoraConfig(r=args.lora_r, lora_alpha=args.lora_alpha)
    """, [("LOR201", 8, "(default of --lora_r)")]),
    "namespace_with_other_parts": ("""
        import argparse
        from dataclasses import dataclass, field
        from peft import LoraConfig
        from transformers import HfArgumentParser, TrainingArguments

        @dataclass
        class LoraArguments:
            lora_r: int = field(default=0)

        parser = HfArgumentParser((LoraArguments, TrainingArguments))
        lora_args, training_args = parser.parse_args_into_dataclasses()
        args = argparse.Namespace(**vars(training_args), **settings())
        LoraConfig(r=args.lora_r)
    """, []),
    "trl_parser": ("""
        from dataclasses import dataclass
        from peft import LoraConfig
        from trl import GRPOConfig, ModelConfig, TrlParser

        @dataclass
        class ScriptArguments:
            lora_rank: int = -8

        parser = TrlParser((ModelConfig, ScriptArguments, GRPOConfig))
        model_args, script_args, training_args = parser.parse_args_and_config()
        LoraConfig(r=script_args.lora_rank, lora_alpha=model_args.lora_alpha)
    """, [("LOR201", 7, "(default of --lora_rank)")]),
    "hf_json_or_command_line": ("""
        import sys
        from dataclasses import dataclass, field
        from peft import LoraConfig
        from transformers import HfArgumentParser, TrainingArguments

        @dataclass
        class MyTrainingArguments(TrainingArguments):
            lora_rank: int = field(default=0)

        parser = HfArgumentParser(MyTrainingArguments)
        if len(sys.argv) == 2 and sys.argv[1].endswith(".json"):
            (training_args,) = parser.parse_json_file(json_file=sys.argv[1])
        else:
            training_args = parser.parse_args_into_dataclasses(return_remaining_strings=True)[0]
        LoraConfig(r=training_args.lora_rank)
    """, [("LOR201", 8, "(default of --lora_rank)")]),
    "none_default_or_fallback": ("""
        import argparse
        import os
        from peft import LoraConfig
        parser = argparse.ArgumentParser()
        parser.add_argument("--rank", type=int)
        parser.add_argument("--alpha", type=int, default=16)
        args = parser.parse_args()
        LoraConfig(r=args.rank or 0, lora_alpha=args.alpha or -1,
                   lora_dropout=float(os.environ.get("DROPOUT") or "2.0"))
    """, [("LOR201", 8, "(default of --rank)"),
          ("LOR202", 9, "(default of environment variable DROPOUT)")]),
    "hf_dataclass_required_field": ("""
        from dataclasses import dataclass, field
        from typing import List
        from peft import LoraConfig
        from transformers import HfArgumentParser, TrainingArguments

        @dataclass
        class LoraArguments:
            lora_r: int = field(metadata={"help": "rank"})
            lora_target_modules: List[str] = field(default_factory=list)

        parser = HfArgumentParser((LoraArguments, TrainingArguments))
        lora_args, training_args = parser.parse_args_into_dataclasses()
        LoraConfig(r=lora_args.lora_r)
    """, []),
    "fire_command_line": ("""
        import fire
        from peft import LoraConfig

        def train(base_model: str = "", lora_r: int = 0, lora_dropout: float = 0.05):
            LoraConfig(r=lora_r, lora_dropout=lora_dropout)

        if __name__ == "__main__":
            fire.Fire(train)
    """, [("LOR201", 4, "(default of --lora_r)")]),
    "fire_and_direct_call": ("""
        import fire
        from peft import LoraConfig

        def train(lora_r: int = 0):
            LoraConfig(r=lora_r)

        train(lora_r=16)
        fire.Fire(train)
    """, []),
    "config_class": ("""
        from peft import LoraConfig

        class Config:
            rank = 0
            targets = ["q_proj", "embed_tokens"]

        cfg = Config()
        LoraConfig(r=Config.rank, target_modules=cfg.targets)
    """, [("LOR201", 4, "(value of Config.rank)"),
          ("LOR101", 5, "(value of Config.targets)")]),
    "enum_and_pydantic_classes": ("""
        from enum import Enum
        from peft import LoraConfig
        from pydantic import BaseModel

        class Rank(Enum):
            SMALL = 0

        class Settings(BaseModel):
            dropout: float = 2.0

        settings = Settings(dropout=0.1)
        LoraConfig(r=Rank.SMALL, lora_dropout=settings.dropout)
    """, []),
    "config_class_init_overwrites": ("""
        from peft import LoraConfig

        class Config:
            rank = 0

            def __init__(self, rank):
                self.rank = rank

        cfg = Config(16)
        LoraConfig(r=cfg.rank)
    """, []),
    "environment_default": ("""
        import os
        from peft import LoraConfig
        LoraConfig(r=int(os.environ.get("LORA_R", "0")), lora_dropout=float(os.getenv("DROP", "1.5")))
    """, [("LOR201", 3, "(default of environment variable LORA_R)"),
          ("LOR202", 3, "(default of environment variable DROP)")]),
    "environment_required": ("""
        import os
        from peft import LoraConfig
        os.environ["DROP"] = "0.1"
        LoraConfig(r=int(os.environ["LORA_R"]), lora_dropout=float(os.getenv("DROP", "1.5")))
    """, []),
    "fstring_model_id": ("""
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        ORG = "meta-llama"
        model = AutoModelForCausalLM.from_pretrained(f"{ORG}/Meta-Llama-3-8B")
        model = get_peft_model(model, LoraConfig(target_modules=["q_proj", "c_attn"]))
    """, [("LOR103", 5, "not a module of")]),
    "fstring_unknown_part": ("""
        import sys
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained(f"meta-llama/{sys.argv[1]}")
        model = get_peft_model(model, LoraConfig(target_modules=["q_proj", "c_attn"]))
    """, []),
    "snapshot_download": ("""
        from huggingface_hub import snapshot_download
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        path = snapshot_download("meta-llama/Meta-Llama-3-8B")
        model = AutoModelForCausalLM.from_pretrained(path)
        model = get_peft_model(model, LoraConfig(target_modules=["q_proj", "c_attn"]))
    """, [("LOR103", 6, "not a module of")]),
    "modelscope_or_transformers_same_id": ("""
        import os
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM


        def load(model_name="Qwen/Qwen2.5-7B", quantize=False):
            options = {"device_map": "auto"}
            if quantize:
                options["load_in_4bit"] = True
            if os.environ.get("USE_MODELSCOPE"):
                from modelscope import AutoModelForCausalLM as ModelScopeModel
                return ModelScopeModel.from_pretrained(model_name, **options), None
            return AutoModelForCausalLM.from_pretrained(model_name, **options), None


        model, _ = load("meta-llama/Meta-Llama-3-8B", quantize=True)
        model = get_peft_model(model, LoraConfig(target_modules=["q_proj", "c_attn"]))
    """, [("LOR103", 17, "not a module of llama (meta-llama/Meta-Llama-3-8B)")]),
    "modelscope_or_transformers_other_id": ("""
        import os
        from modelscope import AutoModelForCausalLM as ModelScopeModel
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM


        def load():
            if os.environ.get("USE_MODELSCOPE"):
                return ModelScopeModel.from_pretrained("gpt2")
            return AutoModelForCausalLM.from_pretrained("meta-llama/Meta-Llama-3-8B")


        model = get_peft_model(load(), LoraConfig(target_modules=["q_proj", "c_attn"]))
    """, []),
    # options generated from a dataclass's fields, their defaults the fields' own
    "dataclass_fields_as_options": ("""
        import argparse
        from dataclasses import dataclass, fields
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM

        @dataclass
        class Config:
            model: str = "meta-llama/Meta-Llama-3-8B"
            lora_r: int = 16

        def parse_config():
            parser = argparse.ArgumentParser()
            for f in fields(Config):
                parser.add_argument(f"--{f.name}", type=f.type, default=f.default)
            return Config(**vars(parser.parse_args()))

        cfg = parse_config()
        model = AutoModelForCausalLM.from_pretrained(cfg.model)
        model = get_peft_model(model, LoraConfig(r=cfg.lora_r, target_modules=["q_proj", "c_attn"]))
    """, [("LOR103", 19, "(default of --model)")]),
    # the parser changes a default after generating the options: unknown
    "dataclass_fields_as_options_other_default": ("""
        import argparse
        from dataclasses import dataclass, fields
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM

        @dataclass
        class Config:
            model: str = "meta-llama/Meta-Llama-3-8B"

        parser = argparse.ArgumentParser()
        for f in fields(Config):
            parser.add_argument(f"--{f.name}", default=f.default)
        parser.set_defaults(model="openai-community/gpt2")
        cfg = Config(**vars(parser.parse_args()))
        model = AutoModelForCausalLM.from_pretrained(cfg.model)
        model = get_peft_model(model, LoraConfig(target_modules=["q_proj", "c_attn"]))
    """, []),
    # a Kaggle handle: the local copy kagglehub downloads is that model's
    "kaggle_model_download": ("""
        import kagglehub
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        path = kagglehub.model_download(handle="google/gemma-2/transformers/gemma-2-2b")
        model = AutoModelForCausalLM.from_pretrained(path)
        model = get_peft_model(model, LoraConfig(target_modules=["q_proj", "c_attn"]))
    """, [("LOR103", 6, "not a module of gemma2")]),
    "kaggle_model_download_unknown": ("""
        import sys
        from kagglehub import model_download
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained(model_download(sys.argv[1]))
        model = get_peft_model(model, LoraConfig(target_modules=["q_proj", "c_attn"]))
    """, []),
    # a model directory next to the script, found from ``__file__`` (the script's own path)
    "path_from_the_script": ("""
        from pathlib import Path
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        ROOT = Path(__file__).resolve().parents[0].parent
        MODEL_DIR = ROOT / "models" / "gemma-2-2b"
        model = AutoModelForCausalLM.from_pretrained(str(MODEL_DIR))
        model = get_peft_model(model, LoraConfig(target_modules=["q_proj", "c_attn"]))
    """, [("LOR103", 7, "not a module of gemma2")]),
    "path_from_the_script_unknown_part": ("""
        import sys
        from pathlib import Path
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        MODEL_DIR = Path(__file__).parent / "models" / sys.argv[1]
        model = AutoModelForCausalLM.from_pretrained(MODEL_DIR)
        model = get_peft_model(model, LoraConfig(target_modules=["q_proj", "c_attn"]))
    """, []),
    "snapshot_download_unknown": ("""
        import sys
        from modelscope import snapshot_download
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        path = snapshot_download(sys.argv[1])
        model = AutoModelForCausalLM.from_pretrained(path)
        model = get_peft_model(model, LoraConfig(target_modules=["q_proj", "c_attn"]))
    """, []),
}


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tiers")
    for name, (source, _) in CASES.items():
        write_source(directory, source, f"{name}.py")
    return directory


@pytest.fixture(scope="module")
def cli_report(case_dir: Path) -> Dict[str, List[dict]]:
    result = subprocess.run(
        [sys.executable, "-m", "lora_lint_plugin", "check", "--isolated", "--output-format=json",
         "-j", "1", str(case_dir)], capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    by_file: Dict[str, List[dict]] = {}
    for item in json.loads(result.stdout):
        by_file.setdefault(Path(item["filename"]).stem, []).append(item)
    return by_file


@pytest.fixture(scope="module")
def flake8_report(case_dir: Path) -> Dict[str, List[Tuple[int, str, str]]]:
    result = run_flake8(case_dir, "--select=LOR")
    assert "Traceback" not in result.stderr, result.stderr
    by_file: Dict[str, List[Tuple[int, str, str]]] = {}
    for line in result.stdout.splitlines():
        path, row, _, rest = line.split(":", 3)
        code, message = rest.strip().split(" ", 1)
        by_file.setdefault(Path(path).stem, []).append((int(row), code, message))
    return by_file


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_reports_what_the_construct_resolves(name: str, cli_report: dict) -> None:
    expected = CASES[name][1]
    found = [(item["code"], item["location"]["row"], item["message"])
             for item in cli_report.get(name, [])]
    assert sorted((code, row) for code, row, _ in found) == sorted(
        (code, row) for code, row, _ in expected), found
    for code, row, text in expected:
        assert any(c == code and r == row and text in message for c, r, message in found), \
            (text, found)


@pytest.mark.parametrize("name", sorted(CASES))
def test_flake8_agrees_with_the_cli(name: str, cli_report: dict, flake8_report: dict) -> None:
    from_cli = sorted((item["location"]["row"], item["code"], item["message"])
                      for item in cli_report.get(name, []))
    assert sorted(flake8_report.get(name, [])) == from_cli


def test_defaults_not_flagged_when_tier_is_off(tmp_path: Path) -> None:
    source = CASES["argparse_default"][0] + CASES["environment_default"][0].replace(
        "from peft import LoraConfig", "")
    project = tmp_path / "project"
    project.mkdir()
    path = write_source(project, source)
    exact = write_source(project, CASES["if_constant_condition"][0], "exact.py")

    def cli() -> List[str]:
        result = subprocess.run(
            [sys.executable, "-m", "lora_lint_plugin", "check", "--output-format=json",
             str(path), str(exact)], capture_output=True, text=True, timeout=120, cwd=project)
        assert result.returncode in (0, 1), result.stderr
        return sorted(f"{Path(i['filename']).name}:{i['code']}" for i in json.loads(result.stdout))

    assert cli() == ["exact.py:LOR201", "train.py:LOR101", "train.py:LOR201",
                     "train.py:LOR201", "train.py:LOR202"]
    (project / "pyproject.toml").write_text("[tool.lora-lint]\nresolve-defaults = false\n")
    assert cli() == ["exact.py:LOR201"]   # first-tier values are still resolved

    assert [code for _, _, code in flake8_codes(path)] != []
    assert flake8_codes(path, "--lora-lint-resolve-defaults=false") == []
    assert [code for _, _, code in flake8_codes(exact, "--lora-lint-resolve-defaults=false")] \
        == ["LOR201"]
    bad = run_flake8(path, "--select=LOR", "--lora-lint-resolve-defaults=maybe")
    assert "LOR000" in bad.stdout and "true or false" in bad.stdout


def test_bad_resolve_defaults_value_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.lora-lint]\nresolve-defaults = \"no\"\n")
    path = write_source(tmp_path, CASES["argparse_default"][0])
    result = subprocess.run([sys.executable, "-m", "lora_lint_plugin", "check", str(path)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 2
    assert "'resolve-defaults'" in result.stderr and "true or false" in result.stderr


def _hostile_sources() -> Dict[str, str]:
    chain = ["from peft import LoraConfig", "RANK = 0"]
    for number in range(1500):   # 1,500 successive ifs rebinding one name
        chain += [f"if RANK == {number}:", f"    RANK = {number + 1}", "else:",
                  f"    RANK = {number + 1}"]
    chain.append("LoraConfig(r=RANK)")
    calls = ["from peft import LoraConfig"]
    for number in range(1500):   # a 1,500-function call chain passing the rank down
        calls += [f"def f{number}(rank):", f"    return f{number + 1}(rank)"]
    calls += ["def f1500(rank):", "    return LoraConfig(r=rank)", "f0(0)"]
    cycle = ["from peft import LoraConfig"]
    for number in range(300):    # 300 functions calling each other in a ring
        cycle += [f"def g{number}(rank):", "    LoraConfig(r=rank)",
                  f"    return g{(number + 1) % 300}(rank)"]
    cycle.append("g0(0)")
    rebound = ["from peft import LoraConfig"]
    for number in range(2000):   # a global rebound 2,000 times, read in 2,000 functions
        rebound += [f"RANK = {number % 2}", f"def h{number}():", "    return LoraConfig(r=RANK)"]
    return {"chain": "\n".join(chain) + "\n", "calls": "\n".join(calls) + "\n",
            "cycle": "\n".join(cycle) + "\n", "rebound": "\n".join(rebound) + "\n"}


@pytest.mark.parametrize("name", ["chain", "calls", "cycle", "rebound"])
def test_hostile_input_neither_loops_nor_overflows(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.py"
    path.write_text(_hostile_sources()[name])
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "lora_lint_plugin", "check", "--isolated",
                             "--output-format=json", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 60
    codes = {item["code"] for item in json.loads(result.stdout)}
    assert "LOR000" not in codes
    if name == "chain":   # 1,500 agreeing ifs are past the depth followed: silent, not wrong
        assert codes <= {"LOR201"}
    else:
        assert codes == set()  # too deep / a cycle: unknown, silent


def test_a_diagnostic_about_the_keyword_does_not_rest_on_the_default(cli_report: dict) -> None:
    """``max_seq_length=args.max_len`` is removed whatever its value: no "(default of ...)"."""
    messages = [item["message"] for item in cli_report["argparse_keyword_not_value"]]
    assert messages and not any("(default of" in message for message in messages), messages
