"""``FixAllCommand``: apply every lora-lint fix of the selected rules.

By default the safe fixes of the rules enabled by default; ``--unsafe-fixes`` adds the unsafe
ones (they change what is trained, e.g. LOR101 drops embedding modules from
``target_modules``); ``--select`` / ``--ignore`` choose rules by code or prefix. Unsafe fixes
held back are printed as warnings so nothing is silently left behind.
"""

from __future__ import annotations

from ._command import LoraLintFixCommand


class FixAllCommand(LoraLintFixCommand):
    DESCRIPTION = ("lora-lint: apply every safe lora-lint fix (--unsafe-fixes for the unsafe "
                   "ones, --select/--ignore to choose rules).")
    CODES = ()
