"""Library version pins the analysed code states, and LOR505 gated by them.

Through the real ``lora-lint`` console script and flake8 (subprocesses) on real files and
notebooks; the parsing helpers also directly, on the spellings met in public code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from lora_lint_plugin.analysis.versions import (
    VersionOrigin,
    VersionRange,
    TRACKED_LIBRARIES,
    install_line_pins,
    library_versions,
    requirement_pin,
)

from .conftest import dedent, flake8_codes, run_flake8
from .test_cli import check_json, lora_lint, out, write

SCRIPT = dedent("""
    from trl import SFTTrainer
    trainer = SFTTrainer(model=model, train_dataset=data, max_seq_length=512)
""")
REMOVED_LINE = 2   # the SFTTrainer line of SCRIPT (max_seq_length removed from it in TRL 0.13)


def notebook(first_cell: str, code: str = SCRIPT) -> str:
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": source.splitlines(keepends=True)} for source in (first_cell, code)]
    return json.dumps({"cells": cells, "metadata": {"language_info": {"name": "python"}},
                       "nbformat": 4, "nbformat_minor": 5}, indent=1)


def repository(tmp_path: Path) -> Path:
    """A repository root (``.git`` ends the walk up, so nothing above tmp_path is read)."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return root


def lor505(cwd: Path, name: str) -> List[Dict[str, Any]]:
    _, items = check_json(cwd, "--isolated", name)
    return [item for item in items if item["code"] == "LOR505"]


# -- notebooks: install lines ------------------------------------------------------------------

@pytest.mark.parametrize("install", [
    "!pip install trl==0.8.6\n",
    '%pip install -q -U "trl<0.12" peft transformers\n',
    "pip install -q trl[vllm]==0.9.6 accelerate\n",
    "!pip install -q 'trl~=0.11.0' && pip install peft\n",
    "!pip install git+https://github.com/huggingface/trl.git@v0.8.6\n",
    # an install command in a comment: the version the notebook was written for
    "!pip install -U trl peft\n# !pip install -qqq trl==0.7.1 --progress-bar off\n",
    "#%pip install 'trl<0.12'\n",
    # a pin that is stated but cannot be placed among releases: unknown, silent
    "!pip install git+https://github.com/huggingface/trl.git@3f2a9c1d\n",
    "!pip install 'trl>=0.9,<0.8'\n",
])
def test_notebook_pinning_old_trl_is_silent(tmp_path: Path, install: str):
    root = repository(tmp_path)
    write(root / "train.ipynb", notebook(install))
    assert lor505(root, "train.ipynb") == []


@pytest.mark.parametrize("install", [
    "!pip install trl\n",
    "!pip install -U trl peft\n",
    "# needs trl==0.8.6\n",                        # a comment that is no install command
    "!pip install trl<0.12\n",                      # unquoted: the shell redirects, trl is unpinned
    "!pip install git+https://github.com/huggingface/trl.git\n",   # main: current TRL
    "!pip install trl=0.8.6\n",                     # not a valid requirement: unknown
])
def test_notebook_without_a_readable_pin_reports(tmp_path: Path, install: str):
    root = repository(tmp_path)
    write(root / "train.ipynb", notebook(install))
    found = lor505(root, "train.ipynb")
    assert [(item["cell"], item["location"]["row"]) for item in found] == [(2, REMOVED_LINE)]
    assert "pinned" not in found[0]["message"]


def test_notebook_pin_with_the_removal_names_the_pin(tmp_path: Path):
    root = repository(tmp_path)
    write(root / "train.ipynb", notebook("!pip install -q trl==0.20.0\n"))
    [found] = lor505(root, "train.ipynb")
    assert "trl==0.20.0 pinned in this notebook at cell 1, line 1 removed it" in found["message"]


def test_notebook_active_install_line_wins_over_a_commented_one(tmp_path: Path):
    root = repository(tmp_path)
    write(root / "train.ipynb", notebook("# !pip install trl==0.8.6\n!pip install trl==0.21.0\n"))
    [found] = lor505(root, "train.ipynb")
    assert "trl==0.21.0 pinned in this notebook at cell 1, line 2 removed it" in found["message"]


def test_notebook_pin_in_a_later_cell_is_located_by_cell_and_row(tmp_path: Path):
    root = repository(tmp_path)
    write(root / "requirements.txt", "trl==0.8.6\n")   # the notebook's own install wins
    write(root / "train.ipynb", notebook("import os\n\n%pip install -q \\\n    'trl>=0.20'\n"))
    [found] = lor505(root, "train.ipynb")
    assert "trl>=0.20 pinned in this notebook at cell 1, line 3 removed it" in found["message"]


def test_notebook_next_to_a_requirements_file_cites_the_file_line(tmp_path: Path):
    root = repository(tmp_path)
    write(root / "requirements.txt", "peft\ntrl>=0.20\n")
    write(root / "train.ipynb", notebook("!pip install peft\n"))
    [found] = lor505(root, "train.ipynb")
    assert "trl>=0.20 pinned in requirements.txt:2 removed it" in found["message"]


def test_notebook_pin_wins_over_the_project(tmp_path: Path):
    root = repository(tmp_path)
    write(root / "requirements.txt", "trl>=0.20\n")
    write(root / "train.ipynb", notebook("!pip install trl==0.8.6\n"))
    assert lor505(root, "train.ipynb") == []


# -- scripts: project files ---------------------------------------------------------------------

def test_requirements_txt_pinning_old_trl_silences_cli_and_flake8(tmp_path: Path):
    root = repository(tmp_path)
    write(root / "requirements.txt", "# training\ntransformers==4.44.0\ntrl<0.12  # SFTTrainer API\n")
    path = write(root / "train.py", SCRIPT)
    assert lor505(root, "train.py") == []
    assert flake8_codes(path) == []


WITH_CONFIG = dedent("""
    from trl import SFTConfig, SFTTrainer
    trainer = SFTTrainer(model=model, args=SFTConfig(output_dir="out"), max_seq_length=512)
""")


def test_requirements_txt_with_the_removal_reports_and_names_it(tmp_path: Path):
    root = repository(tmp_path)
    write(root / "requirements.txt", "peft\ntrl>=0.20\n")
    path = write(root / "train.py", WITH_CONFIG)
    [found] = lor505(root, "train.py")
    assert "trl>=0.20 pinned in requirements.txt:2 removed it" in found["message"]
    assert found["fix"] is not None   # the new spelling exists in every allowed version
    result = run_flake8(path, "--select=LOR")
    assert "requirements.txt:2 removed it" in result.stdout


def test_pin_allowing_both_sides_reports_without_a_fix(tmp_path: Path):
    root = repository(tmp_path)
    write(root / "requirements-train.txt", "trl>=0.9\n")
    write(root / "train.py", WITH_CONFIG)
    [found] = lor505(root, "train.py")
    assert "trl>=0.9 pinned in requirements-train.txt:1" in found["message"]
    assert "breaks on upgrade" in found["message"]
    assert found["fix"] is None
    result = lora_lint("fix", "--isolated", "train.py", cwd=root)
    assert (root / "train.py").read_text(encoding="utf-8") == WITH_CONFIG, out(result)


@pytest.mark.parametrize("name, content", [
    ("pyproject.toml", '[project]\nname = "x"\ndependencies = ["peft>=0.10", "trl==0.8.6"]\n'),
    ("pyproject.toml", '[project]\nname = "x"\n[project.optional-dependencies]\n'
                       'train = ["trl~=0.11.0"]\n'),
    ("pyproject.toml", '[tool.poetry.dependencies]\npython = "^3.10"\ntrl = "^0.7.10"\n'),
    ("pyproject.toml", '[tool.poetry.dependencies]\ntrl = { version = "~0.8.6", extras = ["x"] }\n'),
    ("setup.py", 'from setuptools import setup\nsetup(name="x", install_requires=["trl==0.8.6"])\n'),
    ("setup.cfg", "[metadata]\nname = x\n[options]\ninstall_requires =\n    peft\n    trl<0.12\n"),
    ("environment.yml", "name: x\ndependencies:\n  - python=3.10\n  - pip\n  - pip:\n"
                        "    - trl==0.8.6\n"),
])
def test_project_file_in_a_parent_directory_pins_trl(tmp_path: Path, name: str, content: str):
    root = repository(tmp_path)
    write(root / name, content)
    path = write(root / "src" / "training" / "train.py", SCRIPT)
    assert lor505(root, "src/training/train.py") == []
    assert flake8_codes(path) == []


def test_nearest_project_file_wins(tmp_path: Path):
    root = repository(tmp_path)
    write(root / "requirements.txt", "trl==0.8.6\n")
    write(root / "v2" / "requirements.txt", "trl>=0.20\n")
    write(root / "v2" / "train.py", SCRIPT)
    [found] = lor505(root, "v2/train.py")
    assert "pinned in requirements.txt:1" in found["message"]


def test_pins_above_the_repository_root_are_not_read(tmp_path: Path):
    write(tmp_path / "requirements.txt", "trl==0.8.6\n")
    root = repository(tmp_path)
    write(root / "train.py", SCRIPT)
    assert len(lor505(root, "train.py")) == 1


@pytest.mark.parametrize("name, content", [
    ("pyproject.toml", "[project\ndependencies = ['trl==0.8.6'\n"),
    ("pyproject.toml", '[project]\ndependencies = "trl==0.8.6"\n'),
    ("setup.py", "setup(install_requires=['trl==0.8.6'\n"),
    ("setup.cfg", "install_requires = trl==0.8.6\n[options\n"),
    ("requirements.txt", "trl===\n\x00\xff-r other.txt\n"),
    ("requirements.txt", "trl==0.8.6; python_version < '3.0'\n"),   # for another Python
])
def test_unreadable_project_files_give_no_pin_and_never_crash(tmp_path: Path, name: str, content: str):
    root = repository(tmp_path)
    write(root / name, content)
    path = write(root / "train.py", SCRIPT)
    found = lor505(root, "train.py")
    assert len(found) == 1 and "pinned" not in found[0]["message"]
    result = run_flake8(path, "--select=LOR")
    assert "Traceback" not in result.stderr and result.stdout.count("LOR505") == 1


@pytest.mark.parametrize("content", [
    "trl>=0.8,<0.5\n",                                            # allows nothing
    "trl @ git+https://github.com/huggingface/trl@9a1b2c3d4e5f\n",  # a commit
])
def test_pins_that_cannot_be_ordered_are_unknown_and_silent(tmp_path: Path, content: str):
    root = repository(tmp_path)
    write(root / "requirements.txt", content)
    path = write(root / "train.py", SCRIPT)
    assert lor505(root, "train.py") == []
    assert flake8_codes(path) == []


def test_pin_under_a_marker_that_holds_applies(tmp_path: Path):
    root = repository(tmp_path)
    write(root / "requirements.txt", "trl==0.8.6 ; python_version >= '3.8'\n")
    path = write(root / "train.py", SCRIPT)
    assert lor505(root, "train.py") == []
    assert flake8_codes(path) == []


def test_install_command_in_a_script_comment_pins_trl(tmp_path: Path):
    root = repository(tmp_path)
    write(root / "requirements.txt", "trl>=0.20\n")    # the file's own statement wins
    path = write(root / "train.py", "# pip install trl==0.8.6 peft\n" + SCRIPT)
    assert lor505(root, "train.py") == []
    assert flake8_codes(path) == []
    write(root / "new.py", "# !pip install 'trl>=0.20'\n" + SCRIPT)
    [found] = lor505(root, "new.py")
    assert "trl>=0.20 pinned in a comment of this file at line 1 removed it" in found["message"]


def test_script_metadata_pins_trl(tmp_path: Path):
    root = repository(tmp_path)
    header = '# /// script\n# dependencies = [\n#   "trl==0.8.6",\n# ]\n# ///\n'
    write(root / "train.py", header + SCRIPT)
    write(root / "new.py", header.replace("==0.8.6", ">=0.20") + SCRIPT)
    assert lor505(root, "train.py") == []
    [found] = lor505(root, "new.py")
    assert "trl>=0.20 pinned in this file's script metadata at line 3 removed it" in found["message"]


# -- scripts run by a notebook ------------------------------------------------------------------

def launching_notebook(command: str, install: str = '%pip install "trl==0.8.6" peft\n') -> str:
    return notebook(install, command)


@pytest.mark.parametrize("command", [
    "!ACCELERATE_USE_FSDP=1 torchrun --nproc_per_node=4 ./scripts/train.py --config x.yaml\n",
    "!python scripts/train.py\n",
    "!accelerate launch --num_processes 2 scripts/train.py && echo done\n",
    "%run scripts/train.py\n",
    "!python -m scripts.train\n",
    "%%writefile scripts/train.py\nfrom trl import SFTTrainer\n",
])
def test_script_run_by_a_notebook_follows_the_notebook_pins(tmp_path: Path, command: str):
    root = repository(tmp_path)
    write(root / "train.ipynb", launching_notebook(command))
    path = write(root / "scripts" / "train.py", SCRIPT)
    assert lor505(root, "scripts/train.py") == []
    assert flake8_codes(path) == []


def test_notebook_pins_win_over_the_project_and_are_named(tmp_path: Path):
    root = repository(tmp_path)
    write(root / "requirements.txt", "trl==0.8.6\n")
    write(root / "run.ipynb", launching_notebook("!python scripts/train.py\n",
                                                 "!pip install trl>=0.20\n!pip install 'trl==0.21.0'\n"))
    write(root / "scripts" / "train.py", SCRIPT)
    [found] = lor505(root, "scripts/train.py")
    assert ("trl==0.21.0 pinned in ../run.ipynb, the notebook that runs this script removed it"
            in found["message"])


def test_a_notebook_that_runs_another_script_does_not_apply(tmp_path: Path):
    root = repository(tmp_path)
    write(root / "run.ipynb", launching_notebook("!python scripts/other.py\n"))
    write(root / "scripts" / "train.py", SCRIPT)
    assert len(lor505(root, "scripts/train.py")) == 1


# -- LOR503 under the pinned TRL ------------------------------------------------------------------

ADAPTED_WITH_CONFIG = dedent("""
    from peft import LoraConfig, get_peft_model
    from trl import {trainer}
    from transformers import AutoModelForCausalLM
    config = LoraConfig(r=16, target_modules=["q_proj", "v_proj"])
    model = get_peft_model(AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-0.5B"), config)
    trainer = {trainer}(model=model, peft_config=config)
""")


@pytest.mark.parametrize("pin, trainer, reported", [
    ("trl==0.8.6", "SFTTrainer", False),     # SFTTrainer ignored peft_config for a PeftModel
    ("trl~=0.19.0", "SFTTrainer", False),
    ("trl==0.20.0", "SFTTrainer", True),     # wraps the model a second time
    ("trl>=0.15", "SFTTrainer", True),
    ("trl==0.8.6", "DPOTrainer", True),      # DPOTrainer merged the adapter
    ("peft", "SFTTrainer", True),            # TRL not pinned: current TRL raises
])
def test_lor503_follows_the_pinned_trl(tmp_path: Path, pin: str, trainer: str, reported: bool):
    root = repository(tmp_path)
    write(root / "requirements.txt", pin + "\n")
    path = write(root / "train.py", ADAPTED_WITH_CONFIG.format(trainer=trainer))
    _, items = check_json(root, "--isolated", "--select", "LOR503", "train.py")
    assert len(items) == int(reported)
    codes = [code for _, _, code in flake8_codes(path, "--select=LOR503")]
    assert codes == (["LOR503"] if reported else [])
    if reported and pin.startswith("trl==") and trainer == "SFTTrainer":
        assert f"{pin} pinned in requirements.txt:1 no longer ignores it" in items[0]["message"]


# -- the parsing helpers --------------------------------------------------------------------------

HERE = VersionOrigin("this notebook", 1, in_file=True)


@pytest.mark.parametrize("line, expected", [
    ("!pip install -q -U trl==0.8.6 peft>=0.10 transformers", {"trl": "==0.8.6"}),
    ('%pip install "trl[vllm]==0.9.6" "peft==0.11.1" --progress-bar off',
     {"trl": "==0.9.6", "peft": "==0.11.1"}),
    ("pip install --index-url https://x/simple trl~=0.8.0", {"trl": "~=0.8.0"}),
    ("!python -m pip install 'transformers<4.46' 'accelerate==0.30.1'",
     {"transformers": "<4.46", "accelerate": "==0.30.1"}),
    ("!pip install -r requirements.txt trl==0.8.6", {"trl": "==0.8.6"}),
    ("!pip install trl=={TRL_VERSION}", {}),
    ("!pip install datasets trl>=0.9", {}),           # redirected by the shell
    ("!pip uninstall -y trl==0.8.6", {}),
    ("!conda install trl=0.8.6", {}),
    ("!pip install 'unterminated", {}),
    ("!pip install unsloth[colab-new]@git+https://github.com/unslothai/unsloth.git", {}),
])
def test_install_line_pins(line: str, expected: Dict[str, str]):
    pins = install_line_pins(line, HERE)
    assert {pin.library: str(pin.specifier) for pin in pins} == expected


@pytest.mark.parametrize("specifier, before_0_13, any_before_0_13", [
    ("==0.12.2", True, True),
    ("<0.13", True, True),
    ("<=0.13", False, True),
    ("~=0.12.1", True, True),        # >=0.12.1, <0.13
    ("~=0.12", False, True),         # >=0.12, <1
    ("==0.12.*", True, True),
    (">=0.9,<1.0", False, True),
    (">=0.13", False, False),
    (">0.12.9", False, True),
    ("==0.13.0", False, False),
    ("!=0.10.0", False, True),
])
def test_version_range(specifier: str, before_0_13: bool, any_before_0_13: bool):
    allowed = VersionRange.of(SpecifierSet(specifier))
    assert allowed is not None
    assert allowed.all_before(Version("0.13")) is before_0_13
    assert allowed.any_before(Version("0.13")) is any_before_0_13


def test_version_range_unknown_for_arbitrary_equality_and_empty_sets():
    assert VersionRange.of(SpecifierSet("===0.8.6")) is None
    assert VersionRange.of(SpecifierSet(">=0.9,<0.8")) is None


def test_project_files_are_read_once_per_directory(tmp_path: Path):
    root = repository(tmp_path)
    requirements = write(root / "requirements.txt", "trl==0.8.6\n")
    first = library_versions(str(root / "a.py")).of("trl")
    requirements.write_text("trl>=0.20\n", encoding="utf-8")
    assert library_versions(str(root / "b.py")).of("trl") == first   # memoised per directory


# -- reading a requirement without packaging's full parser ---------------------------------------

def test_plain_pins_are_read_without_importing_packagings_requirement_parser(tmp_path: Path):
    """packaging.requirements (markers, platform tags, subprocess) costs about twice a flake8
    run's share of lora-lint: a project pinning its libraries the plain way never imports it."""
    root = repository(tmp_path)
    write(root / "requirements.txt", "numpy\ntorch>=2.1  # CUDA 12\nTRL[quality] >= 0.20, <1\n")
    path = write(root / "train.py", WITH_CONFIG)
    code = ("import sys; from flake8.main.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print('packaging.requirements' in sys.modules, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code, "--isolated", "--select=LOR", str(path)],
                            capture_output=True, text=True, check=True, cwd=root)
    assert "trl<1,>=0.20 pinned in requirements.txt:3" in result.stdout   # the pin was read
    assert result.stderr.strip() == "False"


@pytest.mark.parametrize("text", [
    "trl==0.8.6", "TRL >= 0.8 , < 0.12", "Unsloth_Zoo==2024.1", "trl[quality]>=0.9", "trl[ a , b ]<1",
    "trl==0.8.*", "trl<0.8.*", "trl>=0.8,", "trl,>=0.8", "trl>=0.8 garbage", "trl (>=0.8)", "trl=0.8",
    "trl===abc", "trl==v1.0", "trl", "trl[]", "trl._>=1", "trl- >=1", "numpy>=1", "peft>=1;python_version<'3'",
    "peft>=1 ; python_version>='3'", "trl @ git+https://github.com/huggingface/trl@v0.9.6", "trl>=1,,<2",
])
def test_requirement_pin_reads_what_packagings_parser_reads(text: str):
    from packaging.requirements import InvalidRequirement, Requirement

    origin = VersionOrigin("requirements.txt", 1)
    pin = requirement_pin(text, origin)
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        assert pin is None
        return
    name = requirement.name.lower().replace("_", "-").replace(".", "-")
    if name not in TRACKED_LIBRARIES or requirement.marker is not None or requirement.url:
        return   # untracked is None (asserted by the tests above); markers and URLs: their tests
    expected = (name, str(requirement.specifier)) if str(requirement.specifier) else None
    assert (None if pin is None else (pin.library, str(pin.specifier))) == expected
