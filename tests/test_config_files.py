"""Values a program reads from a JSON or YAML file it names (``analysis/config_files.py``),
through the real ``lora-lint`` command and flake8, with real files on disk.

Each case is a small project (a ``pyproject.toml`` marks its root): the program, the config
files it reads and, where needed, a helper module. A case lists what must be reported (the
message names the file and key the value comes from) or nothing: a file that is missing,
unparsable, too large, not a mapping, found twice with different contents, or changed by the
program after loading leaves the value unknown, and unknown is silent.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from .conftest import run_flake8

YAML_CONFIG = """
model:
  name: meta-llama/Llama-2-7b-hf
lora:
  r: 0
  target_modules: [q_proj, c_attn]
"""

LOADER_AND_LORA = """
from transformers import AutoModelForCausalLM
from peft import LoraConfig, get_peft_model
"""

# name -> ({relative path: text}, [(code, line, text the message must contain)]); the program
# is ``train.py`` (or ``scripts/train.py``); [] = silent
Files = Dict[str, str]
CASES: Dict[str, Tuple[Files, List[Tuple[str, int, str]]]] = {
    "yaml_with_open": ({"configs/train.yaml": YAML_CONFIG, "train.py": """
        import yaml
        from peft import LoraConfig
        with open("configs/train.yaml", encoding="utf-8") as f:
            cfg = yaml.safe_load(f)
        LoraConfig(r=cfg["lora"]["r"])
    """}, [("LOR201", 5, "(value of key lora.r in configs/train.yaml)")]),
    "model_id_from_yaml": ({"configs/train.yaml": YAML_CONFIG, "train.py": """
        import yaml
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model
        with open("configs/train.yaml") as f:
            cfg = yaml.load(f, Loader=yaml.SafeLoader)
        model = AutoModelForCausalLM.from_pretrained(cfg["model"]["name"])
        model = get_peft_model(model, LoraConfig(target_modules=["q_proj", "c_attn"]))
    """}, [("LOR103", 7, "(value of key model.name in configs/train.yaml)")]),
    "json_load_open": ({"cfg.json": json.dumps({"rank": 0}), "train.py": """
        import json
        from peft import LoraConfig
        cfg = json.load(open("cfg.json"))
        LoraConfig(r=cfg["rank"])
    """}, [("LOR201", 4, "value of key rank in cfg.json")]),
    "json_loads_read": ({"cfg.json": json.dumps({"rank": 0}), "train.py": """
        import json
        from peft import LoraConfig
        with open("cfg.json", "r") as handle:
            cfg = json.loads(handle.read())
        LoraConfig(r=cfg["rank"])
    """}, [("LOR201", 5, "value of key rank in cfg.json")]),
    "get_with_default_present": ({"cfg.json": json.dumps({"rank": 0}), "train.py": """
        import json
        from peft import LoraConfig
        cfg = json.load(open("cfg.json"))
        LoraConfig(r=cfg.get("rank", 16))
    """}, [("LOR201", 4, "value of key rank in cfg.json")]),
    "get_default_when_key_missing": ({"cfg.json": json.dumps({"alpha": 32}), "train.py": """
        import json
        from peft import LoraConfig
        cfg = json.load(open("cfg.json"))
        LoraConfig(r=cfg.get("rank", 0))
    """}, [("LOR201", 4, "contents of cfg.json")]),
    "omegaconf_attributes": ({"conf/train.yaml": "lora:\n  r: 0\n", "train.py": """
        from omegaconf import OmegaConf
        from peft import LoraConfig
        cfg = OmegaConf.load("conf/train.yaml")
        LoraConfig(r=cfg.lora.r)
    """}, [("LOR201", 4, "value of key lora.r in conf/train.yaml")]),
    "plain_dict_has_no_attributes": ({"conf/train.yaml": "lora:\n  r: 0\n", "train.py": """
        import yaml
        from peft import LoraConfig
        cfg = yaml.safe_load(open("conf/train.yaml"))
        LoraConfig(r=cfg.lora.r)
    """}, []),
    "path_next_to_the_module": ({"configs/train.yaml": YAML_CONFIG, "src/train/train.py": """
        from pathlib import Path
        import yaml
        from peft import LoraConfig

        def load_config(config_path):
            with open(config_path, "r") as f:
                config = yaml.safe_load(f)
            return config

        def main():
            project_root = Path(__file__).resolve().parent.parent.parent
            config = load_config(project_root / "configs" / "train.yaml")
            LoraConfig(r=config["lora"]["r"])
            evaluate(config["lora"])

        def evaluate(settings):
            settings["r"] = 16
    """}, [("LOR201", 13, "(value of key lora.r in configs/train.yaml)")]),
    "os_path_dirname_of_file": ({"cfg.json": json.dumps({"rank": 0}), "train.py": """
        import json
        import os
        from peft import LoraConfig
        HERE = os.path.dirname(os.path.abspath(__file__))
        cfg = json.load(open(os.path.join(HERE, "cfg.json")))
        LoraConfig(r=cfg["rank"])
    """}, [("LOR201", 6, "value of key rank in cfg.json")]),
    "argparse_type_path": ({"configs/train.yaml": YAML_CONFIG, "train.py": """
        import argparse
        from pathlib import Path
        import yaml
        from peft import LoraConfig
        parser = argparse.ArgumentParser()
        parser.add_argument("--config", type=Path, default=Path("configs/train.yaml"))
        args = parser.parse_args()
        cfg = yaml.safe_load(open(str(args.config)))
        LoraConfig(r=cfg["lora"]["r"])
    """}, [("LOR201", 9, "default of --config")]),
    "dataclass_from_file": ({"c.yaml": "model_name: gpt2\nr: 0\n", "train.py": """
        from dataclasses import dataclass
        import yaml
        from peft import LoraConfig

        @dataclass
        class TrainConfig:
            model_name: str
            r: int = 16

        cfg = TrainConfig(**yaml.safe_load(open("c.yaml")))
        LoraConfig(r=cfg.r)
    """}, [("LOR201", 11, "value of key r in c.yaml")]),
    "dataclass_field_not_in_file": ({"c.yaml": "model_name: gpt2\n", "train.py": """
        from dataclasses import dataclass
        import yaml
        from peft import LoraConfig

        @dataclass
        class TrainConfig:
            model_name: str
            r: int = 0

        cfg = TrainConfig(**yaml.safe_load(open("c.yaml")))
        LoraConfig(r=cfg.r)
    """}, [("LOR201", 8, "default of TrainConfig.r")]),
    "pydantic_from_file": ({"c.yaml": "model_name: gpt2\nr: 0\n", "train.py": """
        import yaml
        from pydantic import BaseModel
        from peft import LoraConfig

        class TrainConfig(BaseModel):
            model_name: str
            r: int = 16

        with open("c.yaml") as f:
            cfg = TrainConfig(**yaml.safe_load(f))
        LoraConfig(r=cfg.r)
    """}, [("LOR201", 11, "value of key r in c.yaml")]),
    "path_from_argparse_default": ({"configs/train.yaml": YAML_CONFIG, "train.py": """
        import argparse
        import yaml
        from peft import LoraConfig
        parser = argparse.ArgumentParser()
        parser.add_argument("--config", default="configs/train.yaml")
        args = parser.parse_args()
        with open(args.config) as f:
            cfg = yaml.safe_load(f)
        LoraConfig(r=cfg["lora"]["r"])
    """}, [("LOR201", 9, "configs/train.yaml, default of --config")]),
    "path_from_os_path_join": ({"configs/train.yaml": YAML_CONFIG, "train.py": """
        import os
        import yaml
        from peft import LoraConfig
        name = "train"
        with open(os.path.join("configs", f"{name}.yaml")) as f:
            cfg = yaml.safe_load(f)
        LoraConfig(r=cfg["lora"]["r"])
    """}, [("LOR201", 7, "value of key lora.r in configs/train.yaml")]),
    "helper_function": ({"configs/train.yaml": YAML_CONFIG, "train.py": """
        import yaml
        from peft import LoraConfig

        def load_config(path):
            with open(path) as f:
                return yaml.safe_load(f)

        cfg = load_config("configs/train.yaml")
        LoraConfig(r=cfg["lora"]["r"])
    """}, [("LOR201", 9, "value of key lora.r in configs/train.yaml")]),
    "helper_in_project_module": ({"configs/train.yaml": YAML_CONFIG, "settings.py": """
        import yaml

        def load_config(path="configs/train.yaml"):
            with open(path) as f:
                return yaml.safe_load(f)
    """, "train.py": """
        from peft import LoraConfig
        from settings import load_config
        cfg = load_config()
        LoraConfig(r=cfg["lora"]["r"])
    """}, [("LOR201", 4, "value of key lora.r in configs/train.yaml")]),
    "script_in_subdirectory": ({"configs/train.yaml": YAML_CONFIG, "scripts/train.py": """
        import yaml
        from peft import LoraConfig
        cfg = yaml.safe_load(open("configs/train.yaml"))
        LoraConfig(r=cfg["lora"]["r"])
    """}, [("LOR201", 4, "configs/train.yaml")]),
    "hf_parse_json_file": ({"args/qlora.json": json.dumps({
        "model_name_or_path": "meta-llama/Llama-2-7b-hf", "output_dir": "out"}), "train.py": """
        import argparse
        from dataclasses import dataclass, field
        from transformers import AutoModelForCausalLM, HfArgumentParser, TrainingArguments
        from peft import LoraConfig, get_peft_model

        @dataclass
        class ModelArguments:
            model_name_or_path: str = field(metadata={"help": "the base model"})
            lora_rank: int = 0

        parser = argparse.ArgumentParser()
        parser.add_argument("--train_args_file", default="args/qlora.json")
        train_args_file = parser.parse_args().train_args_file
        args, training_args = HfArgumentParser(
            (ModelArguments, TrainingArguments)).parse_json_file(json_file=train_args_file)
        model = AutoModelForCausalLM.from_pretrained(args.model_name_or_path)
        config = LoraConfig(r=args.lora_rank, target_modules=["q_proj", "c_attn"])
        model = get_peft_model(model, config)
    """}, [("LOR103", 17, "(value of key model_name_or_path in args/qlora.json, default of "
            "--train_args_file)"),
           ("LOR201", 9, "default of --lora_rank")]),   # reported at the field default
    # the file is named on the command line: the field's default, said to be one
    "hf_parse_yaml_file_unknown_path": ({"train.py": """
        import sys
        from dataclasses import dataclass
        from transformers import HfArgumentParser
        from peft import LoraConfig

        @dataclass
        class ModelArguments:
            lora_rank: int = 0

        (args,) = HfArgumentParser((ModelArguments,)).parse_yaml_file(sys.argv[1])
        LoraConfig(r=args.lora_rank)
    """}, [("LOR201", 8, "(default of --lora_rank)")]),
    "hf_parse_yaml_file_sets_the_field": ({"args.yaml": "lora_rank: 16\n", "train.py": """
        from dataclasses import dataclass
        from transformers import HfArgumentParser
        from peft import LoraConfig

        @dataclass
        class ModelArguments:
            lora_rank: int = 0

        (args,) = HfArgumentParser((ModelArguments,)).parse_yaml_file("args.yaml")
        LoraConfig(r=args.lora_rank)
    """}, []),
    "assignment_in_with_body_reaches_after": ({"train.py": """
        import contextlib
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model
        with contextlib.nullcontext():
            model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-7b-hf")
        get_peft_model(model, LoraConfig(target_modules=["q_proj", "c_attn"]))
    """}, [("LOR103", 6, "'c_attn' in target_modules")]),
    # -- unknown: silent ---------------------------------------------------------------------
    "missing_file": ({"train.py": """
        import yaml
        from peft import LoraConfig
        cfg = yaml.safe_load(open("configs/train.yaml"))
        LoraConfig(r=cfg["lora"]["r"])
    """}, []),
    "candidates_disagree": ({"configs/train.yaml": "lora:\n  r: 16\n",
                             "scripts/configs/train.yaml": YAML_CONFIG, "scripts/train.py": """
        import yaml
        from peft import LoraConfig
        cfg = yaml.safe_load(open("configs/train.yaml"))
        LoraConfig(r=cfg["lora"]["r"])
    """}, []),
    "unparsable_yaml": ({"configs/train.yaml": "lora: [r: 0\n  : -\n", "train.py": """
        import yaml
        from peft import LoraConfig
        cfg = yaml.safe_load(open("configs/train.yaml"))
        LoraConfig(r=cfg["lora"]["r"])
    """}, []),
    "python_tags_not_loaded": ({"configs/train.yaml": "lora: !!python/object:os.Nothing {r: 0}\n",
                                "train.py": """
        import yaml
        from peft import LoraConfig
        cfg = yaml.unsafe_load(open("configs/train.yaml"))
        LoraConfig(r=cfg["lora"]["r"])
    """}, []),
    "top_level_not_a_mapping": ({"configs/train.yaml": "- 0\n- 16\n", "train.py": """
        import yaml
        from peft import LoraConfig
        cfg = yaml.safe_load(open("configs/train.yaml"))
        LoraConfig(r=cfg[0])
    """}, []),
    "huge_file": ({"configs/train.yaml": "lora:\n  r: 0\n" + "# padding\n" * 40_000,
                   "train.py": """
        import yaml
        from peft import LoraConfig
        cfg = yaml.safe_load(open("configs/train.yaml"))
        LoraConfig(r=cfg["lora"]["r"])
    """}, []),
    "changed_after_loading": ({"configs/train.yaml": YAML_CONFIG, "train.py": """
        import sys
        import yaml
        from peft import LoraConfig
        cfg = yaml.safe_load(open("configs/train.yaml"))
        cfg["lora"]["r"] = int(sys.argv[1])
        LoraConfig(r=cfg["lora"]["r"])
    """}, []),
    "updated_after_loading": ({"cfg.json": json.dumps({"alpha": 32}), "train.py": """
        import json
        import sys
        from peft import LoraConfig
        cfg = json.load(open("cfg.json"))
        cfg.update(json.loads(sys.argv[1]))
        LoraConfig(r=cfg.get("rank", 0))
    """}, []),
    "handed_to_a_function_that_may_change_it": ({"configs/train.yaml": YAML_CONFIG, "train.py": """
        import sys
        import yaml
        from peft import LoraConfig

        def apply_overrides(config, argv):
            config["lora"]["r"] = int(argv[1])

        cfg = yaml.safe_load(open("configs/train.yaml"))
        print(cfg)
        apply_overrides(cfg, sys.argv)
        LoraConfig(r=cfg["lora"]["r"])
    """}, []),
    "only_logged": ({"configs/train.yaml": YAML_CONFIG, "train.py": """
        import json
        import logging
        import yaml
        from peft import LoraConfig
        logger = logging.getLogger(__name__)
        cfg = yaml.safe_load(open("configs/train.yaml"))
        logger.info("config: %s", json.dumps(cfg))
        print(len(cfg))
        LoraConfig(r=cfg["lora"]["r"])
    """}, [("LOR201", 9, "value of key lora.r in configs/train.yaml")]),
    "changed_before_the_read_by_a_helper": ({"configs/train.yaml": YAML_CONFIG, "train.py": """
        import yaml
        from peft import LoraConfig

        def tweak(section):
            section["r"] = 16

        def main():
            cfg = yaml.safe_load(open("configs/train.yaml"))
            tweak(cfg["lora"])
            LoraConfig(r=cfg["lora"]["r"])
    """}, []),
    "changed_in_a_loop": ({"configs/train.yaml": YAML_CONFIG, "train.py": """
        import yaml
        from peft import LoraConfig
        cfg = yaml.safe_load(open("configs/train.yaml"))
        for rank in (0, 8):
            LoraConfig(r=cfg["lora"]["r"])
            cfg["lora"]["r"] = 16
    """}, []),
    "relative_path_resolved_against_cwd": ({"configs/train.yaml": YAML_CONFIG, "train.py": """
        from pathlib import Path
        import yaml
        from peft import LoraConfig
        cfg = yaml.safe_load(open(Path("configs").resolve() / "train.yaml"))
        LoraConfig(r=cfg["lora"]["r"])
    """}, []),
    "opened_for_writing": ({"cfg.json": json.dumps({"rank": 0}), "train.py": """
        import json
        from peft import LoraConfig
        with open("cfg.json", "w+") as f:
            cfg = json.load(f)
        LoraConfig(r=cfg["rank"])
    """}, []),
    "handle_rebound_in_with": ({"cfg.json": json.dumps({"rank": 0}),
                                "other.json": json.dumps({"rank": 16}), "train.py": """
        import json
        from peft import LoraConfig
        with open("cfg.json") as f:
            f = open("other.json")
            cfg = json.load(f)
        LoraConfig(r=cfg["rank"])
    """}, []),
    "object_hook": ({"cfg.json": json.dumps({"rank": 0}), "train.py": """
        import json
        from types import SimpleNamespace
        from peft import LoraConfig
        cfg = json.load(open("cfg.json"), object_hook=lambda d: SimpleNamespace(**d))
        LoraConfig(r=cfg["rank"])
    """}, []),
    "assignment_under_pytest_raises": ({"train.py": """
        import pytest
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model
        model = AutoModelForCausalLM.from_pretrained("gpt2")
        with pytest.raises(ValueError):
            model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-7b-hf")
        get_peft_model(model, LoraConfig(target_modules=["c_attn"]))
    """}, []),
    "pydantic_coerces_the_value": ({"c.yaml": "r: '0'\n", "train.py": """
        import yaml
        from pydantic import BaseModel
        from peft import LoraConfig

        class TrainConfig(BaseModel):
            r: int = 16

        cfg = TrainConfig(**yaml.safe_load(open("c.yaml")))
        LoraConfig(r=cfg.r)
    """}, []),
    "pydantic_with_a_validator": ({"c.yaml": "r: 0\n", "train.py": """
        import yaml
        from pydantic import BaseModel, field_validator
        from peft import LoraConfig

        class TrainConfig(BaseModel):
            r: int = 16

            @field_validator("r")
            @classmethod
            def at_least_one(cls, value):
                return max(value, 1)

        cfg = TrainConfig(**yaml.safe_load(open("c.yaml")))
        LoraConfig(r=cfg.r)
    """}, []),
    # OmegaConf's own YAML reading: an exponent without a dot is a float (PyYAML: a string),
    # dates stay strings (the rest of the file stays known), a repeated key stops the program
    "omegaconf_exponent_without_dot": ({"conf.yaml": "lora:\n  dropout: 2e0\n", "train.py": """
        from omegaconf import OmegaConf
        from peft import LoraConfig
        cfg = OmegaConf.load("conf.yaml")
        LoraConfig(lora_dropout=cfg.lora.dropout)
    """}, [("LOR202", 4, "value of key lora.dropout in conf.yaml")]),
    "pyyaml_exponent_without_dot_is_a_string": ({"conf.yaml": "lora:\n  dropout: 2e0\n", "train.py": """
        import yaml
        from peft import LoraConfig
        cfg = yaml.safe_load(open("conf.yaml"))
        LoraConfig(lora_dropout=cfg["lora"]["dropout"])
    """}, []),
    "omegaconf_dates_stay_strings": ({"conf.yaml": "created: 2024-05-01\nlora:\n  r: 0\n", "train.py": """
        from omegaconf import OmegaConf
        from peft import LoraConfig
        cfg = OmegaConf.load("conf.yaml")
        LoraConfig(r=cfg.lora.r)
    """}, [("LOR201", 4, "value of key lora.r in conf.yaml")]),
    "omegaconf_repeated_key": ({"conf.yaml": "lora:\n  r: 8\n  r: 0\n", "train.py": """
        from omegaconf import OmegaConf
        from peft import LoraConfig
        cfg = OmegaConf.load("conf.yaml")
        LoraConfig(r=cfg.lora.r)
    """}, []),
    "omegaconf_interpolation": ({"conf.yaml": "base: 0\nlora:\n  r: ${base}\n", "train.py": """
        from omegaconf import OmegaConf
        from peft import LoraConfig
        cfg = OmegaConf.load("conf.yaml")
        LoraConfig(r=cfg.lora.r)
    """}, []),
}


def _program(files: Files) -> str:
    return next((name for name in ("scripts/train.py", "src/train/train.py") if name in files),
                "train.py")


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("config_files")
    for name, (files, _) in CASES.items():
        project = root / name
        project.mkdir()
        (project / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
        for relative, text in files.items():
            path = project / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            body = textwrap.dedent(text).lstrip("\n") if relative.endswith(".py") else text
            path.write_text(body, encoding="utf-8")
    return root


def _cli(paths: List[Path], *extra: str, cwd: Path) -> List[dict]:
    result = subprocess.run(
        [sys.executable, "-m", "lora_lint_plugin", "check", "--isolated", "--output-format=json",
         "-j", "1", *extra, *map(str, paths)], capture_output=True, text=True, timeout=300, cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def cli_report(projects: Path) -> Dict[str, List[dict]]:
    programs = [projects / name / _program(files) for name, (files, _) in CASES.items()]
    by_case: Dict[str, List[dict]] = {}
    for item in _cli(programs, cwd=projects):
        case = Path(item["filename"]).resolve().relative_to(projects.resolve()).parts[0]
        by_case.setdefault(case, []).append(item)
    return by_case


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_reports_values_from_config_files(name: str, cli_report: dict) -> None:
    expected = CASES[name][1]
    found = [(item["code"], item["location"]["row"], item["message"])
             for item in cli_report.get(name, []) if item["code"] != "LOR506"]
    assert sorted((code, row) for code, row, _ in found) == sorted(
        (code, row) for code, row, _ in expected), found
    for code, row, text in expected:
        assert any(c == code and r == row and text in message for c, r, message in found), \
            (text, found)


@pytest.mark.parametrize("name", ["yaml_with_open", "hf_parse_json_file", "missing_file",
                                  "omegaconf_attributes"])
def test_flake8_agrees_with_the_cli(name: str, projects: Path, cli_report: dict) -> None:
    program = projects / name / _program(CASES[name][0])
    result = run_flake8(program, "--select=LOR", cwd=program.parent)
    assert "Traceback" not in result.stderr, result.stderr
    from_flake8 = sorted((int(line.split(":")[1]), line.split(":", 3)[3].split()[0])
                         for line in result.stdout.splitlines())
    assert from_flake8 == sorted((item["location"]["row"], item["code"])
                                 for item in cli_report.get(name, []))


def test_config_files_are_second_tier(projects: Path) -> None:
    """The setting that turns the second tier off turns config files off too."""
    program = projects / "yaml_with_open" / "train.py"
    assert [item["code"] for item in _cli([program], cwd=program.parent)] == ["LOR201"]
    assert _cli([program], "--no-resolve-defaults", cwd=program.parent) == []
    result = run_flake8(program, "--select=LOR", "--lora-lint-resolve-defaults=false")
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_agreeing_candidates_resolve(tmp_path: Path) -> None:
    """The same file contents in two candidate directories: whichever runs, the value is known."""
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    for folder in (tmp_path / "configs", tmp_path / "scripts" / "configs"):
        folder.mkdir(parents=True)
        (folder / "train.yaml").write_text(YAML_CONFIG, encoding="utf-8")
    program = tmp_path / "scripts" / "train.py"
    program.write_text(textwrap.dedent(CASES["candidates_disagree"][0]["scripts/train.py"]),
                       encoding="utf-8")
    assert [item["code"] for item in _cli([program], cwd=tmp_path)] == ["LOR201"]


def test_changed_config_file_is_read_again(tmp_path: Path) -> None:
    """Parsed once per version of the file: an edited config gives its new value."""
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    config = tmp_path / "cfg.json"
    config.write_text(json.dumps({"rank": 0}), encoding="utf-8")
    program = tmp_path / "train.py"
    program.write_text(textwrap.dedent(CASES["json_load_open"][0]["train.py"]), encoding="utf-8")
    assert [item["code"] for item in _cli([program], cwd=tmp_path)] == ["LOR201"]
    config.write_text(json.dumps({"rank": 16}), encoding="utf-8")
    assert _cli([program], cwd=tmp_path) == []


def test_yaml_alias_bomb_is_unknown(tmp_path: Path) -> None:
    """Aliases that expand a small file into billions of items: unknown, quickly."""
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 9):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    lines.append("lora:\n  r: 0")
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    program = tmp_path / "train.py"
    program.write_text(textwrap.dedent(CASES["unparsable_yaml"][0]["train.py"]).replace(
        "configs/train.yaml", "bomb.yaml"), encoding="utf-8")
    assert _cli([program], cwd=tmp_path) == []
