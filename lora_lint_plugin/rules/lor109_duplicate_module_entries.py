from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Set, Tuple

from ..analysis.diagnostics import Diagnostic, FixSafety
from ..analysis.values import Value
from ._common import lora_calls, module_list
from .base import Invalid, Rule, register


def covers(broad: str, narrow: str) -> bool:
    """Every module ``narrow`` selects is selected by ``broad`` (PEFT's suffix rule)."""
    return narrow == broad or narrow.endswith("." + broad)


def redundant_entries(sequence: Value) -> List[Tuple[Value, Value]]:
    """(redundant entry, the entry that already covers it) pairs within one list.

    Of two equal entries the later one is redundant; of ``model.embed_tokens`` and
    ``embed_tokens`` the more specific one, wherever it stands. The covering entry named is
    the first in the list that is not itself redundant. Linear in the list: the entries that
    can cover a name are the name itself and its dotted suffixes.
    """
    strings = list(sequence.strings())
    positions: Dict[str, List[int]] = {}
    for index, item in enumerate(strings):
        positions.setdefault(item.python, []).append(index)
    found: List[Tuple[Value, Value]] = []
    redundant: Set[int] = set()
    for index, item in enumerate(strings):
        name = item.python
        candidates = [j for j in positions[name] if j < index]
        parts = name.split(".")
        for start in range(1, len(parts)):
            candidates.extend(positions.get(".".join(parts[start:]), ()))
        eligible = [j for j in candidates if j not in redundant]
        if eligible:
            found.append((item, strings[min(eligible)]))
            redundant.add(index)
    return found


@register
class DuplicateModuleEntries(Rule):
    """
    ## What it does
    Flags a module listed twice in `target_modules` or in `modules_to_save` (also
    `model.embed_tokens` next to `embed_tokens`), and a module listed in both.

    ## Why is this bad?
    A repeat inside one list changes nothing (PEFT turns the list into a set), but it hides
    what is trained and usually means an edit went wrong. A module in both lists is stranger:
    `modules_to_save` wins (PEFT >= 0.16 excludes it from LoRA; Unsloth moves embeddings there
    anyway), so the `target_modules` entry does nothing; when it was the only target, PEFT
    raises `No modules were targeted for adaptation` and Unsloth raises `` ... so
    `target_modules` is now empty. ``

    ## Example
    ```python
    config = LoraConfig(target_modules=["q_proj", "v_proj", "q_proj", "lm_head"],
                        modules_to_save=["lm_head"])
    ```

    ## How to fix
    Remove the repeated entry; keep a module that should be fully trained only in
    `modules_to_save`.

    ## Fix safety
    Safe: a repeated entry, or one covered by a broader entry of the same list, is removed;
    an entry of `target_modules` that `modules_to_save` covers is removed from
    `target_modules`, unless it is the last one. Nothing selected changes.
    """

    code = "LOR109"
    name = "duplicate-module-entries"
    summary = "Module listed twice in target_modules/modules_to_save, or in both"
    fix_safety = FixSafety.SAFE

    VALID = (
        """
        from peft import LoraConfig
        config = LoraConfig(target_modules=["q_proj", "k_proj", "v_proj"],
                            modules_to_save=["lm_head"])
        """,
        """
        from peft import LoraConfig
        config = LoraConfig(target_modules=["layers.0.self_attn.q_proj",
                                            "layers.1.self_attn.q_proj"])
        """,
        """
        import peft as p
        import sys
        config = p.LoraConfig(target_modules=["q_proj", sys.argv[1]])
        """,
    )
    INVALID = (
        Invalid("""
        from peft import LoraConfig
        config = LoraConfig(target_modules=["q_proj", "v_proj", "q_proj"])  # expect: LOR109
        """, fixed="""
        from peft import LoraConfig
        config = LoraConfig(target_modules=["q_proj", "v_proj"])  # expect: LOR109
        """),
        Invalid("""
        import peft as p
        config = p.LoraConfig(
            target_modules=["q_proj", "v_proj"],
            modules_to_save=[
                "embed_tokens",
                "model.embed_tokens",  # expect: LOR109
            ],
        )
        """, fixed="""
        import peft as p
        config = p.LoraConfig(
            target_modules=["q_proj", "v_proj"],
            modules_to_save=[
                "embed_tokens",  # expect: LOR109
            ],
        )
        """),
        Invalid("""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16,
            target_modules=["q_proj", "v_proj",
                            "lm_head"],  # expect: LOR109
            modules_to_save=["lm_head"],
        )
        """, fixed="""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16,
            target_modules=["q_proj", "v_proj"],  # expect: LOR109
            modules_to_save=["lm_head"],
        )
        """),
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for call, _setup in lora_calls(file):
            targets = module_list(call, "target_modules")
            saved = module_list(call, "modules_to_save")
            for parameter, sequence in (("target_modules", targets), ("modules_to_save", saved)):
                if sequence is None:
                    continue
                for item, kept in redundant_entries(sequence):
                    how = "repeats" if item.python == kept.python else "is already covered by"
                    from ..fixing.edits import make_fix, remove_elements  # loaded with the first fix
                    fix = make_fix(FixSafety.SAFE, f"remove the repeated '{item.python}'",
                                   remove_elements(sequence, [item]))
                    yield self.diagnostic(
                        item.span,
                        f"'{item.python}' in {parameter} {how} '{kept.python}': the entry "
                        "changes nothing; remove it",
                        fix)
            if targets is not None and saved is not None:
                yield from self._in_both(targets, saved)

    def _in_both(self, targets: Value, saved: Value) -> Iterator[Diagnostic]:
        redundant = {id(item) for item, _ in redundant_entries(targets)}
        target_items = [item for item in targets.strings() if id(item) not in redundant]
        for item in target_items:
            owner: Optional[Value] = None
            exact = False
            for other in saved.strings():
                if covers(other.python, item.python):
                    owner, exact = other, True
                    break
                if covers(item.python, other.python):
                    owner = other
            if owner is None:
                continue
            others_left = [t for t in target_items
                           if t is not item and not any(covers(s.python, t.python)
                                                        for s in saved.strings())]
            if others_left:
                consequence = ("modules_to_save wins, so this LoRA entry does nothing")
                from ..fixing.edits import make_fix, remove_elements  # loaded with the first fix
                fix = make_fix(FixSafety.SAFE, f"remove '{item.python}' from target_modules",
                               remove_elements(targets, [item])) if exact else None
            else:
                consequence = ("modules_to_save wins and no other target remains, so "
                               "get_peft_model fails ('No modules were targeted for "
                               "adaptation')")
                fix = None
            shown = "" if owner.python == item.python else f" (as '{owner.python}')"
            yield self.diagnostic(
                item.span,
                f"'{item.python}' is in both target_modules and modules_to_save{shown}: "
                f"{consequence}; keep it only in modules_to_save",
                fix)
