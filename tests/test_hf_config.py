"""Models known from a config.json on disk: the Hugging Face cache layout and local directories.

Every test runs the real ``lora-lint`` / ``flake8`` in a subprocess with ``HF_HUB_CACHE`` (or a
working directory) pointing at files the test wrote, laid out as ``huggingface_hub`` lays out
its cache: ``models--org--name/refs/<revision>`` holds a commit, whose
``snapshots/<commit>/config.json`` is the model's configuration.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest

from .conftest import write_source

MAIN_COMMIT = "0123456789abcdef0123456789abcdef01234567"
V2_COMMIT = "fedcba9876543210fedcba9876543210fedcba98"

# A private Llama-style fine-tune no catalog can list (all dimensions differ from real models).
PRIVATE = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 32016,
           "hidden_size": 1536, "intermediate_size": 4096, "num_hidden_layers": 6,
           "num_attention_heads": 12, "num_key_value_heads": 4, "tie_word_embeddings": False,
           "torch_dtype": "bfloat16"}
# The same model at another revision: deeper, with biased attention projections.
PRIVATE_V2 = dict(PRIVATE, num_hidden_layers=10, attention_bias=True)

SCRIPT = """
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

model = AutoModelForCausalLM.from_pretrained({model!r}{extra})
config = LoraConfig(r=8, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                         "up_proj", "down_proj"])
model = get_peft_model(model, config)
"""
TYPO_SCRIPT = """
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

model = AutoModelForCausalLM.from_pretrained({model!r})
model = get_peft_model(model, LoraConfig(r=8, target_modules=["q_proj", "v_projj"]))
"""


def llama_lora_count(config: dict, r: int) -> int:
    """r * (in + out) summed over q/k/v/o and gate/up/down of every layer (closed form)."""
    h, inter = config["hidden_size"], config["intermediate_size"]
    heads, kv = config["num_attention_heads"], config["num_key_value_heads"]
    head_dim = config.get("head_dim") or h // heads
    q, k = heads * head_dim, kv * head_dim
    per_layer = (h + q) + 2 * (h + k) + (q + h) + 2 * (h + inter) + (inter + h)
    return r * per_layer * config["num_hidden_layers"]


def write_cached_model(cache: Path, model_id: str, configs: Dict[str, dict],
                       commits: Optional[Dict[str, str]] = None) -> None:
    """A hub cache entry: one snapshot per revision, each with its config.json."""
    commits = commits or {"main": MAIN_COMMIT}
    repo = cache / ("models--" + model_id.replace("/", "--"))
    for revision, config in configs.items():
        commit = commits[revision]
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / revision).write_text(commit)  # no newline, as huggingface_hub writes
        snapshot = repo / "snapshots" / commit
        snapshot.mkdir(parents=True, exist_ok=True)
        body = config if isinstance(config, str) else json.dumps(config)
        (snapshot / "config.json").write_text(body)


def run(tool: str, *args: str, cwd: Path, cache: Optional[Path],
        isolated: bool = True) -> subprocess.CompletedProcess:
    """``flake8`` (LOR0/LOR1 codes, ``--isolated`` unless told) or a ``lora-lint`` command."""
    env = dict(os.environ)
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"):
        env.pop(name, None)
    env["HOME"] = str(cwd)  # never the real ~/.cache/huggingface
    if cache is not None:
        env["HF_HUB_CACHE"] = str(cache)
    if tool == "flake8":
        command = [sys.executable, "-m", "flake8", "--select=LOR0,LOR1"]
        command += ["--isolated"] if isolated else []
    else:
        command = [sys.executable, "-m", "lora_lint_plugin.cli.main", tool]
    result = subprocess.run(command + list(args), capture_output=True, text=True, cwd=cwd,
                            env=env, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def estimate(path: Path, *args: str, cwd: Path, cache: Optional[Path]) -> dict:
    result = run("estimate", "--isolated", "--output-format", "json", *args, str(path),
                 cwd=cwd, cache=cache)
    assert result.returncode == 0, result.stderr
    (setup,) = json.loads(result.stdout)["files"][0]["setups"]
    return setup


def lor_codes(result: subprocess.CompletedProcess) -> list:
    return [line.split(": ", 1)[1].split()[0] for line in result.stdout.splitlines()
            if ": LOR" in line]


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    root = tmp_path / "hub"
    write_cached_model(root, "acme/support-bot-v3", {"main": PRIVATE, "v2": PRIVATE_V2},
                       {"main": MAIN_COMMIT, "v2": V2_COMMIT})
    return root


def test_cached_config_gives_exact_counts_per_revision(tmp_path, cache):
    main = write_source(tmp_path, SCRIPT.format(model="acme/support-bot-v3", extra=""))
    setup = estimate(main, cwd=tmp_path, cache=cache)
    assert setup["trainable_parameters"]["total"] == llama_lora_count(PRIVATE, 8) == 1_302_528
    snapshot = cache / "models--acme--support-bot-v3" / "snapshots" / MAIN_COMMIT
    assert setup["model"]["config_path"] == str(snapshot / "config.json")
    assert setup["model"]["catalog_key"] is None and setup["model"]["variant"] == "unknown"
    assert f"model facts: config.json at {snapshot / 'config.json'}" in setup["assumptions"]

    v2 = write_source(tmp_path, SCRIPT.format(model="acme/support-bot-v3",
                                              extra=", revision='v2'"), "v2.py")
    setup = estimate(v2, cwd=tmp_path, cache=cache)
    expected = llama_lora_count(PRIVATE_V2, 8)
    assert setup["trainable_parameters"]["lora"] == expected
    q, k = 12 * 128, 4 * 128
    assert setup["trainable_parameters"]["total"] == expected  # biases are not trained
    assert expected == 8 * 10 * (1536 + q + 2 * (1536 + k) + q + 1536 + 2 * (1536 + 4096)
                                 + 4096 + 1536)
    assert str(V2_COMMIT) in setup["model"]["config_path"]


def test_commit_hash_revision_and_unknown_revision(tmp_path, cache):
    pinned = write_source(tmp_path, SCRIPT.format(model="acme/support-bot-v3",
                                                  extra=f", revision={V2_COMMIT!r}"))
    setup = estimate(pinned, cwd=tmp_path, cache=cache)
    assert setup["trainable_parameters"]["total"] == llama_lora_count(PRIVATE_V2, 8)
    # A revision that is not known statically could be any snapshot: the disk is not used.
    computed = write_source(tmp_path, "import sys\n" + SCRIPT.format(
        model="acme/support-bot-v3", extra=", revision=sys.argv[1]"), "computed.py")
    setup = estimate(computed, cwd=tmp_path, cache=cache)
    assert "revision= is not known statically" in setup["skipped"]
    # A revision with no ref in the cache: not known.
    missing = write_source(tmp_path, SCRIPT.format(model="acme/support-bot-v3",
                                                   extra=", revision='v9'"), "missing.py")
    assert "not in lora-lint's catalog" in estimate(missing, cwd=tmp_path, cache=cache)["skipped"]


def test_misspelled_module_reported_through_flake8_and_cli(tmp_path, cache):
    path = write_source(tmp_path, TYPO_SCRIPT.format(model="acme/support-bot-v3"))
    result = run("flake8", str(path), cwd=tmp_path, cache=cache)
    assert lor_codes(result) == ["LOR103"], result.stdout
    assert "did you mean 'v_proj'" in result.stdout and "llama (acme/support-bot-v3)" in result.stdout
    result = run("check", "--isolated", str(path), cwd=tmp_path, cache=cache)
    assert lor_codes(result) == ["LOR103"]
    # Without the cached config the model is unknown: silent.
    assert lor_codes(run("flake8", str(path), cwd=tmp_path, cache=tmp_path / "empty")) == []


def test_local_directory_relative_and_absolute(tmp_path):
    model_dir = tmp_path / "checkpoints" / "bot"
    model_dir.mkdir(parents=True)
    (model_dir / "config.json").write_text(json.dumps(PRIVATE))
    work = tmp_path / "work"
    work.mkdir()
    relative = write_source(work, TYPO_SCRIPT.format(model="../checkpoints/bot"))
    assert lor_codes(run("flake8", str(relative), cwd=work, cache=None)) == ["LOR103"]
    # Relative paths are taken from the current directory (as from_pretrained does).
    assert lor_codes(run("flake8", str(relative), cwd=tmp_path, cache=None)) == []
    absolute = write_source(work, SCRIPT.format(model=str(model_dir), extra=""), "abs.py")
    setup = estimate(absolute, cwd=tmp_path, cache=None)
    assert setup["trainable_parameters"]["total"] == llama_lora_count(PRIVATE, 8)
    assert setup["model"]["config_path"] == str(model_dir / "config.json")


def test_hf_cache_switched_off_everywhere(tmp_path, cache):
    path = write_source(tmp_path, TYPO_SCRIPT.format(model="acme/support-bot-v3"))
    assert lor_codes(run("flake8", "--lora-lint-hf-cache=false", str(path), cwd=tmp_path,
                         cache=cache)) == []
    assert lor_codes(run("check", "--isolated", "--no-hf-cache", str(path), cwd=tmp_path,
                         cache=cache)) == []
    (tmp_path / "setup.cfg").write_text("[flake8]\nlora-lint-hf-cache = false\n")
    assert lor_codes(run("flake8", str(path), cwd=tmp_path, cache=cache, isolated=False)) == []
    (tmp_path / "setup.cfg").unlink()
    assert lor_codes(run("flake8", str(path), cwd=tmp_path, cache=cache, isolated=False)) == \
        ["LOR103"]
    (tmp_path / "pyproject.toml").write_text("[tool.lora-lint]\nhf-cache = false\n")
    assert lor_codes(run("flake8", str(path), cwd=tmp_path, cache=cache, isolated=False)) == []
    assert lor_codes(run("check", str(path), cwd=tmp_path, cache=cache)) == []
    result = run("estimate", str(path), cwd=tmp_path, cache=cache)
    assert "switched off (hf-cache = false)" in result.stdout
    # ... and the command line wins over the file.
    assert lor_codes(run("check", "--hf-cache", str(path), cwd=tmp_path, cache=cache)) == \
        ["LOR103"]
    (tmp_path / "pyproject.toml").write_text('[tool.lora-lint]\nhf-cache = "no"\n')
    result = run("check", str(path), cwd=tmp_path, cache=cache)
    assert result.returncode == 2 and "'hf-cache'" in result.stderr


def test_bad_flake8_value_is_one_clear_lor000(tmp_path, cache):
    path = write_source(tmp_path, TYPO_SCRIPT.format(model="acme/support-bot-v3"))
    result = run("flake8", "--lora-lint-hf-cache=maybe", str(path), cwd=tmp_path, cache=cache)
    assert lor_codes(result) == ["LOR000"] and "true or false" in result.stdout


@pytest.mark.parametrize("body", ['{"model_type": "llama", "hidden_size": ', "[1, 2]", "\xff\xfe",
                                  '{"model_type": "llama", "hidden_size": "wide"}', "{}"])
def test_malformed_config_is_silent_and_noted(tmp_path, body):
    cache = tmp_path / "hub"
    write_cached_model(cache, "acme/broken", {"main": body})
    path = write_source(tmp_path, TYPO_SCRIPT.format(model="acme/broken"))
    result = run("flake8", str(path), cwd=tmp_path, cache=cache)
    assert result.returncode == 0 and result.stdout == ""
    setup = estimate(path, cwd=tmp_path, cache=cache)
    assert "not in lora-lint's catalog" in setup["skipped"]
    assert "config.json at" in setup["skipped"] and "skipped" in setup["skipped"]


def test_config_on_disk_wins_over_the_catalog(tmp_path):
    """A cached config of a catalog id replaces the catalog's numbers but keeps its identity."""
    cache = tmp_path / "hub"
    resized = {"model_type": "qwen2", "vocab_size": 151936, "hidden_size": 512,
               "intermediate_size": 1024, "num_hidden_layers": 4, "num_attention_heads": 8,
               "num_key_value_heads": 2, "tie_word_embeddings": True}
    write_cached_model(cache, "Qwen/Qwen2.5-0.5B", {"main": resized})
    path = write_source(tmp_path, SCRIPT.format(model="Qwen/Qwen2.5-0.5B", extra=""))
    catalog = estimate(path, cwd=tmp_path, cache=tmp_path / "empty")
    on_disk = estimate(path, cwd=tmp_path, cache=cache)
    assert catalog["model"]["config_path"] is None
    assert "model facts: catalog entry 'qwen2.5-0.5b'" in catalog["assumptions"]
    assert on_disk["model"]["catalog_key"] == "qwen2.5-0.5b"
    assert on_disk["model"]["variant"] == catalog["model"]["variant"] == "base"
    assert on_disk["trainable_parameters"]["total"] == llama_lora_count(resized, 8)
    assert catalog["trainable_parameters"]["total"] != on_disk["trainable_parameters"]["total"]
    # A broken config of a catalog id: the catalog answers, and estimate says what was skipped.
    write_cached_model(cache, "Qwen/Qwen2.5-0.5B", {"main": "{not json"})
    fallback = estimate(path, cwd=tmp_path, cache=cache)
    assert fallback["trainable_parameters"] == catalog["trainable_parameters"]
    assert any("is not valid JSON" in a for a in fallback["assumptions"])


def test_lor904_says_what_was_not_identified(tmp_path, cache):
    unknown = write_source(tmp_path, TYPO_SCRIPT.format(model="acme/other-bot"))
    result = run("flake8", "--select=LOR904", str(unknown), cwd=tmp_path, cache=cache)
    assert lor_codes(result) == ["LOR904"]
    assert "hf download acme/other-bot config.json" in result.stdout
    assert str(cache) in result.stdout
    known = write_source(tmp_path, TYPO_SCRIPT.format(model="acme/support-bot-v3"), "known.py")
    assert lor_codes(run("flake8", "--select=LOR904", str(known), cwd=tmp_path,
                         cache=cache)) == []
    result = run("check", "--select", "LOR904", "--no-hf-cache", str(known), cwd=tmp_path,
                 cache=cache)
    assert lor_codes(result) == ["LOR904"] and "hf-cache = false" in result.stdout
    # Off by default.
    assert "LOR904" not in run("flake8", str(unknown), cwd=tmp_path, cache=cache).stdout


def test_cache_root_follows_the_huggingface_hub_environment(tmp_path):
    from lora_lint_plugin.catalog.hf_config import hub_cache_root

    assert hub_cache_root({"HF_HUB_CACHE": "/a", "HUGGINGFACE_HUB_CACHE": "/b"}) == "/a"
    assert hub_cache_root({"HUGGINGFACE_HUB_CACHE": "/b", "HF_HOME": "/c"}) == "/b"
    assert hub_cache_root({"HF_HOME": "/c", "XDG_CACHE_HOME": "/d"}) == os.path.join("/c", "hub")
    assert hub_cache_root({"XDG_CACHE_HOME": "/d"}) == os.path.join("/d", "huggingface", "hub")
    assert hub_cache_root({}) == os.path.expanduser(os.path.join("~", ".cache", "huggingface",
                                                                 "hub"))
    # Through the real CLI: HF_HOME/hub is where the model is found.
    write_cached_model(tmp_path / "home" / "hub", "acme/bot", {"main": PRIVATE})
    path = write_source(tmp_path, TYPO_SCRIPT.format(model="acme/bot"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE"))}
    env["HF_HOME"] = str(tmp_path / "home")
    result = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select=LOR",
                             str(path)], capture_output=True, text=True, env=env, timeout=120)
    assert lor_codes(result) == ["LOR103"]


def test_files_without_lora_code_never_look_for_models(tmp_path, cache):
    """The flake8 plugin on a file the prefilter rejects loads nothing of the disk look-up."""
    path = write_source(tmp_path, """
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("acme/support-bot-v3")
    """)
    probe = (
        "import ast, sys\n"
        "from lora_lint_plugin.flake8_plugin import LoraLintPlugin\n"
        f"source = open({str(path)!r}).read()\n"
        "plugin = LoraLintPlugin(ast.parse(source), source.splitlines(True), 'train.py')\n"
        "assert list(plugin.run()) == []\n"
        "print(sorted(m for m in sys.modules if m.startswith('lora_lint_plugin.catalog')))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env=dict(os.environ, HF_HUB_CACHE=str(cache)), timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("model, read", [("acme/support-bot-v3", True), ("unsloth/llama-3-8b-bnb-4bit", False)])
def test_a_config_json_is_read_only_when_one_is_found(tmp_path, cache, model, read):
    """The plugin looks on disk for every model a script names; the modules that read a
    config.json load only for one found there (most scripts name a model that is not)."""
    path = write_source(tmp_path, TYPO_SCRIPT.format(model=model))
    probe = (
        "import ast, sys\n"
        "from lora_lint_plugin.flake8_plugin import LoraLintPlugin\n"
        f"source = open({str(path)!r}).read()\n"
        "plugin = LoraLintPlugin(ast.parse(source), source.splitlines(True), 'train.py')\n"
        "codes = sorted(line_col_text[2].split()[0] for line_col_text in plugin.run())\n"
        "loaded = sorted(name.rsplit('.', 1)[1] for name, module in list(sys.modules.items())\n"
        "                if name.startswith('lora_lint_plugin.') and ('read_config' in vars(module)\n"
        "                                                             or name.endswith('.config_json')))\n"
        "print(codes, loaded)\n")
    env = dict(os.environ, HF_HUB_CACHE=str(cache), HOME=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = "['config_json', 'found_config']" if read else "[]"
    assert result.stdout.strip() == f"['LOR103'] {loaded}"


# A multimodal configuration: the language model's fields are nested in text_config.
GEMMA3_VLM = {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
              "text_config": {"model_type": "gemma3_text", "hidden_size": 640,
                              "intermediate_size": 2048, "num_hidden_layers": 4,
                              "num_attention_heads": 4, "num_key_value_heads": 1,
                              "head_dim": 256, "vocab_size": 262208},
              "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 1152}}


def test_names_without_sizes_from_the_model_type(tmp_path):
    """A nested (multimodal) config: LOR103 knows the names; estimate says sizes are unknown."""
    cache = tmp_path / "hub"
    write_cached_model(cache, "acme/vision-bot", {"main": GEMMA3_VLM})
    path = write_source(tmp_path, TYPO_SCRIPT.format(model="acme/vision-bot"))
    result = run("flake8", str(path), cwd=tmp_path, cache=cache)
    assert lor_codes(result) == ["LOR103"] and "gemma3 (acme/vision-bot)" in result.stdout
    assert lor_codes(run("flake8", "--select=LOR904", str(path), cwd=tmp_path,
                         cache=cache)) == []
    skipped = estimate(path, cwd=tmp_path, cache=cache)["skipped"]
    assert "module names are known, its sizes are not" in skipped and "'gemma3'" in skipped
    # A model type the catalog does not describe at all stays unidentified.
    write_cached_model(cache, "acme/odd-bot", {"main": dict(GEMMA3_VLM, model_type="acme_vlm")})
    odd = write_source(tmp_path, TYPO_SCRIPT.format(model="acme/odd-bot"), "odd.py")
    assert lor_codes(run("flake8", str(odd), cwd=tmp_path, cache=cache)) == []
    result = run("flake8", "--select=LOR904", str(odd), cwd=tmp_path, cache=cache)
    assert lor_codes(result) == ["LOR904"] and "'acme_vlm'" in result.stdout


def test_prequantised_checkpoint_is_estimated_in_its_own_precision(tmp_path):
    """A config.json with a quantization_config (bitsandbytes 4-bit upload): the base weights are
    4-bit although the loader passes no BitsAndBytesConfig; the LoRA count stays exact."""
    cache = tmp_path / "hub"
    quantised = dict(PRIVATE, quantization_config={
        "quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_quant_type": "nf4",
        "bnb_4bit_use_double_quant": True})
    write_cached_model(cache, "acme/support-bot-v3-4bit", {"main": quantised})
    write_cached_model(cache, "acme/support-bot-v3", {"main": PRIVATE})
    four = estimate(write_source(tmp_path, SCRIPT.format(model="acme/support-bot-v3-4bit", extra=""),
                                 "four.py"), cwd=tmp_path, cache=cache)
    sixteen = estimate(write_source(tmp_path, SCRIPT.format(model="acme/support-bot-v3", extra=""),
                                    "sixteen.py"), cwd=tmp_path, cache=cache)
    assert four["trainable_parameters"]["total"] == sixteen["trainable_parameters"]["total"] == 1_302_528
    assert ("base weights: 4-bit (pre-quantised checkpoint: quantization_config in its config.json)"
            in four["assumptions"])
    assert not any("4-bit" in a for a in sixteen["assumptions"])
    assert (four["training"]["load_mode"], sixteen["training"]["load_mode"]) == ("4bit", "16bit")
    assert four["memory_bytes"]["total"] < sixteen["memory_bytes"]["total"]


# A vision-language config whose model_type the bundled architectures do not describe: its names
# come from the names derived from transformers, with the text_config's model_type.
IDEFICS3_VLM = {"architectures": ["Idefics3ForConditionalGeneration"], "model_type": "idefics3",
                "text_config": {"model_type": "llama", "hidden_size": 576, "num_hidden_layers": 30,
                                "vocab_size": 49280},
                "vision_config": {"model_type": "idefics3_vision", "hidden_size": 768}}


def test_names_of_a_model_type_known_only_from_transformers(tmp_path):
    cache = tmp_path / "hub"
    write_cached_model(cache, "acme/smol-vision-bot", {"main": IDEFICS3_VLM})
    path = write_source(tmp_path, TYPO_SCRIPT.format(model="acme/smol-vision-bot"))
    result = run("flake8", str(path), cwd=tmp_path, cache=cache)
    assert lor_codes(result) == ["LOR103"] and "'v_projj'" in result.stdout
    assert "idefics3 (acme/smol-vision-bot)" in result.stdout
    good = write_source(tmp_path, TYPO_SCRIPT.format(model="acme/smol-vision-bot").replace(
        '"v_projj"', '"v_proj"'), "good.py")
    assert lor_codes(run("flake8", str(good), cwd=tmp_path, cache=cache)) == []
    assert lor_codes(run("flake8", "--select=LOR904", str(path), cwd=tmp_path, cache=cache)) == []
