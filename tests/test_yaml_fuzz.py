"""Fuzzing the YAML front end: generated trainer configs, valid and broken, never crash.

Two generators: configs built from the keys each format reads with arbitrary values (nested
lists and mappings, numbers, odd strings), written with ``yaml.safe_dump`` and then cut or
spliced with arbitrary text; and arbitrary text behind a header that identifies a format.

Properties: no exception escapes ``config_analysis.analyse_config``; a result is silence, diagnostics
with LOR codes on lines of the file, or one error (LOR000) with a one-line reason.

Examples per test: ``LORA_LINT_FUZZ_EXAMPLES`` (default 25).
"""

from __future__ import annotations

import os
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lora_lint_plugin.analysis.config_analysis import analyse_config
from lora_lint_plugin.fixing.yaml_edits import apply_text_edits, fix_text_edits, is_yaml_fix

pytestmark = [pytest.mark.slow]

EXAMPLES = int(os.environ.get("LORA_LINT_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])
CODE = re.compile(r"^LOR\d{3}$")

HEADERS = (
    "base_model: NousResearch/Meta-Llama-3-8B\nadapter: lora\n",
    "model_name_or_path: Qwen/Qwen2.5-7B\nfinetuning_type: lora\n",
    "model: Qwen/Qwen3-4B\npeft_config:\n  name: lora\n",
    "model_name_or_path: meta-llama/Llama-3.2-1B\nuse_peft: true\n",
)
KEYS = (
    "base_model", "adapter", "lora_r", "lora_alpha", "lora_dropout", "lora_target_modules",
    "lora_target_linear", "lora_modules_to_save", "sequence_len", "micro_batch_size",
    "gradient_checkpointing", "learning_rate", "embedding_lr", "embedding_lr_scale", "tokens",
    "chat_template", "datasets", "rl", "fsdp_config", "model_name_or_path", "finetuning_type",
    "lora_rank", "lora_target", "additional_target", "cutoff_len", "template", "stage",
    "resize_vocab", "add_tokens", "quantization_bit", "disable_gradient_checkpointing",
    "per_device_train_batch_size", "model", "peft_config", "use_peft", "max_seq_length",
    "max_length", "dataset_name", "chat_template_path", "load_in_4bit", "beta",
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.sampled_from(["all", "all-linear", "embed_tokens,lm_head", "q_proj, v_proj", "2e-4",
                     "offload", "chat_template.default", "lora", "qlora", "dpo", "pt", "yes"]),
    st.text(max_size=12),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.sampled_from(KEYS + ("type", "name", "r")),
                                               children, max_size=4)),
    max_leaves=12,
)
CONFIGS = st.dictionaries(st.sampled_from(KEYS), VALUES, min_size=1, max_size=12)


def _check(text: str) -> None:
    analysis = analyse_config(text)
    line_count = max(1, text.count("\n") + 1)
    if analysis.error is not None:
        assert isinstance(analysis.error, str) and "\n" not in analysis.error.strip()
        assert not analysis.diagnostics
    for diagnostic in analysis.diagnostics:
        assert CODE.match(diagnostic.code), diagnostic
        assert 1 <= diagnostic.span.line <= line_count + 1, diagnostic
        assert diagnostic.message
        if diagnostic.fix is not None:  # only text edits on the YAML, placeable in this text
            assert is_yaml_fix(diagnostic.fix), diagnostic
            edits = fix_text_edits(text, diagnostic.fix)
            assert edits is None or apply_text_edits(text, edits) is not None


@FUZZ
@given(header=st.sampled_from(HEADERS), config=CONFIGS)
def test_generated_configs_never_crash(header: str, config: dict) -> None:
    _check(header + yaml.safe_dump(config, allow_unicode=True))


@FUZZ
@given(header=st.sampled_from(HEADERS), config=CONFIGS, cut=st.integers(0, 400),
       noise=st.text(max_size=20))
def test_cut_and_spliced_configs_never_crash(header: str, config: dict, cut: int, noise: str) -> None:
    text = header + yaml.safe_dump(config, default_flow_style=None)
    _check(text[:cut] + noise + text[cut:])


@FUZZ
@given(header=st.sampled_from(HEADERS), body=st.text(max_size=200))
def test_arbitrary_text_behind_a_config_header_never_crashes(header: str, body: str) -> None:
    _check(header + body)
