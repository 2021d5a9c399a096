"""What a model id is, when the checkpoint table does not list it: its family by name.

``identify`` answers with the catalog match when there is one (sizes known), else with the
family whose reviewed name pattern (``data/model_families.json``) the id's name matches: its
``model_type`` (hence module names, ``module_names.py``) and, where the family's naming says
so, base or instruct. An id that matches no family, or more than one model_type, stays unknown.
"""

from __future__ import annotations

import functools
import json
import re
from typing import FrozenSet, List, Optional, Pattern, Tuple

from . import Architecture, ModelMatch, _parse, lookup, normalised_name
from ..fast_dataclass import dataclass
from .module_names import ModuleNames, module_names

CATALOG = "catalog"
CONFIG = "config.json"
FAMILY_NAME = "family name"


@functools.lru_cache(maxsize=None)
def _pattern(text: str) -> Pattern[str]:
    return re.compile(text)


_LITERAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


@functools.lru_cache(maxsize=None)
def _literal_head(pattern: str) -> str:
    """What every text that ``pattern`` matches in full starts with: its leading letters,
    digits, ``_`` and ``-`` (not one a quantifier makes optional or repeats); ``""`` when the
    pattern has a ``|`` outside its groups. A name that does not start with it needs no
    compiled pattern (a family's ~70 patterns cost ~4 ms to compile, and an id no family
    knows, e.g. a tiny test model, would compile them all)."""
    depth, index, in_class = 0, 0, False
    while index < len(pattern):
        character = pattern[index]
        if character == "\\":
            index += 1   # the escaped character is no group, class or alternative
        elif in_class:
            in_class = character != "]"
        elif character == "[":
            in_class = True
            if pattern[index + 1:index + 2] == "]":
                index += 1   # ``[]...]``: a ``]`` first in a class is one of its characters
        elif character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
        elif character == "|" and depth == 0:
            return ""
        index += 1
    head = 0
    while head < len(pattern) and pattern[head] in _LITERAL:
        head += 1
    if pattern[head:head + 1] in ("?", "*", "+", "{"):
        head -= 1   # ``llama-?2``: the ``-`` is optional
    return pattern[:max(head, 0)]


@dataclass(frozen=True)
class Family:
    """A family's reviewed name patterns (compiled on first use: ~70 patterns cost ~4 ms to
    compile, and identifying a listed checkpoint rarely needs them)."""

    family: str
    model_type: str
    names: Tuple[str, ...]  # patterns the whole normalised name must match
    variants: Tuple[Tuple[str, str], ...]  # (pattern searched in the name, variant)
    confidence: str
    # model_types of sub-configs the family's checkpoints all use (SmolVLM's text_config is a
    # llama): without them a composite model_type's names are incomplete
    sub_model_types: Tuple[Tuple[str, str], ...] = ()

    def matches(self, name: str) -> bool:
        return any(name.startswith(_literal_head(pattern)) and _pattern(pattern).fullmatch(name)
                   for pattern in self.names)

    @property
    def has_instruct(self) -> bool:
        """The family's naming has an instruct/chat variant (so a base name has a sibling)."""
        return any(variant == "instruct" for _, variant in self.variants)

    def variant(self, name: str) -> Optional[str]:
        for pattern, variant in self.variants:
            if _pattern(pattern).search(name):
                return variant
        return None


@dataclass(frozen=True)
class ModelIdentity:
    """A model id identified at least by architecture. ``match`` is set when the checkpoint
    is in the table (sizes, shapes and hub ids known); otherwise only the family is."""

    model_id: str
    model_type: str
    family: str
    variant: Optional[str]  # "base", "instruct" or None (unknown)
    how: str  # CATALOG, CONFIG or FAMILY_NAME
    match: Optional[ModelMatch]
    architecture: Optional[Architecture] = None  # measured names (catalog or config.json)
    sub_model_types: Tuple[Tuple[str, str], ...] = ()  # e.g. (("text_config", "llama"),)
    instruct_exists: bool = False  # known by family: the family names instruct checkpoints

    def module_names(self, transformers_major: Optional[int] = None) -> Optional[ModuleNames]:
        return module_names(self.model_type, transformers_major, self.sub_model_types)


# The model_types of the families of ``data/model_families.json`` that name sub-model types
# (``sub_models``): only a listed checkpoint of one of these needs the families at all
# (``identity_of_match``). Written out: parsing the file's 30 KB and building its ~50 families
# cost ~2 M instructions on the first identification of a process (issue 13, per save);
# tests/test_model_identification.py holds it equal to the data.
COMPOSITE_MODEL_TYPES = frozenset(("idefics3", "llava", "mistral3", "smolvlm"))


@functools.lru_cache(maxsize=1)
def families() -> Tuple[Family, ...]:
    from . import model_families_document

    document = model_families_document()
    return tuple(
        Family(
            family=item["family"],
            model_type=item["model_type"],
            names=tuple(item["names"]),
            variants=tuple((rule, variant) for rule, variant in item["variants"]),
            confidence=item["confidence"],
            sub_model_types=tuple(sorted(item.get("sub_models", {}).items())),
        )
        for item in document["families"])


def family_of(name: str) -> Optional[Family]:
    """The one family whose pattern the normalised name matches; None for none, and for names
    that families of different model_types claim (never a guess across families)."""
    found: List[Family] = [f for f in families() if f.matches(name)]
    if not found or len({f.model_type for f in found}) > 1:
        return None
    return found[0]


def identity_of_match(model_id: str, match: ModelMatch) -> ModelIdentity:
    """The identity of an id the checkpoint table lists (or a config.json with sizes)."""
    model_type = match.architecture.model_type if match.architecture else match.entry.model_type
    # a composite checkpoint (SmolVLM's idefics3) takes its language model's type from its family
    sub_model_types: Tuple[Tuple[str, str], ...] = ()
    name = normalised_name(match.hub_id.rsplit("/", 1)[-1]) if model_type in COMPOSITE_MODEL_TYPES else ""
    if name and any(f.sub_model_types and f.model_type == model_type and f.matches(name)
                    for f in families()):  # only then can family_of's answer matter: all patterns tried
        family = family_of(name)
        sub_model_types = family.sub_model_types if family and family.model_type == model_type \
            else ()
    return ModelIdentity(model_id, model_type, match.entry.family, match.variant, CATALOG, match,
                         match.architecture, sub_model_types=sub_model_types)


def identity_of_names(model_id: str, architecture: Architecture) -> ModelIdentity:
    """A model whose config.json names a model_type whose names are known, without sizes."""
    return ModelIdentity(model_id, architecture.model_type, "", None, CONFIG, None, architecture)


@functools.lru_cache(maxsize=1024)
def identify(model_id: str) -> Optional[ModelIdentity]:
    """The identity of a hub id or local path, or None when neither the checkpoint table nor a
    family name pattern knows it."""
    if not isinstance(model_id, str):
        return None
    match = lookup(model_id)
    if match is not None:
        return identity_of_match(model_id, match)
    parsed = _parse(model_id)
    if parsed is None:
        return None
    name = normalised_name(parsed[1])
    family = family_of(name)
    if family is None:
        return None
    return ModelIdentity(model_id, family.model_type, family.family, family.variant(name),
                         FAMILY_NAME, None, sub_model_types=family.sub_model_types,
                         instruct_exists=family.has_instruct)


@functools.lru_cache(maxsize=1)
def _tokenizer_families() -> Tuple[Tuple[Tuple[Pattern[str], ...], FrozenSet[str]], ...]:
    from . import _data_text

    document = json.loads(_data_text("tokenizer_tokens.json"))
    return tuple((tuple(re.compile(pattern) for pattern in item["names"]), frozenset(item["tokens"]))
                 for item in document["families"])


@functools.lru_cache(maxsize=256)
def existing_tokens(model_id: str) -> Optional[FrozenSet[str]]:
    """Special/chat tokens the tokenizer of ``model_id`` already has (``data/tokenizer_tokens.json``);
    None when its tokenizer family is not recorded (then any configured token may be new)."""
    parsed = _parse(model_id) if isinstance(model_id, str) else None
    if parsed is None:
        return None
    name = normalised_name(parsed[1])
    found = {tokens for patterns, tokens in _tokenizer_families()
             if any(pattern.fullmatch(name) for pattern in patterns)}
    return found.pop() if len(found) == 1 else None
