"""YAML trainer configs through ``lora-lint check``: exact lines, columns and codes per format.

The configs are written the way each tool's own examples are (axolotl's ``examples/``,
LLaMA-Factory's ``examples/train_lora``, alignment-handbook recipes for TRL's CLI); a
``# expect: LORnnn`` comment marks each line that must be reported, and nothing else may be.
Other YAML (CI workflows, docker-compose, Kubernetes, pre-commit) must stay silent, and broken
YAML that identifies as a trainer config gets one LOR000, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from .conftest import dedent, expected_markers
from .test_cli import check_json, err, lora_lint, out, write

# axolotl examples/llama-3/lora-8b.yml, shortened: embeddings in lora_modules_to_save (LOR102 on
# each item), no embedding_lr (LOR501 on learning_rate).
AXOLOTL_LORA_8B = """
    base_model: NousResearch/Meta-Llama-3-8B
    model_type: LlamaForCausalLM

    load_in_8bit: true
    datasets:
      - path: mhenrichsen/alpaca_2k_test
        type: alpaca
    sequence_len: 4096
    sample_packing: true

    adapter: lora
    lora_r: 32
    lora_alpha: 16
    lora_dropout: 0.05
    lora_target_linear: true
    lora_modules_to_save:
      - embed_tokens  # expect: LOR102
      - lm_head  # expect: LOR102

    gradient_accumulation_steps: 4
    micro_batch_size: 2
    learning_rate: 0.0002  # expect: LOR501
    gradient_checkpointing: true
    special_tokens:
      pad_token: <|end_of_text|>
"""

# axolotl: a base checkpoint trained with its chat template (LOR301 on the model id).
AXOLOTL_BASE_CHAT = """
    base_model: google/gemma-2-9b  # expect: LOR301
    load_in_4bit: true
    chat_template: gemma
    datasets:
      - path: cgato/SlimOrcaDedupCleaned
        type: chat_template
    adapter: qlora
    lora_r: 16
    lora_alpha: 32
    lora_target_linear: true
    sequence_len: 2048
    micro_batch_size: 1
    learning_rate: 2e-4
    gradient_checkpointing: true
"""

# LLaMA-Factory, flat layout: comma-separated lists are located piece by piece, `1e-4` is a
# float (OmegaConf), `lora_rank: 0` cannot build LoRA matrices.
LLAMA_FACTORY = """
    ### model
    model_name_or_path: Qwen/Qwen2.5-7B-Instruct

    ### method
    stage: sft
    do_train: true
    finetuning_type: lora
    lora_rank: 0  # expect: LOR201
    lora_alpha: 16
    lora_target: q_proj,v_proj
    additional_target: embed_tokens, lm_head  # expect: LOR102, LOR102

    ### dataset
    dataset: identity,alpaca_en_demo
    template: qwen3_nothink
    cutoff_len: 2048

    ### train
    per_device_train_batch_size: 1
    gradient_accumulation_steps: 8
    learning_rate: 1e-4  # expect: LOR501
"""

# LLaMA-Factory's nested v1 layout.
LLAMA_FACTORY_V1 = """
    model: Qwen/Qwen3-4B
    model_class: llm

    peft_config:
      name: lora
      r: 16
      lora_alpha: -32  # expect: LOR204
      lora_dropout: 0.05
      target_modules: all

    train_dataset: data/v1_sft_demo.yaml
    micro_batch_size: 1
    cutoff_len: 2048
    learning_rate: 1.0e-4
"""

# TRL's CLI (alignment-handbook recipe style): `max_seq_length` was removed from SFTConfig.
TRL_RECIPE = """
    # Model arguments
    model_name_or_path: Qwen/Qwen2.5-7B-Instruct
    model_revision: main
    torch_dtype: bfloat16  # expect: LOR505
    load_in_4bit: true
    use_peft: true
    lora_r: 16
    lora_alpha: 16
    lora_dropout: 0.05
    lora_target_modules:
    - q_proj
    - k_proj
    - v_proj
    - lm_head  # expect: LOR101
    # Data training arguments
    dataset_name: HuggingFaceH4/ultrachat_200k
    # SFT trainer config
    learning_rate: 2.0e-04
    max_seq_length: 2048  # expect: LOR505
    per_device_train_batch_size: 4
    gradient_accumulation_steps: 2
"""


def _rows(items: List[Dict]) -> List[Tuple[int, str]]:
    return sorted((d["location"]["row"], d["code"]) for d in items)


@pytest.mark.parametrize("name, text", [
    ("axolotl.yml", AXOLOTL_LORA_8B),
    ("gemma.yml", AXOLOTL_BASE_CHAT),
    ("qwen3_lora_sft.yaml", LLAMA_FACTORY),
    ("train_lora_sft.yaml", LLAMA_FACTORY_V1),
    ("config_qlora.yaml", TRL_RECIPE),
])
def test_each_format_reports_exactly_the_marked_lines(tmp_path: Path, name: str, text: str):
    write(tmp_path / name, dedent(text))
    _, items = check_json(tmp_path, name)
    assert _rows(items) == expected_markers(text)


def test_positions_point_at_the_list_item_and_at_the_piece_inside_a_comma_string(tmp_path: Path):
    write(tmp_path / "axolotl.yml", dedent(AXOLOTL_LORA_8B))
    write(tmp_path / "lf.yaml", dedent(LLAMA_FACTORY))
    _, items = check_json(tmp_path, "axolotl.yml", "lf.yaml")
    found = {(d["filename"], d["location"]["row"], d["location"]["column"], d["code"],
              d["end_location"]["column"]) for d in items if d["code"] == "LOR102"}
    # `  - embed_tokens`: column 5; `additional_target: embed_tokens, lm_head`: 20 and 34
    assert found == {("axolotl.yml", 17, 5, "LOR102", 17), ("axolotl.yml", 18, 5, "LOR102", 12),
                     ("lf.yaml", 11, 20, "LOR102", 32), ("lf.yaml", 11, 34, "LOR102", 41)}


def test_messages_use_each_tools_keys_and_advice(tmp_path: Path):
    write(tmp_path / "axolotl.yml", dedent(AXOLOTL_LORA_8B))
    write(tmp_path / "lf.yaml", dedent(LLAMA_FACTORY))
    write(tmp_path / "trl.yaml", dedent(TRL_RECIPE))
    _, items = check_json(tmp_path, ".")
    messages: Dict[Tuple[str, str], str] = {}
    for d in items:
        messages.setdefault((d["filename"], d["code"]), d["message"])
    axolotl = messages[("axolotl.yml", "LOR102")]
    assert "'embed_tokens' in lora_modules_to_save" in axolotl
    assert "NousResearch/Meta-Llama-3-8B: +1.05 B trainable parameters" in axolotl
    assert "embedding_lr_scale: 0.1 (or embedding_lr: 2e-5)" in messages[("axolotl.yml", "LOR501")]
    assert "Unsloth" not in messages[("axolotl.yml", "LOR501")]  # axolotl's own advice only
    # LLaMA-Factory reads `1e-4` as a float and has no embedding learning rate
    lf = messages[("lf.yaml", "LOR501")]
    assert "learning_rate: 1e-4" in lf and "LLaMA-Factory has no separate learning rate" in lf
    assert "additional_target" in lf and "embedding_lr_scale" in lf
    assert "lora_rank: 0" in messages[("lf.yaml", "LOR201")]
    trl = next(d["message"] for d in items if d["filename"] == "trl.yaml" and "max_seq" in d["message"])
    assert "SFTConfig has no max_seq_length since TRL 0.20, so TRL does not read it" in trl
    assert "use max_length" in trl and "TypeError" not in trl
    assert "'lm_head' in lora_target_modules" in messages[("trl.yaml", "LOR101")]


def test_defaults_of_each_tool_decide_gradient_checkpointing(tmp_path: Path):
    # axolotl: gradient_checkpointing defaults to off; LLaMA-Factory: on unless disabled.
    axolotl = dedent("""
        base_model: meta-llama/Llama-3.1-8B-Instruct
        adapter: lora
        lora_r: 16
        lora_alpha: 32
        lora_target_linear: true
        sequence_len: 16384  # expect: LOR401
        micro_batch_size: 1
        learning_rate: 0.0001
    """)
    llama_factory_on = dedent("""
        model_name_or_path: meta-llama/Llama-3.1-8B-Instruct
        finetuning_type: lora
        cutoff_len: 16384
        per_device_train_batch_size: 1
    """)
    llama_factory_off = dedent("""
        model_name_or_path: meta-llama/Llama-3.1-8B-Instruct
        finetuning_type: lora
        cutoff_len: 16384
        per_device_train_batch_size: 1
        disable_gradient_checkpointing: true  # expect: LOR401
    """)
    write(tmp_path / "a.yml", axolotl)
    write(tmp_path / "on.yaml", llama_factory_on)
    write(tmp_path / "off.yaml", llama_factory_off)
    for name, text in (("a.yml", axolotl), ("on.yaml", llama_factory_on),
                       ("off.yaml", llama_factory_off)):
        _, items = check_json(tmp_path, name)
        assert _rows(items) == expected_markers(text), name
    _, items = check_json(tmp_path, "off.yaml")
    assert "remove disable_gradient_checkpointing: true" in items[0]["message"]


def test_axolotl_embedding_lr_scale_silences_the_embedding_rules(tmp_path: Path):
    text = dedent(AXOLOTL_LORA_8B).replace("  # expect: LOR102", "").replace(
        "  # expect: LOR501", "") + "embedding_lr_scale: 0.1\n"
    write(tmp_path / "axolotl.yml", text)
    code, items = check_json(tmp_path, "axolotl.yml")
    assert code == 0 and items == []


@pytest.mark.parametrize("addition", [
    "tokens:\n  - <|im_start|>\n  - <|im_end|>\n",
    # mistral/dpo/mistral-dpo-qlora.yml: bos/eos switched to ChatML tokens
    'special_tokens:\n  bos_token: "<|im_start|>"\n  eos_token: "<|im_end|>"\n',
])
def test_axolotl_new_tokens_need_the_embeddings_so_removal_is_not_advised(tmp_path: Path,
                                                                          addition: str):
    # axolotl raises unless the embedding pair is in lora_modules_to_save when `tokens` adds
    # tokens or a special token other than the pad token is new to the tokenizer: LOR102
    # ("remove it") would be wrong; the missing embedding rate still applies.
    text = dedent(AXOLOTL_LORA_8B).replace("  # expect: LOR102", "").replace(
        "special_tokens:\n  pad_token: <|end_of_text|>\n", "") + addition
    write(tmp_path / "axolotl.yml", text)
    _, items = check_json(tmp_path, "axolotl.yml")
    assert _rows(items) == expected_markers(text) == [(22, "LOR501")]


# axolotl examples/llama-4: the configured special tokens are Llama 4's own (single tokens of
# its tokenizer), so axolotl does not require the embeddings and LOR102 applies.
AXOLOTL_LLAMA4 = """
    base_model: {base_model}
    adapter: qlora
    load_in_4bit: true
    lora_r: 32
    lora_alpha: 64
    lora_target_modules:
      - self_attn.q_proj
      - self_attn.v_proj
    lora_modules_to_save:
      - lm_head  # expect: LOR102
      - embed_tokens  # expect: LOR102
    learning_rate: 1e-4  # expect: LOR501
    special_tokens:
      pad_token: <|finetune_right_pad|>
      eos_token: {eos}
"""


@pytest.mark.parametrize("base_model,eos", [
    ("meta-llama/Llama-4-Scout-17B-16E-Instruct", "<|eot|>"),
    ("axolotl-quants/Llama-4-Scout-17B-16E-Linearized-bnb-nf4-bf16", "<|eot|>"),
    ("meta-llama/Llama-3.1-8B-Instruct", "<|eot_id|>"),
    ("Qwen/Qwen2.5-7B-Instruct", "<|im_end|>"),
    ("google/gemma-2-9b-it", "<end_of_turn>"),
])
def test_axolotl_special_tokens_the_tokenizer_has_are_not_new(tmp_path: Path, base_model: str, eos: str):
    text = dedent(AXOLOTL_LLAMA4).format(base_model=base_model, eos=eos)
    write(tmp_path / "axolotl.yml", text)
    _, items = check_json(tmp_path, "axolotl.yml")
    # every marked finding is reported (Gemma 2 also gets LOR110: its embeddings are tied)
    assert set(expected_markers(text)) <= set(_rows(items))
    assert [code for _, code in _rows(items)].count("LOR102") == 2


@pytest.mark.parametrize("change", [
    {"eos": "<|my_end|>"},   # not a token of Llama 4's tokenizer: axolotl needs the embeddings
    {"eos": "<|eot_id|>"},   # Llama 3's end of turn: not one of Llama 4's tokens
    {"base_model": "my-org/llama-4-finetune"},   # tokenizer not known: any token may be new
])
def test_axolotl_special_tokens_that_may_be_new_keep_lor102_silent(tmp_path: Path, change: dict):
    values = dict({"base_model": "meta-llama/Llama-4-Scout-17B-16E-Instruct", "eos": "<|eot|>"},
                  **change)
    text = dedent(AXOLOTL_LLAMA4).replace("  # expect: LOR102", "").format(**values)
    write(tmp_path / "axolotl.yml", text)
    _, items = check_json(tmp_path, "axolotl.yml")
    assert "LOR102" not in [code for _, code in _rows(items)]


def test_axolotl_tokenizer_config_decides_which_tokens_exist(tmp_path: Path):
    text = dedent(AXOLOTL_LLAMA4).replace("  # expect: LOR102", "").format(
        base_model="meta-llama/Llama-4-Scout-17B-16E-Instruct", eos="<|eot|>")
    write(tmp_path / "axolotl.yml", text + "tokenizer_config: my-org/my-tokenizer\n")
    _, items = check_json(tmp_path, "axolotl.yml")
    assert "LOR102" not in [code for _, code in _rows(items)]


OTHER_YAML = {
    ".github/workflows/ci.yml": """
        name: CI
        on: [push, pull_request]
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: pip install -e . && pytest
    """,
    "docker-compose.yml": """
        services:
          trainer:
            image: axolotlai/axolotl:main-latest
            environment:
              - BASE_MODEL=meta-llama/Llama-3.1-8B
            volumes: ["./data:/data"]
    """,
    "k8s/job.yaml": """
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: finetune
        spec:
          template:
            spec:
              containers:
                - name: train
                  image: trainer:latest
                  args: ["--model_name_or_path", "Qwen/Qwen2.5-7B"]
              restartPolicy: Never
    """,
    ".pre-commit-config.yaml": """
        repos:
          - repo: https://github.com/lora-lint/lora-lint
            rev: v0.1.0
            hooks:
              - id: lora-lint
    """,
    # Keys close to a trainer config without identifying one: left alone.
    "model-card.yaml": """
        base_model: meta-llama/Llama-3.1-8B
        license: llama3.1
        tags: [lora]
    """,
    # Broken YAML that does not identify as a trainer config: silent, not LOR000.
    "broken-other.yaml": "key: [unclosed\n  other: {\n",
}


def test_other_yaml_is_left_alone(tmp_path: Path):
    for name, text in OTHER_YAML.items():
        write(tmp_path / name, dedent(text))
    result = lora_lint("check", ".", cwd=tmp_path)
    assert result.returncode == 0, out(result) + err(result)
    names = [name for name in OTHER_YAML]
    code, items = check_json(tmp_path, *names)
    assert code == 0 and items == []


def test_broken_yaml_that_identifies_gets_one_lor000_with_its_line(tmp_path: Path):
    write(tmp_path / "broken.yml", dedent("""
        base_model: NousResearch/Meta-Llama-3-8B
        adapter: lora
        lora_modules_to_save: [embed_tokens, lm_head
        learning_rate: 0.0002
    """))
    result = lora_lint("check", "broken.yml", cwd=tmp_path)
    lines = out(result).splitlines()
    assert result.returncode == 1
    assert len([line for line in lines if "LOR000" in line]) == 1, lines
    assert lines[0].startswith("broken.yml:1:1: LOR000 ") and "YAML error at line" in lines[0]


@pytest.mark.parametrize("text", [
    "base_model: !!python/object/apply:os.system ['echo hi']\nadapter: lora\nlora_r: 8\n",
    "base_model: &m meta-llama/Llama-3.1-8B\nadapter: lora\nlora_target_modules: *m\n",
    "base_model: x\nadapter: lora\nlora_modules_to_save: !custom [embed_tokens]\n",
    "base_model: x\nadapter: lora\n<<: {lora_r: 0}\nlora_r: 0\n",
    "base_model: x\nadapter: lora\nlora_r: " + "[" * 2000 + "]" * 2000 + "\n",
    "base_model: x\nadapter: lora\nlora_modules_to_save: &a [*a]\n",
    "\ufeffbase_model: x\nadapter: lora\n",
])
def test_tags_anchors_and_deep_nesting_never_crash(tmp_path: Path, text: str):
    write(tmp_path / "odd.yml", text)
    result = lora_lint("check", "odd.yml", cwd=tmp_path)   # asserts there is no traceback
    assert result.returncode in (0, 1), err(result)


def test_anchors_and_merge_keys_resolve_to_where_the_value_is_written(tmp_path: Path):
    write(tmp_path / "anchors.yml", dedent("""
        base_model: NousResearch/Meta-Llama-3-8B
        adapter: lora
        defaults: &lora
          lora_r: 0
        <<: *lora
        lora_alpha: 16
        lora_target_linear: true
        learning_rate: 0.0002
    """))
    _, items = check_json(tmp_path, "anchors.yml")
    assert [(d["location"]["row"], d["location"]["column"], d["code"]) for d in items] == [
        (4, 11, "LOR201")]


def test_directory_discovery_includes_yaml_and_estimate_reads_it(tmp_path: Path):
    write(tmp_path / "configs" / "lora-8b.yml", dedent(AXOLOTL_LORA_8B))
    _, items = check_json(tmp_path, ".")
    assert {d["filename"] for d in items} == {"configs/lora-8b.yml"}
    estimate = lora_lint("estimate", "configs/lora-8b.yml", cwd=tmp_path)
    assert estimate.returncode == 0, err(estimate)
    text = out(estimate)
    assert "NousResearch/Meta-Llama-3-8B" in text and "fully trained parameters      1,050,673,152" in text


def test_trl_string_targets_are_pefts_shorthand(tmp_path: Path):
    # TRL keeps a string as a string (and a one-item list becomes one): both are PEFT's
    # "all-linear" shorthand, not a module named "all-linear" (LOR104).
    for value in ("all-linear", "[all-linear]"):
        write(tmp_path / "trl.yaml", "model_name_or_path: Qwen/Qwen2.5-7B-Instruct\n"
              f"use_peft: true\nlora_target_modules: {value}\ndataset_name: trl-lib/Capybara\n")
        code, items = check_json(tmp_path, "trl.yaml")
        assert code == 0 and items == [], value


def test_trl_recipes_are_judged_as_the_trainer_their_keys_name(tmp_path: Path):
    # `max_seq_length` is dropped by TRL >= 0.20 (LOR505) and used by older releases: no rule
    # reads a sequence length from it. A recipe with preference keys (`beta`) is not judged as
    # SFT, so SFTConfig's removed keys and the supervised-only rules stay out of it.
    sft = dedent("""
        model_name_or_path: HuggingFaceTB/SmolLM2-1.7B
        dataset_name: HuggingFaceTB/smoltalk
        per_device_train_batch_size: 4
        max_seq_length: 8192  # expect: LOR505
        learning_rate: 3.0e-04
    """)
    preference = dedent("""
        model_name_or_path: HuggingFaceH4/zephyr-7b-sft-full
        dataset_name: HuggingFaceH4/ultrafeedback_binarized
        beta: 0.01
        max_length: 1024
        max_prompt_length: 512
    """)
    write(tmp_path / "sft.yaml", sft)
    write(tmp_path / "dpo.yaml", preference)
    _, items = check_json(tmp_path, "sft.yaml", "dpo.yaml")
    assert sorted((d["filename"], d["location"]["row"], d["code"]) for d in items) == [
        ("sft.yaml", line, code) for line, code in expected_markers(sft)]


def test_llama_factory_new_tokens_train_the_embeddings_without_additional_target(tmp_path: Path):
    # LLaMA-Factory fills additional_target with the input and output embeddings when tokens
    # are added: LOR111 reports the full matrices (on the LoRA setting), LOR501 the missing
    # lower rate; "remove them" (LOR102) is not advised, the new rows must be trained.
    text = dedent("""
        model_name_or_path: meta-llama/Meta-Llama-3-8B-Instruct
        stage: sft
        finetuning_type: lora  # expect: LOR111
        lora_target: all
        add_special_tokens: "<tool_call>,</tool_call>"
        template: llama3
        learning_rate: 1.0e-4  # expect: LOR501
    """)
    write(tmp_path / "tools.yaml", text)
    _, items = check_json(tmp_path, "tools.yaml")
    assert _rows(items) == expected_markers(text)
    lor111 = next(d["message"] for d in items if d["code"] == "LOR111")
    assert "add_special_tokens on line 5" in lor111 and "+1.05 B trainable parameters" in lor111


def test_noqa_comments_work_on_yaml_lines(tmp_path: Path):
    text = dedent(AXOLOTL_LORA_8B)
    text = text.replace("- embed_tokens  # expect: LOR102", "- embed_tokens  # noqa: LOR102")
    text = text.replace("learning_rate: 0.0002  # expect: LOR501", "learning_rate: 0.0002  # noqa")
    write(tmp_path / "axolotl.yml", text)
    _, items = check_json(tmp_path, "axolotl.yml")
    assert _rows(items) == expected_markers(text) == [(18, "LOR102")]


def test_unknown_target_modules_are_located_inside_quoted_comma_strings(tmp_path: Path):
    # LLaMA-Factory issue #181: Baichuan's `W_pack` on another architecture; axolotl's list
    # with Llama names on Falcon (`query_key_value`).
    write(tmp_path / "lf.yaml", 'model_name_or_path: Qwen/Qwen2.5-7B-Instruct\n'
          'finetuning_type: lora\nlora_target: "q_proj, W_pack,v_proj"\ntemplate: qwen\n')
    write(tmp_path / "falcon.yml", "base_model: tiiuae/falcon-7b\nadapter: lora\nlora_r: 8\n"
          "lora_alpha: 16\nlora_target_modules: [q_proj, v_proj]\nlearning_rate: 2e-4\n")
    _, items = check_json(tmp_path, "lf.yaml", "falcon.yml")
    found = [(d["filename"], d["location"]["row"], d["location"]["column"],
              d["end_location"]["column"], d["code"]) for d in items]
    assert sorted(found) == [("falcon.yml", 5, 23, 29, "LOR103"), ("falcon.yml", 5, 31, 37, "LOR103"),
                             ("lf.yaml", 3, 23, 29, "LOR103")]
    messages = " ".join(d["message"] for d in items)
    assert "'W_pack' in lora_target is not a module of qwen2" in messages
    assert "'query_key_value'" in messages


def test_nested_llama_factory_messages_name_the_nested_keys(tmp_path: Path):
    write(tmp_path / "v1.yaml", "model: Qwen/Qwen2.5-7B-Instruct\npeft_config:\n  name: lora\n"
          "  r: 0\n  target_modules: all\nadditional: ',,'\n")
    _, items = check_json(tmp_path, "v1.yaml")
    assert [(d["location"]["row"], d["location"]["column"], d["code"]) for d in items] == [
        (4, 6, "LOR201")]
    message = items[0]["message"]
    # the setting in the tool's spelling; PEFT's own error text keeps PEFT's name
    assert message.startswith("peft_config.r: 0 is not positive")
    assert "'ValueError: `r` should be a positive integer" in message


def test_undecodable_yaml_is_an_error_only_when_it_is_a_trainer_config(tmp_path: Path):
    (tmp_path / "latin1.yml").write_bytes("name: caf\xe9\nsteps: [build]\n".encode("latin-1"))
    (tmp_path / "config.yml").write_bytes(
        "base_model: x\nadapter: lora\n# caf\xe9\n".encode("latin-1"))
    result = lora_lint("check", ".", cwd=tmp_path)
    lines = out(result).splitlines()
    assert [line.split(": ")[0] for line in lines if "LOR000" in line] == ["config.yml:1:1"], lines
    assert "latin1.yml" not in out(result)


def test_moe_expert_advice_names_what_each_tool_offers(tmp_path: Path):
    write(tmp_path / "lf.yaml", "model_name_or_path: openai/gpt-oss-20b\nfinetuning_type: lora\n"
          "lora_target: q_proj,v_proj,gate_proj\ntemplate: gpt\n")
    write(tmp_path / "trl.yaml", "model_name_or_path: openai/gpt-oss-20b\nuse_peft: true\n"
          "lora_target_modules: [q_proj, v_proj, gate_proj]\ndataset_name: x\n")
    _, items = check_json(tmp_path, "lf.yaml", "trl.yaml")
    found = {d["filename"]: (d["location"]["row"], d["location"]["column"], d["code"], d["message"])
             for d in items}
    assert found["lf.yaml"][:3] == (3, 28, "LOR107") and found["trl.yaml"][:3] == (3, 39, "LOR107")
    assert "LLaMA-Factory has no setting for PEFT's target_parameters" in found["lf.yaml"][3]
    assert "add lora_target_parameters: ['mlp.experts.gate_up_proj'" in found["trl.yaml"][3]
