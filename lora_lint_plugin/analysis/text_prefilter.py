"""The first gate, on the text alone: can this file hold a LoRA training setup at all?

flake8 runs every installed plugin on every file it checks, most of which never fine-tune a
model: the plugin asks this module before it imports the analysis (``prefilter.py``, the
engine, ...), so a file it rejects costs three substring tests and this small module.
"""

from __future__ import annotations

import re

# The file must import one of the LoRA libraries (a plain transformers file has no adapter).
# (compiled by ``re`` when first searched: a file without the names below never needs it)
_LIBRARY_IMPORT = r"(?m)^[ \t]*(?:from[ \t]+(?:peft|unsloth|trl)\b|import[ \t][^\n#]*\b(?:peft|unsloth|trl)\b)"

# ...and at least one of the calls or names the extractor and rules look at.
_CALL_MARKERS = (
    "LoraConfig",
    "get_peft_model",
    "FastLanguageModel",
    "FastModel",
    "FastVisionModel",
    "SFTTrainer",
    "SFTConfig",
    "UnslothTrainer",
    "PeftModel",
    "DPOTrainer",
    "DPOConfig",
    "ORPOTrainer",
    "ORPOConfig",
    "KTOTrainer",
    "KTOConfig",
    "CPOTrainer",
    "CPOConfig",
    "GRPOTrainer",
    "GRPOConfig",
    "RewardTrainer",
    "RewardConfig",
    "PPOTrainer",
    "GKDTrainer",
    "RLOOTrainer",
)
# Every import the regex accepts names one of these: three substring tests reject almost every
# file before the markers are searched at all.
_LIBRARY_NAMES = ("peft", "trl", "unsloth")
# The markers that end in one of these ends, by end: what stands before an occurrence of the end
# tells whether a marker is there. Files of LoRA libraries name many configs and trainers, so
# this is one search per end instead of one per marker (19 of the 24).
_MARKER_ENDS = tuple((end, tuple(marker[:-len(end)] for marker in _CALL_MARKERS if marker.endswith(end)))
                     for end in ("Config", "Trainer"))
_OTHER_MARKERS = tuple(marker for marker in _CALL_MARKERS
                       if not any(marker.endswith(end) for end, _ in _MARKER_ENDS))


def might_contain_training_code(source: str) -> bool:
    """True when ``source`` may contain a LoRA training setup; False means: certainly not."""
    if not any(library in source for library in _LIBRARY_NAMES):
        return False
    if not _names_a_marker(source):
        return False
    return re.search(_LIBRARY_IMPORT, source) is not None


def _names_a_marker(source: str) -> bool:
    """Does ``source`` hold one of ``_CALL_MARKERS``?"""
    if any(marker in source for marker in _OTHER_MARKERS):
        return True
    for end, heads in _MARKER_ENDS:
        found = source.find(end)
        while found >= 0:
            if source.endswith(heads, 0, found):
                return True
            found = source.find(end, found + len(end))
    return False
