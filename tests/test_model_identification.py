"""Models the checkpoint table does not list, known by family, re-upload or directory name.

A LoRA script on each id goes through the real ``lora-lint check`` (one run over a directory of
scripts) and flake8: a misspelled ``target_modules`` entry gets LOR103 with the architecture's
names, correct names stay silent, and ids that match nothing stay silent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from lora_lint_plugin.catalog import all_hub_ids, lookup, normalised_name
from lora_lint_plugin.catalog.identify import COMPOSITE_MODEL_TYPES, FAMILY_NAME, families, family_of, identify, \
    identity_of_match
from lora_lint_plugin.catalog.module_names import module_names

from .conftest import run_flake8, write_source
from .test_cli import lora_lint, out

# (model id, correct target_modules, one misspelled entry, what it should be)
IDS: List[Tuple[str, List[str], str, str]] = [
    ("codellama/CodeLlama-7b-hf", ["q_proj", "v_proj"], "v_prj", "v_proj"),
    ("codellama/CodeLlama-13b-Instruct-hf", ["q_proj", "o_proj"], "o_prj", "o_proj"),
    ("bigcode/starcoder", ["c_attn", "c_proj"], "c_atn", "c_attn"),
    ("bigcode/starcoderbase-3b", ["c_attn", "c_fc"], "c_fcc", "c_fc"),
    ("microsoft/phi-1_5", ["q_proj", "dense", "fc1"], "fc_1", "fc1"),
    ("microsoft/phi-2", ["q_proj", "k_proj", "v_proj", "dense"], "dense_", "dense"),
    ("tiiuae/falcon-7b", ["query_key_value", "dense"], "query_key_valu", "query_key_value"),
    ("THUDM/chatglm2-6b", ["query_key_value", "dense_h_to_4h"], "dense_h_to_4", "dense_h_to_4h"),
    ("THUDM/chatglm3-6b", ["query_key_value", "dense_4h_to_h"], "query_key_vaue", "query_key_value"),
    ("Qwen/Qwen-7B-Chat", ["c_attn", "c_proj", "w1", "w2"], "c_atn", "c_attn"),
    ("Qwen/Qwen1.5-7B-Chat", ["q_proj", "k_proj", "v_proj", "o_proj"], "k_prj", "k_proj"),
    ("EleutherAI/pythia-1b", ["query_key_value"], "query_key_valuee", "query_key_value"),
    ("EleutherAI/gpt-neox-20b", ["query_key_value", "dense"], "dens", "dense"),
    ("bigscience/bloom-7b1", ["query_key_value", "dense_4h_to_h"], "dense_4h_to_hh", "dense_4h_to_h"),
    ("facebook/opt-350m", ["q_proj", "v_proj", "out_proj"], "out_prj", "out_proj"),
    ("01-ai/Yi-6B", ["q_proj", "gate_proj"], "gate_prj", "gate_proj"),
    ("01-ai/Yi-1.5-9B-Chat", ["q_proj", "down_proj"], "down_prj", "down_proj"),
    ("baichuan-inc/Baichuan2-7B-Chat", ["W_pack", "o_proj"], "W_pak", "W_pack"),
    ("internlm/internlm2-chat-7b", ["wqkv", "wo", "w1", "w2", "w3"], "wqk", "wqkv"),
    ("internlm/internlm2_5-7b-chat", ["wqkv", "wo"], "woo", "wo"),
    ("google/codegemma-7b", ["q_proj", "up_proj"], "up_prj", "up_proj"),
    ("google/codegemma-7b-it", ["q_proj", "v_proj"], "q_prj", "q_proj"),
    ("HuggingFaceTB/SmolLM3-3B", ["q_proj", "v_proj"], "v_prj", "v_proj"),
    ("ibm-granite/granite-3.0-8b-instruct", ["q_proj", "o_proj"], "o_prj", "o_proj"),
    ("allenai/OLMo-2-1124-7B", ["q_proj", "k_proj"], "k_prj", "k_proj"),
    ("mistralai/Ministral-8B-Instruct-2410", ["q_proj", "gate_proj"], "gate_prj", "gate_proj"),
    ("Qwen/Qwen2.5-Coder-14B", ["q_proj", "v_proj"], "q_prj", "q_proj"),
    ("Qwen/Qwen2.5-Math-7B-Instruct", ["q_proj", "up_proj"], "up_prj", "up_proj"),
    ("Qwen/Qwen2.5-VL-7B-Instruct", ["q_proj", "qkv"], "qkvv", "qkv"),
    # re-uploads under other orgs, dtype/sharded re-uploads, quantised re-uploads
    ("NousResearch/Llama-2-7b-hf", ["q_proj", "v_proj"], "v_prj", "v_proj"),
    ("huggyllama/llama-7b", ["q_proj", "v_proj"], "q_prj", "q_proj"),
    ("TheBloke/Llama-2-7B-fp16", ["q_proj", "v_proj"], "v_prj", "v_proj"),
    ("decapoda-research/llama-7b-hf", ["q_proj", "k_proj"], "k_prj", "k_proj"),
    ("ybelkada/falcon-7b-sharded-bf16", ["query_key_value"], "query_key_valu", "query_key_value"),
    ("TheBloke/Llama-2-7B-Chat-GPTQ", ["q_proj", "v_proj"], "v_prj", "v_proj"),
    ("Qwen/Qwen1.5-7B-Chat-AWQ", ["q_proj", "v_proj"], "q_prj", "q_proj"),
    # ModelScope ids and directories, local paths ending in a known name
    ("LLM-Research/Meta-Llama-3.1-8B-Instruct", ["q_proj", "v_proj"], "v_prj", "v_proj"),
    ("/root/autodl-tmp/LLM-Research/Meta-Llama-3___1-8B-Instruct", ["q_proj", "v_proj"], "q_prj", "q_proj"),
    ("./models/chatglm3-6b", ["query_key_value"], "query_key_valeu", "query_key_value"),
    ("C:\\apps\\ml_model\\llama2-7b-chat-hf", ["q_proj", "v_proj"], "v_prj", "v_proj"),
    # newer families seen in published code
    ("unsloth/Qwen3-4B-Instruct-2507", ["q_proj", "k_proj"], "k_prj", "k_proj"),
    ("tiiuae/Falcon-H1-0.5B-Instruct", ["q_proj", "in_proj"], "in_prj", "in_proj"),
    ("deepseek-ai/deepseek-llm-7b-chat", ["q_proj", "gate_proj"], "gate_prj", "gate_proj"),
    ("/root/autodl-tmp/PaddlePaddle/ERNIE-4.5-0.3B-PT", ["q_proj", "o_proj"], "o_prj", "o_proj"),
    # added with the catalog's checkpoints and families of 4 December
    ("bigcode/starcoderbase", ["c_attn", "c_fc"], "c_fcc", "c_fc"),
    ("Qwen/Qwen2-VL-7B-Instruct", ["q_proj", "v_proj"], "v_prj", "v_proj"),
    ("unsloth/Qwen2.5-VL-3B-Instruct-bnb-4bit", ["q_proj", "o_proj"], "o_prj", "o_proj"),
    ("deepseek-ai/DeepSeek-R1-0528-Qwen3-8B", ["q_proj", "gate_proj"], "gate_prj", "gate_proj"),
    ("HuggingFaceTB/SmolVLM-Instruct", ["q_proj", "v_proj"], "v_prj", "v_proj"),
    ("HuggingFaceTB/SmolVLM2-2.2B-Instruct", ["q_proj", "down_proj"], "down_prj", "down_proj"),
    ("/root/autodl-tmp/deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct", ["q_proj", "kv_b_proj"],
     "kv_b_prj", "kv_b_proj"),
    ("/model/ModelScope/ZhipuAI/GLM-4.5-Air", ["q_proj", "k_proj"], "k_prj", "k_proj"),
    ("apple/OpenELM-270M-Instruct", ["qkv_proj", "out_proj"], "qkv_prj", "qkv_proj"),  # remote code
    ("ibm-granite/granite-3.1-8b-instruct", ["q_proj", "up_proj"], "up_prj", "up_proj"),
    ("deepseek-ai/deepseek-coder-1.3b-instruct", ["q_proj", "v_proj"], "v_prj", "v_proj"),
    ("/root/autodl-fs/ZhipuAI/GLM-4.7-Flash", ["q_a_proj", "kv_b_proj"], "kv_b_prj", "kv_b_proj"),
    # Gemma 3n: complete names with its timm MobileNetV5 vision tower; Llama 4; LFM2
    ("unsloth/gemma-3n-E4B-it", ["q_proj", "v_proj"], "v_prj", "v_proj"),
    ("google/gemma-3n-E2B", ["q_proj", "o_proj", "conv_pwl"], "o_prj", "o_proj"),
    ("meta-llama/Llama-4-Scout-17B-16E-Instruct", ["q_proj", "v_proj"], "v_prj", "v_proj"),
    ("LiquidAI/LFM2-1.2B", ["q_proj", "in_proj", "w1"], "in_prj", "in_proj"),
    ("bigcode/starcoderbase-1b", ["c_attn", "c_proj"], "c_atn", "c_attn"),
    ("bigscience/mt0-large", ["q", "v"], "wi_00", "wi_0"),
    ("bigscience/mt0-xl", ["q", "v", "wo"], "woo", "wo"),
    ("unsloth/granite-4.0-h-micro", ["q_proj", "input_linear"], "input_lineer", "input_linear"),
    # checkpoints with sizes added on 4 December (second catalog pass)
    ("Qwen/Qwen3.5-2B", ["q_proj", "in_proj_qkv", "out_proj"], "in_proj_qk", "in_proj_qkv"),
    ("Qwen/Qwen3.5-0.8B", ["in_proj_z", "gate_proj"], "gate_prj", "gate_proj"),
    ("Qwen/Qwen3.5-2B-Base", ["linear_fc1", "qkv"], "lnear_fc1", "linear_fc1"),
    ("vivo-ai/BlueLM-7B-Chat", ["q_proj", "gate_proj"], "gate_prj", "gate_proj"),  # remote code
    ("vivo-ai/BlueLM-7B-Base-32K", ["q_proj", "v_proj"], "v_prj", "v_proj"),  # family name only
    ("/root/autodl-tmp/THUCoAI/CharacterGLM-6B", ["query_key_value"], "query_key_valu", "query_key_value"),
    ("zai-org/GLM-4.5-Air-Base", ["q_proj", "down_proj"], "down_prj", "down_proj"),
    ("deepseek-ai/DeepSeek-Coder-V2-Lite-Base", ["kv_a_proj_with_mqa", "o_proj"], "kv_a_proj_with_mq",
     "kv_a_proj_with_mqa"),
    ("CohereLabs/tiny-aya-global", ["q_proj", "k_proj"], "k_prj", "k_proj"),
    ("unsloth/Magistral-Small-2509-unsloth-bnb-4bit", ["q_proj", "v_proj"], "v_prj", "v_proj"),
    ("mistralai/Mistral-Small-3.1-24B-Base-2503", ["linear_1", "o_proj"], "linear_11", "linear_1"),
    ("llava-hf/llava-1.5-7b-hf", ["q_proj", "fc1"], "fc_1", "fc1"),
    ("unsloth/Qwen3-VL-8B-Instruct-unsloth-bnb-4bit", ["q_proj", "down_proj"], "down_prj", "down_proj"),
    ("microsoft/DialoGPT-small", ["c_attn", "c_fc"], "c_fcc", "c_fc"),
    ("/root/.cache/huggingface/hub/models--google--gemma-3-270m-it/snapshots/ac82b4e820549b854eebf28ce6dedaf9fdfa17b3",
     ["q_proj", "v_proj"], "v_prj", "v_proj"),
]
# Ids that match nothing: every entry is left alone, however odd.
UNKNOWN = [
    "my-org/support-bot-v3",
    "./outputs/checkpoint-500",
    "TheBloke/Llama-2-7B-GGUF",
    "someone/llama-7b-finetuned-on-my-data",
    "someone/falcon-7b-my-finetune",
    "Qwen/Qwen-VL-Chat",
    # experts stored as separate Linear layers (axolotl's linearized Llama 4): not transformers' layout
    "axolotl-quants/Llama-4-Scout-17B-16E-Linearized-bnb-nf4-bf16",
]

TEMPLATE = """
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM
model = AutoModelForCausalLM.from_pretrained({model_id!r}, trust_remote_code=True)
config = LoraConfig(
    r=8,
    target_modules={targets!r},
)
model = get_peft_model(model, config)
"""
TARGETS_LINE = 6


def _scripts(directory: Path) -> Dict[str, Tuple[str, str, str]]:
    """file name -> (model id, kind, misspelled entry); kinds: bad, good, unknown."""
    made: Dict[str, Tuple[str, str, str]] = {}
    for index, (model_id, good, wrong, _) in enumerate(IDS):
        for kind, targets in (("bad", good + [wrong]), ("good", good)):
            name = f"{kind}_{index:02d}.py"
            write_source(directory, TEMPLATE.format(model_id=model_id, targets=targets), name)
            made[name] = (model_id, kind, wrong)
    for index, model_id in enumerate(UNKNOWN):
        name = f"unknown_{index:02d}.py"
        write_source(directory, TEMPLATE.format(model_id=model_id, targets=["q_prj", "c_atn"]), name)
        made[name] = (model_id, "unknown", "")
    return made


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> Tuple[Dict[str, Tuple[str, str, str]], List[dict]]:
    directory = tmp_path_factory.mktemp("identified")
    made = _scripts(directory)
    result = lora_lint("check", "--select", "LOR103", "--output-format", "json", ".", cwd=directory)
    assert result.returncode in (0, 1), result.stderr
    return made, json.loads(out(result))


def _by_file(diagnostics: List[dict]) -> Dict[str, List[dict]]:
    found: Dict[str, List[dict]] = {}
    for diagnostic in diagnostics:
        found.setdefault(Path(diagnostic["filename"]).name, []).append(diagnostic)
    return found


@pytest.mark.parametrize("index", range(len(IDS)), ids=[i[0] for i in IDS])
def test_misspelled_entry_reported(checked, index):
    """One lora-lint run over every script (the fixture); each id is checked here."""
    _, diagnostics = checked
    model_id, _, wrong, _ = IDS[index]
    found = _by_file(diagnostics)
    assert found.get(f"good_{index:02d}.py", []) == [], model_id
    bad = found.get(f"bad_{index:02d}.py", [])
    assert len(bad) == 1, (model_id, bad)
    assert bad[0]["code"] == "LOR103" and bad[0]["location"]["row"] == TARGETS_LINE
    assert f"'{wrong}' in target_modules" in bad[0]["message"], bad[0]["message"]


def test_unknown_ids_stay_silent(checked):
    made, diagnostics = checked
    found = _by_file(diagnostics)
    for name, (model_id, kind, _) in made.items():
        if kind == "unknown":
            assert found.get(name, []) == [], model_id


def test_suggestion_names_the_real_module(checked):
    made, diagnostics = checked
    expected = {f"bad_{index:02d}.py": right for index, (_, _, _, right) in enumerate(IDS)}
    for diagnostic in diagnostics:
        right = expected[Path(diagnostic["filename"]).name]
        assert f"did you mean '{right}'?" in diagnostic["message"], diagnostic["message"]
        # sizes are unknown for family-only ids: no parameter counts in the message
        assert " B " not in diagnostic["message"] and " M " not in diagnostic["message"]


def test_flake8_reports_the_same(tmp_path):
    bad = write_source(tmp_path, TEMPLATE.format(model_id="THUDM/chatglm3-6b",
                                                 targets=["query_key_value", "dense_h_to_4"]))
    result = run_flake8(bad, "--select=LOR103")
    assert result.returncode == 1, result.stderr
    assert f":{TARGETS_LINE}:" in result.stdout and "LOR103" in result.stdout
    assert "dense_h_to_4h" in result.stdout
    good = write_source(tmp_path, TEMPLATE.format(model_id="bigcode/starcoderbase-3b",
                                                  targets=["c_attn", "c_proj", "c_fc"]), "good.py")
    assert run_flake8(good, "--select=LOR103").stdout == ""


@pytest.mark.parametrize("model_id", [i[0] for i in IDS])
def test_every_listed_id_is_identified_with_complete_names(model_id):
    """Known by family: the model type's names must be complete; a checkpoint the table lists
    has its measured names (Mistral Small 3.1's transformers-4 names are incomplete)."""
    identity = identify(model_id)
    assert identity is not None, model_id
    names = identity.module_names()
    assert names is not None and (names.complete or identity.match is not None), model_id


@pytest.mark.parametrize("model_id", UNKNOWN)
def test_unmatched_ids_stay_unknown(model_id):
    assert identify(model_id) is None


def test_base_and_instruct_status_from_the_name():
    expected = {
        "google/codegemma-7b": "base", "google/codegemma-7b-it": "instruct",
        "bigcode/starcoderbase-3b": "base", "Qwen/Qwen2.5-Coder-14B": "base",
        "Qwen/Qwen2.5-Coder-14B-Instruct": "instruct", "THUDM/chatglm3-6b-base": "base",
        "THUDM/chatglm3-6b": "instruct", "Qwen/Qwen-7B": "base", "Qwen/Qwen-7B-Chat-Int4": "instruct",
        "HuggingFaceTB/SmolLM3-3B-Base": "base", "HuggingFaceTB/SmolLM3-3B": "instruct",
        "bigscience/bloomz-560m": None, "Qwen/Qwen3-4B-Thinking-2507": "instruct",
        "Qwen/Qwen3-30B-A3B-Base": "base", "google/flan-t5-base": None,
    }
    for model_id, variant in expected.items():
        identity = identify(model_id)  # by family, or by the catalog once it lists the id
        assert identity is not None, model_id
        assert identity.variant == variant or identity.how != FAMILY_NAME, model_id


def test_normalised_names():
    assert normalised_name("Meta-Llama-3___1-8B-Instruct") == "meta-llama-3.1-8b-instruct"
    assert normalised_name("falcon-7b-sharded-bf16") == "falcon-7b"
    assert normalised_name("Qwen1.5-7B-Chat-GPTQ-Int8") == "qwen1.5-7b-chat"
    assert normalised_name("Llama-2-7B-GGUF") == "llama-2-7b-gguf"  # never a checkpoint
    assert lookup("TheBloke/Llama-2-7B-fp16") is not None
    assert lookup("LLM-Research/Meta-Llama-3___1-8B-Instruct") is not None


# Ids real training code uses whose checkpoint (hence sizes) the table lists, not only the family.
CHECKPOINTS: List[Tuple[str, str, str]] = [
    ("C:\\apps\\ml_model\\llama2-7b-chat-hf", "llama-2-7b", "instruct"),  # 'llama2' spelling
    ("/models/llama2-13b-hf", "llama-2-13b", "base"),
    ("HuggingFaceTB/SmolVLM-Instruct", "smolvlm-2.2b", "instruct"),
    ("HuggingFaceTB/SmolVLM-Base", "smolvlm-2.2b", "base"),
    ("HuggingFaceTB/SmolVLM2-2.2B-Instruct", "smolvlm2-2.2b", "instruct"),
    ("unsloth/zephyr-sft-bnb-4bit", "zephyr-7b-beta", "instruct"),
    ("bigcode/starcoderbase-1b", "starcoderbase-1b", "base"),
    ("unsloth/LFM2-1.2B", "lfm2-1.2b", "instruct"),
    ("philschmid/flan-t5-xxl-sharded-fp16", "flan-t5-xxl", "instruct"),
    ("bigscience/mt0-large", "mt0-large", "instruct"),
    ("google/mt5-large", "mt0-large", "base"),
]


@pytest.mark.parametrize("model_id,key,variant", CHECKPOINTS, ids=[c[0] for c in CHECKPOINTS])
def test_checkpoint_identified_with_sizes(model_id, key, variant):
    match = lookup(model_id)
    assert match is not None, model_id
    assert (match.entry.key, match.variant) == (key, variant)


def test_name_spellings_never_merge_two_checkpoints():
    """A spelling rewrite may only reach names no listed checkpoint already spells that way."""
    assert normalised_name("llama2-7b-chat-hf") == "llama-2-7b-chat-hf"
    assert normalised_name("codellama2-7b") == "codellama2-7b"  # anchored: only a leading 'llama2-'
    listed = {normalised_name(hub_id.rsplit("/", 1)[-1]) for hub_id in all_hub_ids()}
    assert not any(name.startswith("llama2-") for name in listed)


def test_family_patterns_never_contradict_the_catalog():
    """A family pattern that matches a listed id must give that checkpoint's model_type."""
    for hub_id in all_hub_ids():
        name = normalised_name(hub_id.rsplit("/", 1)[-1])
        family = family_of(name)
        if family is None:
            continue
        match = lookup(hub_id)
        types = {match.entry.model_type} | {o.model_type for o in match.entry.architecture_overrides}
        assert family.model_type in types, (hub_id, family.family)


def test_every_family_has_sources_and_known_module_names():
    for family in families():
        names = module_names(family.model_type)
        assert names is not None, family.family
    document = json.loads(Path(__file__).resolve().parent.parent.joinpath(
        "lora_lint_plugin", "catalog", "data", "model_families.json").read_text(encoding="utf-8"))
    for item in document["families"]:
        assert item["source"] and item["confidence"] in ("high", "medium"), item["family"]
        assert item["names"], item["family"]


def test_llama_names_on_a_fused_attention_family_point_to_its_own_name(tmp_path):
    """Baichuan2 fuses q/k/v into W_pack: the advice names it, and no automatic fix rewrites
    q_proj into the look-alike o_proj."""
    path = write_source(tmp_path, TEMPLATE.format(model_id="baichuan-inc/Baichuan2-7B-Chat",
                                                  targets=["q_proj", "v_proj"]))
    result = lora_lint("check", "--select", "LOR103", "--output-format", "json", path.name,
                       cwd=tmp_path)
    diagnostics = json.loads(out(result))
    assert [d["code"] for d in diagnostics] == ["LOR103", "LOR103"]
    for diagnostic in diagnostics:
        assert "'W_pack'" in diagnostic["message"] and diagnostic["fix"] is None


def test_lor904_tells_a_family_known_model_from_an_unknown_one(tmp_path):
    """A family-only id is not "not identified": LOR904 says what was checked and what was not."""
    for name, model_id in (("family.py", "bigcode/starcoderbase-3b"), ("unknown.py", "my-org/support-bot-v3"),
                           ("listed.py", "bigcode/starcoderbase")):
        write_source(tmp_path, TEMPLATE.format(model_id=model_id, targets=["c_attn"]), name)
    result = lora_lint("check", "--select", "LOR904", "--no-hf-cache", "--output-format", "json", ".",
                       cwd=tmp_path)
    messages = {Path(d["filename"]).name: d["message"] for d in json.loads(out(result))}
    assert sorted(messages) == ["family.py", "unknown.py"]  # the listed checkpoint is identified
    family = messages["family.py"]
    assert "known only by its family (StarCoder / StarCoderBase, model type 'gpt_bigcode', base)" in family
    assert "its module names were checked" in family and "not identified" not in family
    assert "'my-org/support-bot-v3' is not identified" in messages["unknown.py"]


CHAT_TEMPLATE = """
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer
model = AutoModelForCausalLM.from_pretrained({model_id!r})
tokenizer = AutoTokenizer.from_pretrained({model_id!r})
model = get_peft_model(model, LoraConfig(r=8, target_modules=["q_proj", "v_proj"]))
texts = [tokenizer.apply_chat_template(m, tokenize=False) for m in dataset["messages"]]
"""


def test_lor301_uses_the_family_naming_when_the_table_lacks_the_checkpoint(tmp_path):
    """A base checkpoint known by family (Yi-6B) trained on chat data is reported without a
    sibling id or a fix; its chat sibling, and a family without chat checkpoints, are not."""
    for name, model_id in (("base.py", "01-ai/Yi-6B"), ("chat.py", "01-ai/Yi-6B-Chat"),
                           ("code.py", "bigcode/starcoderbase-3b"), ("unknown.py", "someone/my-base")):
        write_source(tmp_path, CHAT_TEMPLATE.format(model_id=model_id), name)
    result = lora_lint("check", "--select", "LOR301", "--no-hf-cache", "--output-format", "json", ".",
                       cwd=tmp_path)
    diagnostics = json.loads(out(result))
    assert [Path(d["filename"]).name for d in diagnostics] == ["base.py"]
    message = diagnostics[0]["message"]
    assert "'01-ai/Yi-6B' is a base checkpoint (Yi, by its name)" in message
    assert diagnostics[0]["fix"] is None and diagnostics[0]["location"]["row"] == 3  # the model id


def test_the_composite_model_types_are_those_of_the_data():
    """``COMPOSITE_MODEL_TYPES`` is written out (parsing model_families.json cost ~2 M
    instructions per process): it must name exactly the families with sub-model types."""
    assert COMPOSITE_MODEL_TYPES == {family.model_type for family in families() if family.sub_model_types}


def test_every_listed_checkpoint_gets_the_sub_model_types_all_families_give():
    checked = 0
    for hub_id in all_hub_ids():
        match = lookup(hub_id)
        assert match is not None, hub_id
        model_type = match.architecture.model_type if match.architecture else match.entry.model_type
        name = normalised_name(match.hub_id.rsplit("/", 1)[-1])
        expected: Tuple[Tuple[str, str], ...] = ()
        if any(f.sub_model_types and f.model_type == model_type and f.matches(name) for f in families()):
            family = family_of(name)
            expected = family.sub_model_types if family and family.model_type == model_type else ()
        assert identity_of_match(hub_id, match).sub_model_types == expected, hub_id
        checked += bool(expected)
    assert checked > 0   # some listed checkpoints are composite
