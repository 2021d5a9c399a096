"""The cost estimator against PEFT's own counts and measured adapter files (reference data in
tests/data/peft_counts_subset.json), and ``lora-lint estimate`` end to end on a real file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lora_lint_plugin.catalog import all_entries, lookup
from lora_lint_plugin.analysis.engine import analyse_source
from lora_lint_plugin.estimate import LoraSpec, adapter_file_size, count_parameters, estimate_file
from lora_lint_plugin.estimate.params import EstimateError
from lora_lint_plugin.estimate.setup import SetupEstimate, SetupSkipped

from .conftest import dedent, lint, write_source

DATA = json.loads((Path(__file__).parent / "data" / "peft_counts_subset.json").read_text())
ENTRIES = {entry.key: entry for entry in all_entries()}


def _spec(config: dict) -> LoraSpec:
    return LoraSpec(
        r=config["r"],
        target_modules=tuple(config["target_modules"]),
        bias=config["bias"],
        modules_to_save=tuple(config.get("modules_to_save") or ()),
        target_parameters=tuple(config.get("target_parameters") or ()),
        ensure_weight_tying=bool(config.get("ensure_weight_tying", False)),
    )


def _major(run: dict) -> int:
    return int(run["transformers"].split(".")[0])


def test_subset_covers_every_reference_run():
    assert len(DATA["runs"]) == 484
    assert {run["model"] for run in DATA["runs"]} <= set(ENTRIES)


def test_every_recorded_peft_count_is_reproduced_exactly():
    mismatches = []
    for run in DATA["runs"]:
        count = count_parameters(ENTRIES[run["model"]], _spec(run["lora_config"]),
                                 transformers_major=_major(run),
                                 text_only="text_only" in run["run"])
        if count.total != run["trainable_params"]:
            mismatches.append((run["model"], run["transformers"], run["run"], count.total,
                               run["trainable_params"]))
    assert mismatches == []


def test_base_parameter_count_matches_peft_totals():
    """PEFT's total minus its trainable count is the base model (for runs without copies)."""
    from lora_lint_plugin.estimate.memory import base_parameters
    from lora_lint_plugin.estimate.params import model_modules

    worst = 0.0
    for run in DATA["runs"]:
        if run["run"] != "A_lora_std":
            continue
        entry = ENTRIES[run["model"]]
        expected = run["total_params_reported_by_peft"] - run["trainable_params"]
        _, _, total = base_parameters(entry, model_modules(entry, None, _major(run)))
        worst = max(worst, abs(total - expected) / expected)
    # norms are estimated as (2L + 1) * H; vision towers' norms/convs are not in the catalog
    assert worst < 0.001


def test_dense_closed_form_for_every_llama_style_model():
    """r * L * (7H + 2Nq + 2Nkv + 3I) from the config values alone (modelfacts formula)."""
    checked = 0
    for entry in ENTRIES.values():
        if entry.model_type not in ("llama", "mistral", "qwen2", "qwen3"):
            continue
        h, i, layers = entry.hidden_size, entry.intermediate_size, entry.num_hidden_layers
        nq = entry.num_attention_heads * entry.head_dim
        nkv = entry.num_key_value_heads * entry.head_dim
        for r in (8, 16, 64):
            spec = LoraSpec(r=r, target_modules=entry.standard_target_modules)
            assert count_parameters(entry, spec).total == r * layers * (
                7 * h + 2 * nq + 2 * nkv + 3 * i), entry.key
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("measurement", DATA["adapter_files"],
                         ids=lambda m: f"{m['model']}-{m['run']}-tf{m['transformers']}")
def test_adapter_file_size_matches_save_pretrained(measurement):
    count = count_parameters(ENTRIES[measurement["model"]], _spec(measurement["lora_config"]))
    assert count.total == measurement["trainable"]
    size = adapter_file_size(count, full_dtype_bytes=2)
    assert size.tensors == measurement["n_tensors"]
    assert abs(size.total_bytes - measurement["file_bytes"]) / measurement["file_bytes"] < 1e-4
    assert abs(size.header_bytes - measurement["header_bytes"]) < 0.01 * measurement["header_bytes"]


LLAMA3 = ENTRIES["llama-3-8b"]
V, H, I, L = 128256, 4096, 14336, 32
NQ, NKV = 32 * 128, 8 * 128
STANDARD = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def test_rank_pattern_dora_and_bias():
    per_layer = {"q_proj": (H, NQ), "k_proj": (H, NKV), "v_proj": (H, NKV), "o_proj": (NQ, H)}
    spec = LoraSpec(r=8, target_modules=tuple(per_layer), rank_pattern=(("q_proj", 32),),
                    use_dora=True, bias="lora_only")
    expected = sum(((32 if name == "q_proj" else 8) * (a + b) + b) * L
                   for name, (a, b) in per_layer.items())
    assert count_parameters(LLAMA3, spec).total == expected  # Llama has no biases


def test_regex_and_all_linear_and_layer_selection():
    one_layer = 16 * (7 * H + 2 * NQ + 2 * NKV + 3 * I)
    regex = LoraSpec(r=16, target_modules=r".*layers\.(0|1)\..*_proj")
    assert count_parameters(LLAMA3, regex).total == 2 * one_layer
    all_linear = LoraSpec(r=16, target_modules="all-linear")  # never lm_head
    assert count_parameters(LLAMA3, all_linear).total == L * one_layer
    chosen = LoraSpec(r=16, target_modules=STANDARD, layers_to_transform=(0, 5, 31))
    assert count_parameters(LLAMA3, chosen).total == 3 * one_layer
    indexed = LoraSpec(r=16, target_modules=("layers.3.self_attn.q_proj",))
    assert count_parameters(LLAMA3, indexed).total == 16 * (H + NQ)


def test_tied_model_copies_under_peft_and_unsloth():
    entry = ENTRIES["llama-3.2-1b"]
    v, h = entry.embedding_module.rows, entry.embedding_module.cols
    lora = count_parameters(entry, LoraSpec(r=16, target_modules=STANDARD)).total
    both = ("embed_tokens", "lm_head")
    peft = count_parameters(entry, LoraSpec(r=16, target_modules=STANDARD, modules_to_save=both))
    assert peft.full == 2 * v * h
    tied = count_parameters(entry, LoraSpec(r=16, target_modules=STANDARD, modules_to_save=both,
                                            ensure_weight_tying=True))
    assert tied.full == v * h
    unsloth = count_parameters(entry, LoraSpec(r=16, target_modules=STANDARD + both,
                                               api="unsloth", ensure_weight_tying=None))
    assert (unsloth.lora, unsloth.full) == (lora, v * h)
    assert unsloth.saved_base_matrices == ()
    plain = count_parameters(entry, LoraSpec(r=16, target_modules=STANDARD + both))
    assert plain.lora == lora + 2 * 16 * (v + h)
    assert plain.saved_base == 2 * v * h  # save_embedding_layers="auto"


def test_unsupported_configs_raise_estimate_error():
    with pytest.raises(EstimateError):
        count_parameters(LLAMA3, LoraSpec(r=16, target_modules=("nonexistent",)))
    with pytest.raises(EstimateError):
        count_parameters(LLAMA3, LoraSpec(r=16, target_modules=("embed_tokens",), api="unsloth"))
    with pytest.raises(EstimateError):
        count_parameters(ENTRIES["mixtral-8x7b"], LoraSpec(r=16, target_modules=("w1",)))
    with pytest.raises(EstimateError):
        count_parameters(LLAMA3, LoraSpec(r=0, target_modules=STANDARD))


# --------------------------------------------------------------------------- setups and the CLI

UNSLOTH_SCRIPT = """
from unsloth import FastLanguageModel
from trl import SFTTrainer, SFTConfig

model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit",
                                                     max_seq_length=2048)
model = FastLanguageModel.get_peft_model(
    model, r=16,
    target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                    "down_proj", "embed_tokens", "lm_head"],
)
trainer = SFTTrainer(model=model, train_dataset=None,
                     args=SFTConfig(per_device_train_batch_size=2, max_length=2048,
                                    optim="adamw_8bit"))
"""


def _run_estimate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lora_lint_plugin.cli.main", "estimate", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


def test_estimate_json_for_unsloth_llama3_with_embeddings(tmp_path):
    path = write_source(tmp_path, UNSLOTH_SCRIPT)
    result = _run_estimate("--isolated", "--output-format", "json", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    (setup,) = data["files"][0]["setups"]

    lora = 16 * L * (7 * H + 2 * NQ + 2 * NKV + 3 * I)
    full = 2 * V * H  # Unsloth moves both (untied) matrices to modules_to_save
    assert (lora, full) == (41_943_040, 1_050_673_152)
    params = setup["trainable_parameters"]
    assert (params["lora"], params["full"], params["total"]) == (lora, full, lora + full)

    # adapter: fp32 LoRA + bf16 copies + a JSON header of ~130 bytes per tensor
    tensors = 2 * 7 * L + 2
    payload = 4 * lora + 2 * full
    assert 0 < setup["adapter_bytes"] - payload - 8 < 200 * tensors
    assert setup["adapter"]["tensors"] == tensors

    memory = setup["memory_bytes"]
    # LoRA: fp32 weight + fp32 grad + 8-bit Adam states (2 B)
    assert memory["lora"] == lora * (4 + 4 + 2)
    # bf16 copies + grads; Adam states: nn.Embedding keeps 32-bit states (8 B), lm_head 8-bit
    assert memory["trained_full"] == V * H * (2 + 2 + 8) + V * H * (2 + 2 + 2)
    # 4-bit NF4 with double quantisation; embeddings offloaded by Unsloth; norms in bf16
    quantised = L * (H * NQ + 2 * H * NKV + NQ * H + 3 * H * I)
    four_bit = 0.5 + 1 / 64 + 4 / (64 * 256)
    assert memory["base_weights"] == round(quantised * four_bit + (2 * L + 1) * H * 2)
    # offloaded checkpointing: one layer's working set + two hidden states, in bf16
    tokens = 2 * 2048
    working = tokens * (4 * H + 2 * NQ + 2 * NKV + 4 * I) * 2
    assert memory["activations"] == working + 2 * tokens * H * 2
    assert memory["logits"] == 0  # fused cross-entropy
    assert memory["total"] == sum(v for k, v in memory.items() if k != "total")
    assert setup["memory_largest"] == "trained_full"
    assert setup["activations_bytes"]["without_checkpointing"] == L * working + tokens * H * 2

    assert setup["without_embeddings"]["trainable_parameters"] == lora
    assert setup["without_embeddings"]["adapter_bytes"] < setup["adapter_bytes"] / 10
    text = " ".join(setup["assumptions"])
    for fact in ("bfloat16", "4-bit", "sequence length: 2048", "micro-batch: 2",
                 "gradient checkpointing: unsloth", "Unsloth moves"):
        assert fact in text


def test_estimate_text_table(tmp_path):
    path = write_source(tmp_path, UNSLOTH_SCRIPT)
    result = _run_estimate("--isolated", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "41,943,040" in out and "1,050,673,152" in out
    (largest,) = [line for line in out.splitlines() if "<- largest" in line]
    assert "fully trained modules" in largest
    assert "without embed_tokens/lm_head: adapter 167.8 MB instead of 2.3 GB" in out
    assert "assumptions:" in out


def test_estimate_reports_unreadable_files_and_unknown_models(tmp_path):
    unknown = write_source(tmp_path, """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("my-org/secret-model")
        model = get_peft_model(model, LoraConfig(r=8, target_modules=["q_proj"]))
    """, "unknown.py")
    result = _run_estimate("--isolated", "--output-format", "json", str(unknown),
                           str(tmp_path / "missing.py"), cwd=tmp_path)
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert "not in lora-lint's catalog" in data["files"][0]["setups"][0]["skipped"]
    assert "error" in data["files"][1]
    assert "Traceback" not in result.stderr


def test_setup_with_unresolved_rank_is_skipped_with_a_reason():
    source = dedent("""
        import sys
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Meta-Llama-3-8B")
        model = get_peft_model(model, LoraConfig(r=int(sys.argv[1]), target_modules=["q_proj"]))
    """)
    (result,) = estimate_file(analyse_source(source).model)
    assert isinstance(result, SetupSkipped) and "r of LoraConfig" in result.reason


def test_transformers_bitsandbytes_and_defaults():
    source = dedent("""
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM, BitsAndBytesConfig, Trainer, TrainingArguments
        bnb = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_use_double_quant=False)
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Meta-Llama-3-8B",
                                                     quantization_config=bnb,
                                                     torch_dtype=torch.bfloat16)
        model = get_peft_model(model, LoraConfig(r=16, target_modules=["q_proj", "v_proj"]))
        trainer = Trainer(model=model, args=TrainingArguments(output_dir="out"))
    """)
    (result,) = estimate_file(analyse_source(source).model)
    assert isinstance(result, SetupEstimate)
    assert result.training.load_mode == "4bit" and not result.training.double_quant
    assert result.training.micro_batch == 8  # TrainingArguments default
    assert result.training.gradient_checkpointing == "off"
    assert not result.training.fused_loss
    assert "sequence length" in " ".join(result.assumptions)
    # sequence length unknown for a plain Trainer: activations and logits are marked assumed
    assert {"activations", "logits"} <= set(result.guessed_parts)
    assert result.memory.parts["lora"] == 16 * L * (2 * H + NQ + NKV) * 16


BNB_HEADERS = {
    "module constant": ("from transformers import AutoModelForCausalLM, BitsAndBytesConfig\n"
                        "FOUR = True\n", "BitsAndBytesConfig(load_in_4bit=FOUR)"),
    "aliased import": ("from transformers import AutoModelForCausalLM, BitsAndBytesConfig as Quant\n",
                       "Quant(load_in_4bit=True)"),
    "module attribute": ("import transformers\nfrom transformers import AutoModelForCausalLM\n",
                         "transformers.BitsAndBytesConfig(load_in_4bit=True)"),
}


@pytest.mark.parametrize("header, quantization", BNB_HEADERS.values(), ids=list(BNB_HEADERS))
def test_bitsandbytes_config_is_resolved_like_every_call(tmp_path, header, quantization):
    """The quantisation config is found through the imports and its values through the
    resolver: ``FOUR = True; BitsAndBytesConfig(load_in_4bit=FOUR)`` loads 4-bit weights."""
    path = write_source(tmp_path, header + (
        "from peft import LoraConfig, get_peft_model\n"
        f"quantization = {quantization}\n"
        "model = AutoModelForCausalLM.from_pretrained(\"meta-llama/Meta-Llama-3-8B\",\n"
        "                                             quantization_config=quantization)\n"
        "model = get_peft_model(model, LoraConfig(r=16, target_modules=[\"q_proj\"]))\n"))
    result = _run_estimate("--isolated", "--output-format", "json", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (setup,) = json.loads(result.stdout)["files"][0]["setups"]
    assert setup["training"]["load_mode"] == "4bit"
    assert "base weights: 4-bit (BitsAndBytesConfig)" in setup["assumptions"]
    quantised = L * (H * NQ + 2 * H * NKV + NQ * H + 3 * H * I)
    assert setup["memory_bytes"]["base_weights"] < quantised  # under a byte per parameter


def test_a_local_class_named_bitsandbytesconfig_is_not_transformers_own(tmp_path):
    path = write_source(tmp_path, """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM

        class BitsAndBytesConfig:
            def __init__(self, load_in_4bit=False):
                self.load_in_4bit = load_in_4bit

        model = AutoModelForCausalLM.from_pretrained(
            "meta-llama/Meta-Llama-3-8B", quantization_config=BitsAndBytesConfig(load_in_4bit=True))
        model = get_peft_model(model, LoraConfig(r=16, target_modules=["q_proj"]))
    """)
    result = _run_estimate("--isolated", "--output-format", "json", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (setup,) = json.loads(result.stdout)["files"][0]["setups"]
    assert setup["training"]["load_mode"] == "16bit"
    assert "quantization_config not resolvable: 16-bit weights assumed" in setup["assumptions"]
    assert "base_weights" in setup["assumed_parts"]


# --------------------------------------------------------------------------- LOR403


LOR403_SOURCE = """
from unsloth import FastLanguageModel
from trl import SFTTrainer, SFTConfig
model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
model = FastLanguageModel.get_peft_model(model, r=16, use_gradient_checkpointing=False)
trainer = SFTTrainer(model=model, args=SFTConfig(per_device_train_batch_size=16,
                                                 max_length=8192, gradient_checkpointing=False))
"""


def test_lor403_needs_a_budget_and_reports_the_breakdown():
    assert [d for d in lint(LOR403_SOURCE) if d.code == "LOR403"] == []
    (diagnostic,) = [d for d in lint(LOR403_SOURCE, gpu_memory=80 * 10**9) if d.code == "LOR403"]
    assert diagnostic.line == 3  # the loader call
    assert "exceeds the 80.0 GB budget" in diagnostic.message
    assert "activations" in diagnostic.message and "(largest)" in diagnostic.message
    assert "enable gradient checkpointing" in diagnostic.message
    assert [d for d in lint(LOR403_SOURCE, gpu_memory=10**13) if d.code == "LOR403"] == []


def test_lor403_silent_for_unknown_models():
    source = LOR403_SOURCE.replace("unsloth/llama-3-8b-bnb-4bit", "someone/custom-model")
    assert [d for d in lint(source, gpu_memory=10**9) if d.code == "LOR403"] == []


def test_lookup_of_the_example_model():
    assert lookup("unsloth/llama-3-8b-bnb-4bit").entry.key == "llama-3-8b"
