"""Fuzzing the YAML fixes: generated axolotl configs whose module lists mix embeddings with
other modules, in block or flow style, quoted or plain, with comments and either line ending.

Properties of ``fix_config_source`` with the unsafe fixes on: the result reads back as YAML
and as the same config, every line outside the two lists is kept byte for byte, the
embeddings are gone from the lists where the fix may remove them, the other modules stay in
order, and a second run changes nothing.

Examples per test: ``LORA_LINT_FUZZ_EXAMPLES`` (default 25).
"""

from __future__ import annotations

import os
from typing import List, Tuple

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lora_lint_plugin.config.settings import Settings
from lora_lint_plugin.fixing.yaml_edits import fix_config_source
from lora_lint_plugin.linting import analyse

pytestmark = [pytest.mark.slow]

EXAMPLES = int(os.environ.get("LORA_LINT_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
EMBEDDINGS = ("embed_tokens", "lm_head")
MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj") + EMBEDDINGS
HEAD = "base_model: NousResearch/Meta-Llama-3-8B-Instruct  # head\nadapter: lora\nlora_r: 16\n"
TAIL = "sequence_len: 2048\n# the end\nlearning_rate: 0.0002\n"

items = st.lists(st.tuples(st.sampled_from(MODULES), st.sampled_from(["", "'", '"']),
                           st.sampled_from(["", "  # why"])),
                 min_size=1, max_size=6, unique_by=lambda item: item[0])


def written(key: str, entries: List[Tuple[str, str, str]], flow: bool) -> str:
    if flow:
        return f"{key}: [" + ", ".join(f"{q}{name}{q}" for name, q, _ in entries) + "]\n"
    return f"{key}:\n" + "".join(f"  - {q}{name}{q}{comment}\n" for name, q, comment in entries)


def lint(text: str):
    return analyse(text, Settings(), {"LOR101", "LOR102"}, language="yaml")


@FUZZ
@given(targets=items, saved=items, target_flow=st.booleans(), saved_flow=st.booleans(),
       newline=st.sampled_from(["\n", "\r\n"]))
def test_fixes_remove_only_embeddings_and_keep_every_other_byte(targets, saved, target_flow,
                                                                saved_flow, newline) -> None:
    text = (HEAD + written("lora_target_modules", targets, target_flow) + TAIL
            + written("lora_modules_to_save", saved, saved_flow)).replace("\n", newline)
    outcome = fix_config_source(text, lint, unsafe=True)
    assert outcome.error is None, outcome.error
    fixed = outcome.source
    config = yaml.safe_load(fixed)
    kept_targets = [name for name, _, _ in targets if name not in EMBEDDINGS]
    # LOR101 keeps at least one target; LOR102 may empty (and drop) the save list
    assert config["lora_target_modules"] == (kept_targets or [name for name, _, _ in targets])
    assert config.get("lora_modules_to_save") in (
        [name for name, _, _ in saved if name not in EMBEDDINGS], None)
    for line in (HEAD + TAIL).splitlines():
        assert line + newline in fixed
    assert fix_config_source(fixed, lint, unsafe=True).source == fixed
