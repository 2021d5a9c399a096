"""Values a script imports from the other modules of its project (``analysis/modules.py``).

Real multi-file projects written to disk, checked through the ``lora-lint`` console script and
flake8 (subprocesses). The finding used throughout: LOR103, a target module the model does not
have, which needs the model id and the target list, so it appears only when both resolve.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

from .conftest import dedent, flake8_codes
from .test_cli import check_json, literal_position, lora_lint, write

LLAMA = '"meta-llama/Meta-Llama-3-8B"'

SCRIPT_IMPORTING_CONSTANT = dedent("""
    from transformers import AutoModelForCausalLM
    from peft import LoraConfig, get_peft_model
    from config import MODEL_NAME

    model = AutoModelForCausalLM.from_pretrained(MODEL_NAME)
    model = get_peft_model(model, LoraConfig(r=8, target_modules=["c_attn"]))
""")


def project(tmp_path: Path, files: Dict[str, str]) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for name, text in files.items():
        write(root / name, dedent(text))
    return root


def lor103(root: Path, relative: str) -> List[Tuple[int, str]]:
    """(row, message) of LOR103 from the CLI; flake8 reports the same rows."""
    _, items = check_json(root, "--isolated", "--select", "LOR103", relative)
    found = sorted((item["location"]["row"], item["message"]) for item in items)
    flake8_rows = sorted(row for row, _, _ in flake8_codes(root / relative, "--select=LOR103"))
    assert flake8_rows == [row for row, _ in found]
    return found


def test_a_constant_imported_from_a_sibling_module_is_the_model_id(tmp_path: Path) -> None:
    root = project(tmp_path, {"config.py": f"MODEL_NAME = {LLAMA}\n",
                              "train.py": SCRIPT_IMPORTING_CONSTANT})
    found = lor103(root, "train.py")
    assert [row for row, _ in found] == [6]
    assert "meta-llama/Meta-Llama-3-8B" in found[0][1]


def test_the_module_is_found_from_the_directories_above_the_script(tmp_path: Path) -> None:
    root = project(tmp_path, {"config.py": f"MODEL_NAME = {LLAMA}\n",
                              "scripts/train.py": SCRIPT_IMPORTING_CONSTANT})
    assert [row for row, _ in lor103(root, "scripts/train.py")] == [6]


def test_unknown_modules_stay_silent(tmp_path: Path) -> None:
    """No such module (a library's name), a module that does not parse, a module bound
    twice, two modules of that name at different levels, an import cycle: unknown."""
    root = project(tmp_path, {
        "missing/train.py": SCRIPT_IMPORTING_CONSTANT,
        "broken/config.py": f"MODEL_NAME = {LLAMA}\ndef (:\n",
        "broken/train.py": SCRIPT_IMPORTING_CONSTANT,
        "rebound/config.py": f"MODEL_NAME = {LLAMA}\nMODEL_NAME = input()\n",
        "rebound/train.py": SCRIPT_IMPORTING_CONSTANT,
        "config.py": f"MODEL_NAME = {LLAMA}\n",
        "twice/config.py": f"MODEL_NAME = {LLAMA}\n",
        "twice/scripts/train.py": SCRIPT_IMPORTING_CONSTANT,
        "cycle/config.py": "from other import MODEL_NAME\n",
        "cycle/other.py": "from config import MODEL_NAME\n",
        "cycle/train.py": SCRIPT_IMPORTING_CONSTANT,
    })
    (root / "config.py").unlink()
    for script in ("missing/train.py", "broken/train.py", "rebound/train.py", "cycle/train.py"):
        assert lor103(root, script) == [], script
    write(root / "config.py", f"MODEL_NAME = {LLAMA}\n")
    assert lor103(root, "twice/scripts/train.py") == []   # twice/config.py or ./config.py?


def test_package_relative_imports_and_dataclass_defaults_of_another_module(tmp_path: Path) -> None:
    """``from .args import ModelArguments`` (parsed by HfArgumentParser) whose field default
    is a constant another module re-exports: the default, named in the message."""
    root = project(tmp_path, {
        "app/__init__.py": "",
        "app/constants.py": f"BASE = {LLAMA}\n",
        "app/defaults.py": "from .constants import BASE as DEFAULT_MODEL\n",
        "app/args.py": """
            from dataclasses import dataclass, field
            from .defaults import DEFAULT_MODEL

            @dataclass
            class ModelArguments:
                model_name_or_path: str = field(default=DEFAULT_MODEL)
                targets: str = "c_attn"
        """,
        "app/train.py": """
            from transformers import AutoModelForCausalLM, HfArgumentParser
            from peft import LoraConfig, get_peft_model
            from .args import ModelArguments

            (model_args,) = HfArgumentParser((ModelArguments,)).parse_args_into_dataclasses()
            model = AutoModelForCausalLM.from_pretrained(model_args.model_name_or_path)
            config = LoraConfig(r=8, target_modules=model_args.targets.split(","))
            model = get_peft_model(model, config)
        """,
    })
    found = lor103(root, "app/train.py")
    assert [row for row, _ in found] == [7]
    assert "default of --" in found[0][1]


def test_config_objects_and_modules_of_the_project(tmp_path: Path) -> None:
    root = project(tmp_path, {
        "settings.py": f"""
            MODEL = {LLAMA}

            class Config:
                BASE_MODEL = {LLAMA}
            cfg = Config()
        """,
        "by_instance.py": """
            from transformers import AutoModelForCausalLM
            from peft import LoraConfig, get_peft_model
            from settings import cfg

            model = AutoModelForCausalLM.from_pretrained(cfg.BASE_MODEL)
            model = get_peft_model(model, LoraConfig(r=8, target_modules=["c_attn"]))
        """,
        "by_module.py": """
            from transformers import AutoModelForCausalLM
            from peft import LoraConfig, get_peft_model
            import settings as s

            model = AutoModelForCausalLM.from_pretrained(s.MODEL)
            model = get_peft_model(model, LoraConfig(r=8, target_modules=["c_attn"]))
        """,
        "changed_here.py": """
            from transformers import AutoModelForCausalLM
            from peft import LoraConfig, get_peft_model
            from settings import cfg

            cfg.BASE_MODEL = input()
            model = AutoModelForCausalLM.from_pretrained(cfg.BASE_MODEL)
            model = get_peft_model(model, LoraConfig(r=8, target_modules=["c_attn"]))
        """,
    })
    assert [row for row, _ in lor103(root, "by_instance.py")] == [6]
    assert [row for row, _ in lor103(root, "by_module.py")] == [6]
    assert lor103(root, "changed_here.py") == []


def test_an_imported_value_is_reported_where_it_is_used_and_never_rewritten(tmp_path: Path) -> None:
    script = dedent("""
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model
        from config import MODEL_NAME, TARGETS

        model = AutoModelForCausalLM.from_pretrained(MODEL_NAME)
        model = get_peft_model(model, LoraConfig(r=8, target_modules=TARGETS))
    """)
    root = project(tmp_path, {"config.py": f"MODEL_NAME = {LLAMA}\nTARGETS = ['q_proj', 'c_attn']\n",
                              "train.py": script})
    _, items = check_json(root, "--isolated", "--select", "LOR103", "train.py")
    where = [(item["location"]["row"], item["location"]["column"]) for item in items]
    assert where == [literal_position(script, "TARGETS))")]
    before = {name: (root / name).read_bytes() for name in ("config.py", "train.py")}
    result = lora_lint("fix", "--isolated", "--unsafe-fixes", "train.py", cwd=root)
    assert result.returncode in (0, 1)
    assert {name: (root / name).read_bytes() for name in before} == before


def test_source_on_stdin_reads_no_module(tmp_path: Path) -> None:
    root = project(tmp_path, {"config.py": f"MODEL_NAME = {LLAMA}\n"})
    _, items = check_json(root, "--isolated", "--select", "LOR103", "-",
                          stdin=SCRIPT_IMPORTING_CONSTANT.encode())
    assert items == []


def test_functions_of_another_module_return_values_and_loaders(tmp_path: Path) -> None:
    """``from .loading import load_model`` then ``model, tok = load_model("org/x")``: the loader
    inside, read with this call's argument; a helper returning a value gives that value."""
    root = project(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/loading.py": """
            from transformers import AutoModelForCausalLM, AutoTokenizer

            ORG = "meta-llama"

            def model_id(size, org=ORG):
                return f"{org}/Meta-Llama-3-{size}"

            def load_model(name, four_bit=True):
                model = AutoModelForCausalLM.from_pretrained(name, load_in_4bit=four_bit)
                tokenizer = AutoTokenizer.from_pretrained(name)
                return model, tokenizer
        """,
        "pkg/by_loader.py": f"""
            from peft import LoraConfig, get_peft_model
            from .loading import load_model

            model, tokenizer = load_model({LLAMA})
            model = get_peft_model(model, LoraConfig(r=8, target_modules=["c_attn"]))
        """,
        "pkg/by_value.py": """
            from transformers import AutoModelForCausalLM
            from peft import LoraConfig, get_peft_model
            from pkg.loading import model_id

            model = AutoModelForCausalLM.from_pretrained(model_id("8B"))
            model = get_peft_model(model, LoraConfig(r=8, target_modules=["c_attn"]))
        """,
        "pkg/unknown_argument.py": """
            import sys
            from peft import LoraConfig, get_peft_model
            from .loading import load_model

            model, tokenizer = load_model(sys.argv[1])
            model = get_peft_model(model, LoraConfig(r=8, target_modules=["c_attn"]))
        """,
    })
    found = lor103(root, "pkg/by_loader.py")
    assert [row for row, _ in found] == [5]
    assert "meta-llama/Meta-Llama-3-8B" in found[0][1]
    assert [row for row, _ in lor103(root, "pkg/by_value.py")] == [6]
    assert lor103(root, "pkg/unknown_argument.py") == []


def test_a_loader_in_another_module_leaves_its_other_arguments_unknown(tmp_path: Path) -> None:
    """The loader stands at the helper's call; nothing about its other arguments (here
    ``use_gradient_checkpointing=True`` inside the helper) is reported in this file, and no
    fix edits the call."""
    root = project(tmp_path, {
        "loading.py": """
            from unsloth import FastLanguageModel

            def load(name="unsloth/llama-3-8b-bnb-4bit"):
                return FastLanguageModel.from_pretrained(model_name=name, max_seq_length=2048)
        """,
        "train.py": """
            from unsloth import FastLanguageModel
            from loading import load

            model, tokenizer = load()
            model = FastLanguageModel.get_peft_model(model, r=8, target_modules=["c_attn"])
        """,
    })
    _, items = check_json(root, "--isolated", "train.py")
    assert sorted(item["code"] for item in items) == ["LOR103"]
    before = (root / "train.py").read_bytes()
    lora_lint("fix", "--isolated", "--unsafe-fixes", "train.py", cwd=root)
    assert (root / "train.py").read_bytes() == before


def test_an_imported_dataclass_constructed_here(tmp_path: Path) -> None:
    """``cfg = TrainConfig()`` of an imported dataclass: its field defaults, unless this call
    passes the field (``TrainConfig(model_name="gpt2")``)."""
    root = project(tmp_path, {
        "conf.py": f"""
            from dataclasses import dataclass, field

            @dataclass
            class TrainConfig:
                model_name: str = {LLAMA}
                targets: list = field(default_factory=lambda: ["c_attn"])
        """,
        "train.py": """
            from transformers import AutoModelForCausalLM
            from peft import LoraConfig, get_peft_model
            from conf import TrainConfig

            cfg = TrainConfig()
            model = AutoModelForCausalLM.from_pretrained(cfg.model_name)
            model = get_peft_model(model, LoraConfig(r=8, target_modules=cfg.targets))
            other = TrainConfig(model_name="openai-community/gpt2")
            model = AutoModelForCausalLM.from_pretrained(other.model_name)
            model = get_peft_model(model, LoraConfig(r=8, target_modules=["c_attn"]))
        """,
    })
    found = lor103(root, "train.py")
    assert [row for row, _ in found] == [7]
    assert "default of TrainConfig.targets" in found[0][1]


def test_two_modules_of_one_directory_find_their_own_imports(tmp_path: Path) -> None:
    """``app/config.py`` re-exports the top-level ``config.py`` (``from config import ...``: its
    own name, so the module further up), while for any other module of ``app/`` that import is
    ``app/config.py`` or ``./config.py``, depending on how the program starts: unknown. One
    directory, two importers, two answers, in whichever order the analysis asks them."""
    root = project(tmp_path, {
        "config.py": f"MODEL_NAME = {LLAMA}\nTARGETS = ['c_attn']\nRANK = 8\n",
        "app/__init__.py": "",
        "app/config.py": "from config import MODEL_NAME, TARGETS, RANK\n",
        # asks for ``config`` itself first (ambiguous), then through ``app/config.py``
        "app/ambiguous_first.py": """
            from transformers import AutoModelForCausalLM
            from peft import LoraConfig, get_peft_model
            from config import RANK
            from .config import MODEL_NAME

            lora = LoraConfig(r=RANK, target_modules=["c_attn"])
            model = AutoModelForCausalLM.from_pretrained(MODEL_NAME)
            model = get_peft_model(model, lora)
        """,
        # reads ``app/config.py`` first, then asks for ``config`` itself (still ambiguous)
        "app/reexport_first.py": """
            from transformers import AutoModelForCausalLM
            from peft import LoraConfig, get_peft_model
            from .config import MODEL_NAME
            from config import TARGETS

            model = AutoModelForCausalLM.from_pretrained(MODEL_NAME)
            model = get_peft_model(model, LoraConfig(r=8, target_modules=TARGETS))
        """,
    })
    found = lor103(root, "app/ambiguous_first.py")
    assert [row for row, _ in found] == [6]
    assert "meta-llama/Meta-Llama-3-8B" in found[0][1]
    assert lor103(root, "app/reexport_first.py") == []


CONFIGS_MODULE = f"""
    import argparse

    PRESETS = {{"small": {{"model_name": {LLAMA}, "targets": ["c_attn"]}},
               "large": {{"model_name": "openai-community/gpt2", "targets": ["c_attn"]}}}}

    def get_config(name="small"):
        if name not in PRESETS:
            raise SystemExit(1)
        return PRESETS[name].copy()

    def parse_training_args():
        parser = argparse.ArgumentParser()
        parser.add_argument("--config", default="small", choices=["small", "large"])
        return parser.parse_args()
"""

PRESET_SCRIPT = """
    from transformers import AutoModelForCausalLM
    from peft import LoraConfig, get_peft_model
    from configs import get_config, parse_training_args

    args = parse_training_args()
    config = get_config(args.config)
    model = AutoModelForCausalLM.from_pretrained(config["model_name"])
    model = get_peft_model(model, LoraConfig(r=8, target_modules=config["targets"]))
"""


def test_an_imported_argument_parser_choosing_a_copied_preset(tmp_path: Path) -> None:
    """``args = parse_training_args()`` (a project function returning ``parser.parse_args()``)
    and ``get_config(args.config)`` returning ``PRESETS[name].copy()``: the option's default
    there picks the preset, and the findings say they rest on it. The command line that parser
    reads is this script's: its launcher's value wins (``large``: GPT-2, which has
    ``c_attn``), and a launcher's own parameter default is a default too."""
    root = project(tmp_path, {
        "default/configs.py": CONFIGS_MODULE, "default/train.py": PRESET_SCRIPT,
        "launched/configs.py": CONFIGS_MODULE, "launched/train.py": PRESET_SCRIPT,
        "launched/run.sh": "python train.py --config large\n",
        "parameter/configs.py": CONFIGS_MODULE, "parameter/train.py": PRESET_SCRIPT,
        "parameter/run.sh": 'SIZE="${2:-small}"  # small unless given\npython train.py --config $SIZE\n',
    })
    found = lor103(root, "default/train.py")
    assert [row for row, _ in found] == [6]   # the preset comes into this file there
    assert "meta-llama/Meta-Llama-3-8B" in found[0][1] and "(default of --config)" in found[0][1]
    assert lor103(root, "launched/train.py") == []
    found = lor103(root, "parameter/train.py")
    assert [row for row, _ in found] == [6]   # the preset comes into this file there
    assert "(default of $2 for --config in run.sh)" in found[0][1]


def test_a_model_object_imported_from_a_project_module(tmp_path: Path) -> None:
    """``from model import model`` where ``model.py`` loads it at its top level: that loader,
    standing at the use here (also when this file binds ``model`` again afterwards); silent
    when the module binds it twice or this file rebinds it before the use."""
    loading = f"""
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained({LLAMA})
    """
    script = """
        from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
        from model import model

        config = LoraConfig(r=8, target_modules=["c_attn"])
        model = prepare_model_for_kbit_training(model)
        model = get_peft_model(model, config)
    """
    root = project(tmp_path, {
        "plain/model.py": loading, "plain/finetune.py": script,
        "twice/model.py": loading + "\n    model = AutoModelForCausalLM.from_pretrained('openai-community/gpt2')\n",
        "twice/finetune.py": script,
        "rebound/model.py": loading,
        "rebound/finetune.py": script.replace("config = LoraConfig", "model = make()\n        config = LoraConfig"),
    })
    found = lor103(root, "plain/finetune.py")
    assert [row for row, _ in found] == [4]
    assert "meta-llama/Meta-Llama-3-8B" in found[0][1]
    assert lor103(root, "twice/finetune.py") == []
    assert lor103(root, "rebound/finetune.py") == []


def test_an_imported_name_rebound_in_a_function_is_not_the_import_there(tmp_path: Path) -> None:
    """``from config import MODEL_NAME, ...`` names the module's value in every scope that does
    not bind the name itself; a function that assigns it reads its own (unknown) value."""
    root = project(tmp_path, {
        "config.py": f"MODEL_NAME = {LLAMA}\nRANK = 8\nALPHA = 16\n",
        "train.py": """
            import sys
            from transformers import AutoModelForCausalLM
            from peft import LoraConfig, get_peft_model
            from config import RANK, ALPHA, MODEL_NAME

            def first():
                model = AutoModelForCausalLM.from_pretrained(MODEL_NAME)
                return get_peft_model(model, LoraConfig(r=RANK, target_modules=["c_attn"]))

            def second():
                MODEL_NAME = sys.argv[1]
                model = AutoModelForCausalLM.from_pretrained(MODEL_NAME)
                return get_peft_model(model, LoraConfig(r=RANK, target_modules=["c_attn"]))

            def third():
                model = AutoModelForCausalLM.from_pretrained(MODEL_NAME)
                return get_peft_model(model, LoraConfig(r=ALPHA, target_modules=["c_attn"]))
        """})
    assert [row for row, _ in lor103(root, "train.py")] == [8, 17]   # not second()'s load


def test_probes_for_project_files_answer_as_os_path(tmp_path: Path) -> None:
    """``sources.project.exists``/``is_file`` (which ask ``access`` before a ``stat`` that would
    raise for a missing path) answer as ``os.path.exists``/``isfile`` on every kind of entry."""
    import os

    from lora_lint_plugin.sources.project import exists, is_file

    (tmp_path / "module.py").write_text("X = 1\n", encoding="utf-8")
    (tmp_path / "package").mkdir()
    (tmp_path / "to_module.py").symlink_to(tmp_path / "module.py")
    (tmp_path / "to_package").symlink_to(tmp_path / "package")
    (tmp_path / "broken.py").symlink_to(tmp_path / "missing.py")
    paths = [str(tmp_path / name) for name in ("module.py", "package", "to_module.py", "to_package",
                                               "broken.py", "missing.py", "module.py/x", "")]
    paths.append(str(tmp_path / "a\x00b"))
    assert [exists(path) for path in paths] == [os.path.exists(path) for path in paths]
    assert [is_file(path) for path in paths] == [os.path.isfile(path) for path in paths]
    assert [exists(path) for path in paths[:6]] == [True, True, True, True, False, False]
