"""A cheap text test that decides whether a file is worth parsing at all.

flake8 runs every installed plugin on every file, so lora-lint must cost next to nothing on
code that never fine-tunes a model. A file can only hold a training setup if it mentions one
of the LoRA libraries *and* names one of the calls the rules look at; both tests are plain
substring or line-anchored regex searches on the text flake8 already read.
"""

from __future__ import annotations

import re

# The file must import one of the LoRA libraries (a plain transformers file has no adapter).
_LIBRARY_IMPORT = re.compile(r"^[ \t]*(?:from|import)[ \t]+(?:peft|unsloth|trl)\b", re.MULTILINE)

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
)


def might_contain_training_code(source: str) -> bool:
    """True when ``source`` may contain a LoRA training setup; False means: certainly not."""
    if not any(marker in source for marker in _CALL_MARKERS):
        return False
    return _LIBRARY_IMPORT.search(source) is not None
