"""Which trainer a YAML file configures, from its top-level keys (no YAML parse).

``config_format(text)`` is the YAML front end's prefilter: a substring test for the keys that
name a model in any recognised format, then the top-level keys read line by line. Any other
YAML (CI workflows, docker-compose, Kubernetes, pre-commit configs) stops at the substring
test, so it costs a scan of the text and nothing else. ``format_of_keys(keys)`` is the same
decision on keys already parsed.

The formats:

* ``axolotl``: ``base_model`` and any of ``adapter``, ``lora_r``, ``datasets``,
  ``sequence_len``, ``micro_batch_size``.
* ``llama-factory``: ``model_name_or_path`` and any of ``stage``, ``finetuning_type``,
  ``lora_target``, ``cutoff_len``, ``template``.
* ``llama-factory-v1``: the newer nested layout, ``model`` and a ``peft_config`` mapping.
* ``trl``: TRL's CLI / ``TrlParser`` configs (``trl sft --config``, alignment-handbook
  recipes): ``model_name_or_path`` and any of ``use_peft``, ``lora_r``,
  ``lora_target_modules``, ``dataset_name``, ``max_length``, ``max_seq_length``.
"""

from __future__ import annotations

import re
from typing import AbstractSet, FrozenSet, Optional

AXOLOTL = "axolotl"
LLAMA_FACTORY = "llama-factory"
LLAMA_FACTORY_V1 = "llama-factory-v1"
TRL = "trl"
FORMATS = (AXOLOTL, LLAMA_FACTORY, LLAMA_FACTORY_V1, TRL)

# One of these is in every recognised config; most other YAML has none of them.
_MODEL_KEYS = ("base_model", "model_name_or_path", "peft_config")

_AXOLOTL_KEYS = frozenset({"adapter", "lora_r", "datasets", "sequence_len", "micro_batch_size"})
_LLAMA_FACTORY_KEYS = frozenset({"stage", "finetuning_type", "lora_target", "cutoff_len",
                                 "template"})
_TRL_KEYS = frozenset({"use_peft", "lora_r", "lora_target_modules", "dataset_name",
                       "max_length", "max_seq_length"})

# A block-mapping key at column 0 (plain or quoted), followed by ':' and a space or line end.
_TOP_LEVEL_KEY = re.compile(r"""^(?:"([^"\n]+)"|'([^'\n]+)'|([A-Za-z_][\w.-]*))[ \t]*:(?=[ \t\r\n]|$)""",
                            re.MULTILINE)


def top_level_keys(text: str) -> FrozenSet[str]:
    """The keys written at the start of a line (a block mapping's top level)."""
    return frozenset(next(group for group in match.groups() if group)
                     for match in _TOP_LEVEL_KEY.finditer(text))


def format_of_keys(keys: AbstractSet[str]) -> Optional[str]:
    """The format whose keys these are, or None."""
    if "base_model" in keys and keys & _AXOLOTL_KEYS:
        return AXOLOTL
    if "model_name_or_path" in keys:
        if keys & _LLAMA_FACTORY_KEYS:
            return LLAMA_FACTORY
        if keys & _TRL_KEYS:
            return TRL
    if "model" in keys and "peft_config" in keys:
        return LLAMA_FACTORY_V1
    return None


def config_format(text: str) -> Optional[str]:
    """The trainer config format of a YAML text by its top-level keys, or None (leave it alone)."""
    if not any(key in text for key in _MODEL_KEYS):
        return None
    return format_of_keys(top_level_keys(text))
