"""The key lists of YAML trainer configs: derived statically from the tools' sources
(``dev/derive_config_keys.py``, run here on small source trees written like each tool's), and
the bundled data the rules read."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict

import pytest

from lora_lint_plugin.catalog.config_keys import format_keys

from .conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "dev" / "derive_config_keys.py"


def _write_tree(root: Path, files: Dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


AXOLOTL = {
    "VERSION": "9.9.0\n",
    "src/axolotl/__init__.py": "",
    "src/axolotl/utils/schemas/peft.py": """
        from pydantic import BaseModel, Field
        class LoraConfig(BaseModel):
            lora_r: int | None = None
            lora_modules_to_save: list[str] | None = Field(default=None)
            peft_use_dora: bool | None = Field(default=None, alias="use_dora")
    """,
    "src/axolotl/utils/schemas/config.py": """
        from typing import ClassVar
        from pydantic import BaseModel, Field
        from axolotl.utils.schemas.peft import LoraConfig
        class AxolotlInputConfig(LoraConfig, BaseModel):
            model_config = {"populate_by_name": True}
            _private: int = 0
            registry: ClassVar[dict] = {}
            base_model: str
            sequence_len: int = 512
    """,
    "src/axolotl/integrations/liger/__init__.py": """
        from .args import LigerArgs
        class LigerPlugin:
            def get_input_args(self):
                return "axolotl.integrations.liger.LigerArgs"
    """,
    "src/axolotl/integrations/liger/args.py": """
        from pydantic import BaseModel
        class LigerArgs(BaseModel):
            liger_rope: bool | None = None
    """,
}

TRANSFORMERS = {
    "src/transformers/__init__.py": "_import_structure = {'training_args': ['TrainingArguments']}\n",
    "src/transformers/training_args.py": """
        from dataclasses import dataclass, field
        @dataclass
        class TrainingArguments:
            output_dir: str = None
            learning_rate: float = 5e-5
            _n_gpu: int = field(init=False, default=-1)
            distributed_state: object = field(init=False, default=None)
    """,
    "src/transformers/training_args_seq2seq.py": """
        from dataclasses import dataclass
        from .training_args import TrainingArguments
        @dataclass
        class Seq2SeqTrainingArguments(TrainingArguments):
            predict_with_generate: bool = False
    """,
}

LLAMA_FACTORY = {
    "src/llamafactory/__init__.py": "",
    "src/llamafactory/extras/env.py": 'VERSION = "0.9.9"\n',
    "src/llamafactory/hparams/model_args.py": """
        from dataclasses import dataclass
        class NotADataclass:
            ignored_annotation: int = 0
        @dataclass
        class ModelArguments(NotADataclass):
            model_name_or_path: str = None
    """,
    "src/llamafactory/hparams/training_args.py": """
        from dataclasses import dataclass
        from transformers import Seq2SeqTrainingArguments
        try:
            from mcore_adapter import Seq2SeqTrainingArguments as McaArguments
            BaseTrainingArguments = McaArguments
        except ImportError:
            BaseTrainingArguments = Seq2SeqTrainingArguments
        @dataclass
        class TrainingArguments(BaseTrainingArguments):
            ray_run_name: str = None
    """,
    "src/llamafactory/hparams/parser.py": """
        from .model_args import ModelArguments
        from .training_args import TrainingArguments
        _TRAIN_ARGS = [ModelArguments, TrainingArguments]
    """,
}

TRL = {
    "VERSION": "1.99.0\n",
    "trl/__init__.py": """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from .trainer.sft_config import SFTConfig
            from .scripts.utils import ScriptArguments, TrlParser
    """,
    "trl/trainer/sft_config.py": """
        from dataclasses import dataclass
        from transformers import TrainingArguments
        @dataclass
        class SFTConfig(TrainingArguments):
            max_length: int = 1024
    """,
    "trl/scripts/utils.py": """
        from dataclasses import dataclass
        @dataclass
        class ScriptArguments:
            dataset_name: str = None
        class TrlParser:
            pass
    """,
    "trl/scripts/sft.py": """
        def make_parser():
            from trl import ScriptArguments, SFTConfig, TrlParser
            dataclass_types = (ScriptArguments, SFTConfig)
            return TrlParser(dataclass_types)
    """,
}

ACCELERATE = {
    "commands/launch.py": """
        def launch_command_parser(parser):
            parser.add_argument("--num_processes", type=int)
            parser.add_argument("-m", "--module", action="store_true")
    """,
}


def test_keys_are_derived_from_sources_without_importing_them(tmp_path: Path) -> None:
    trees = {name: _write_tree(tmp_path / name, files) for name, files in (
        ("axolotl", AXOLOTL), ("transformers", TRANSFORMERS), ("llama-factory", LLAMA_FACTORY),
        ("trl", TRL), ("accelerate", ACCELERATE))}
    output = tmp_path / "config_keys.json"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--axolotl", str(trees["axolotl"]),
         "--llamafactory", str(trees["llama-factory"]), "--trl", str(trees["trl"]),
         "--transformers", f"{trees['transformers']}=5.0.0",
         "--accelerate", f"{trees['accelerate']}=1.0.0", "-o", str(output)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    formats = json.loads(output.read_text())["formats"]

    axolotl = formats["axolotl"]["versions"][0]
    assert axolotl["version"] == "9.9.0"
    # fields of the class and its bases, pydantic aliases; no private, ClassVar or model_config
    assert axolotl["keys"] == ["base_model", "lora_modules_to_save", "lora_r", "peft_use_dora",
                               "sequence_len", "use_dora"]
    assert axolotl["plugin_keys"] == {"axolotl.integrations.liger": ["liger_rope"]}

    llama_factory = formats["llama-factory"]["versions"][0]
    assert llama_factory["version"] == "0.9.9"
    # init fields only; a non-dataclass base adds nothing; the base chosen by a condition is
    # the one whose source is there (transformers', through the lazy package)
    assert llama_factory["keys"] == ["learning_rate", "model_name_or_path", "output_dir",
                                     "predict_with_generate", "ray_run_name"]
    assert llama_factory["unresolved"] == []

    trl = formats["trl"]["versions"][0]
    assert trl["version"] == "1.99.0"
    assert trl["commands"] == {"sft": ["ScriptArguments", "SFTConfig"]}
    assert trl["keys"] == ["dataset_name", "env", "learning_rate", "max_length", "output_dir"]
    assert trl["launcher_keys"] == ["module", "num_processes"]


@pytest.mark.parametrize("config_format, key", [
    ("axolotl", "lora_modules_to_save"), ("axolotl", "embedding_lr_scale"),
    ("axolotl", "liger_rope"),  # a plugin's key
    ("llama-factory", "lora_target"), ("llama-factory", "overwrite_output_dir"),
    ("llama-factory", "deepspeed"),  # transformers' TrainingArguments
    ("trl", "use_peft"), ("trl", "max_seq_length"),  # SFTConfig before TRL 0.20
    ("trl", "num_processes"),  # forwarded to accelerate launch
])
def test_bundled_lists_know_the_keys_each_tool_documents(config_format: str, key: str) -> None:
    keys = format_keys(config_format)
    assert keys is not None and keys.knows(key)


@pytest.mark.parametrize("config_format, misspelt, closest", [
    ("axolotl", "lora_targt_modules", "lora_target_modules"),
    ("axolotl", "context_parapllel_size", "context_parallel_size"),
    ("llama-factory", "lora_rnak", "lora_rank"),
    ("trl", "gradient_checkpointng", "gradient_checkpointing"),
])
def test_closest_key_is_suggested(config_format: str, misspelt: str, closest: str) -> None:
    keys = format_keys(config_format)
    assert keys is not None and not keys.knows(misspelt)
    assert keys.closest(misspelt)[0] == closest


def test_every_version_names_its_source() -> None:
    data = json.loads((REPO_ROOT / "lora_lint_plugin" / "catalog" / "data" / "config_keys.json")
                      .read_text(encoding="utf-8"))
    for config_format, facts in data["formats"].items():
        assert len(facts["versions"]) >= 2, config_format
        for entry in facts["versions"]:
            assert entry["source"] and entry["version"], (config_format, entry)
            assert len(entry["keys"]) > 200, (config_format, entry["version"])
