"""The first gate, on the text alone: can this file hold a LoRA training setup at all?

flake8 runs every installed plugin on every file it checks, most of which never fine-tune a
model: the plugin asks this module before it imports the analysis (``prefilter.py``, the
engine, ...), so a file it rejects costs three substring tests and this small module.
"""

from __future__ import annotations

# The file must import one of the LoRA libraries (a plain transformers file has no adapter:
# ``imports_a_library``) and name at least one of the calls or names the extractor and rules look at.
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
    return imports_a_library(source)


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


def imports_a_library(source: str) -> bool:
    """Does a line of ``source`` import one of the LoRA libraries: ``from peft ...``, or
    ``import`` followed, before any ``#``, by a library's name as a whole word (``import torch,
    peft``)? What ``tests/test_text_scans.LIBRARY_IMPORT`` (a regular expression) finds, told
    by string tests at each occurrence of a name: compiling that pattern cost ~1 M
    instructions in every process that reads a training script (issue 13, per save)."""
    for library in _LIBRARY_NAMES:
        found = source.find(library)
        while found >= 0:
            end = found + len(library)
            if not (end < len(source) and _is_word_character(source[end])):
                line = source[source.rfind("\n", 0, found) + 1:found].lstrip(" \t")
                if line[:4] == "from" and len(line) > 4 and not line[4:].strip(" \t"):
                    return True
                if line[:6] == "import" and len(line) > 6 and line[6] in " \t" and "#" not in line \
                        and (len(line) == 7 or not _is_word_character(line[-1])):
                    return True
            found = source.find(library, found + 1)
    return False


def _is_word_character(character: str) -> bool:
    """What ``\\w`` matches in a ``str`` pattern (either side of a ``\\b``)."""
    return character.isalnum() or character == "_"
