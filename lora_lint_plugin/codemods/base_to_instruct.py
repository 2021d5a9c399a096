"""``BaseToInstructCommand``: switch base checkpoints to their Instruct sibling.

Rewrites the model-id literal of a training setup that LOR301 (chat/instruction signals on a
base model), LOR302 (Unsloth's certain "Untrained tokens" crash) or, when selected, LOR903
(plain-text SFT on a base model) flag, to the exact Instruct id from lora-lint's catalog: same
organisation, same quantisation suffix when that id exists (``unsloth/llama-3-8b-bnb-4bit`` ->
``unsloth/llama-3-8b-Instruct-bnb-4bit``). Only the string token changes; its quotes and
prefix are kept. Ids that are not one literal (argparse, config files, f-strings) and local
paths are never rewritten; they are reported as warnings instead.

Running this command is the deliberate choice the rewrite needs (it changes which weights are
trained), so it applies these fixes whatever their safety class; there is no --unsafe-fixes.
LOR903 is opt-in like the rule: ``--select LOR301,LOR302,LOR903``.
"""

from __future__ import annotations

from ._command import LoraLintFixCommand


class BaseToInstructCommand(LoraLintFixCommand):
    DESCRIPTION = ("lora-lint: replace base checkpoint ids with their exact Instruct sibling "
                   "where the script trains chat (LOR301, LOR302; LOR903 with --select).")
    CODES = ("LOR301", "LOR302", "LOR903")
    ALWAYS_UNSAFE = True
    WARN_UNFIXED = True
