"""Which callees lora-lint models: qualified name -> (role, canonical name, library).

A callee is recognised by the library its name is imported from and its last component
(``trl.trainer.dpo_trainer.DPOTrainer`` and ``trl.DPOTrainer`` alike); loader classes by
name or by the naming pattern of their library (``transformers.LlamaForCausalLM``). The lists
are facts about the libraries, kept in ``catalog/data/linking.json`` and read on first use
(only files that pass the text prefilter get here). Kept free of LibCST so the cheap candidate
gate (``prefilter.has_candidate_call``) can ask the same question the extractor asks.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Optional, Tuple

from .model import MODEL_LOAD, UNSLOTH_PEFT

if TYPE_CHECKING:
    from typing_extensions import TypeAlias

Classified: TypeAlias = "Tuple[str, str, str]"   # (role, canonical name, library)

# Methods of a loader class lora-lint models (``Loader.from_pretrained(...)``, and Unsloth's
# ``Loader.get_peft_model(model, ...)``).
LOADER_METHODS = ("from_pretrained", "get_peft_model")


# Plain classes with __slots__, not data classes: made once per process from linking.json,
# never compared or printed, and building a data class costs ~0.08 M instructions.


class LoaderClasses:
    """The loader classes of one library: listed by name, or by name prefix/suffix."""

    __slots__ = ("role", "names", "prefixes", "suffixes", "adapter_method", "same_as")

    def __init__(self, role: str, names: FrozenSet[str], prefixes: Tuple[str, ...],
                 suffixes: Tuple[str, ...], adapter_method: Optional[str],
                 same_as: Optional[str] = None) -> None:
        self.role = role
        self.names = names
        self.prefixes = prefixes
        self.suffixes = suffixes
        self.adapter_method = adapter_method  # the loader's own LoRA method (Unsloth's get_peft_model)
        # the library whose classes these re-export (ModelScope's AutoModel* are transformers')
        self.same_as = same_as

    def matches(self, class_name: str) -> bool:
        return class_name in self.names or class_name.startswith(self.prefixes) \
            or class_name.endswith(self.suffixes)


class PassThrough:
    """A function that returns the model passed to it (``result_index``: its place in the
    returned tuple; None when the model itself is returned)."""

    __slots__ = ("model_position", "model_keyword", "result_index")

    def __init__(self, model_position: int, model_keyword: str, result_index: Optional[int]) -> None:
        self.model_position = model_position
        self.model_keyword = model_keyword
        self.result_index = result_index


class LinkingFacts:
    """What ``data/linking.json`` says about the libraries' calls."""

    __slots__ = ("modelled_calls", "positional_parameters", "loader_classes",
                 "pass_through_functions", "self_returning_methods", "preparing_methods",
                 "argument_fields")

    def __init__(self, modelled_calls: Dict[Tuple[str, str], str],
                 positional_parameters: Dict[str, Tuple[str, ...]],
                 loader_classes: Dict[str, LoaderClasses],
                 pass_through_functions: Dict[Tuple[str, str], PassThrough],
                 self_returning_methods: FrozenSet[str],
                 preparing_methods: FrozenSet[Tuple[str, str, str]],
                 argument_fields: Dict[Tuple[str, str], str]) -> None:
        self.modelled_calls = modelled_calls                  # (library, name) -> role
        self.positional_parameters = positional_parameters    # canonical name -> parameter names
        self.loader_classes = loader_classes                  # library -> its loader classes
        self.pass_through_functions = pass_through_functions  # (root, last name) -> fact
        self.self_returning_methods = self_returning_methods
        self.preparing_methods = preparing_methods            # (root, class, method)
        # (argument class, field) -> the field's type, for libraries' argument dataclasses
        self.argument_fields = argument_fields

    def pass_through(self, qualified_name: str) -> Optional[PassThrough]:
        parts = qualified_name.split(".")
        return self.pass_through_functions.get((parts[0], parts[-1]))

    def prepares(self, class_name: str, method: str) -> bool:
        """``class_name(...).method(a, b)`` returns ``(a, b)`` (or ``a`` alone)."""
        parts = class_name.split(".")
        return (parts[0], parts[-1], method) in self.preparing_methods


@functools.lru_cache(maxsize=4096)
def classify(qualified_name: str) -> Optional[Classified]:
    """(role, canonical name, library) of a callee, or None if lora-lint does not model it."""
    parts = qualified_name.split(".")
    return _modelled_call(parts) or _loader_method(parts)


def _modelled_call(parts: List[str]) -> Optional[Classified]:
    """A function or class listed by name (``peft.LoraConfig``, ``trl.SFTTrainer``)."""
    root, last = parts[0], parts[-1]
    role = linking_facts().modelled_calls.get((root, last))
    return (role, last, root) if role is not None else None


def _loader_method(parts: List[str]) -> Optional[Classified]:
    """``Loader.from_pretrained`` / Unsloth's ``Loader.get_peft_model`` of a loader class."""
    if len(parts) < 2 or parts[-1] not in LOADER_METHODS:
        return None
    root, owner, method = parts[0], parts[-2], parts[-1]
    loaders = linking_facts().loader_classes.get(root)
    if loaders is None or not loaders.matches(owner):
        return None
    root = loaders.same_as or root
    if method == "from_pretrained":
        return loaders.role, f"{_canonical_loader(root, owner)}.from_pretrained", root
    if method == loaders.adapter_method:
        return UNSLOTH_PEFT, f"{owner}.{method}", root
    return None


def _canonical_loader(library: str, owner: str) -> str:
    """PEFT's loaders share two names (the positional parameters differ between them)."""
    if library == "peft":
        return "AutoPeftModel" if owner.startswith("AutoPeftModel") else "PeftModel"
    return owner


def is_model_loader(classified: Optional[Classified]) -> bool:
    return classified is not None and classified[0] == MODEL_LOAD


@functools.lru_cache(maxsize=1)
def linking_facts() -> LinkingFacts:
    from ..catalog import _data_text

    data = json.loads(_data_text("linking.json"))
    modelled = {(library, name): role
                for library, calls in data["modelled_calls"].items() if library != "source"
                for name, role in calls.items()}
    loaders = {library: _loader_classes(entry)
               for library, entry in data["loader_classes"].items() if library != "source"}
    functions = {}
    for name, fact in data["pass_through_functions"].items():
        parts = name.split(".")
        functions[(parts[0], parts[-1])] = PassThrough(
            fact["model_position"], fact["model_keyword"], fact["result_index"])
    preparing = set()
    for name in data["preparing_methods"]:
        parts = name.split(".")
        preparing.add((parts[0], parts[-2], parts[-1]))
    positional = {name: tuple(parameters)
                  for name, parameters in data["positional_parameters"].items()
                  if name != "source"}
    fields = {(cls, name): kind for cls, entry in data["argument_classes"].items()
              if cls != "source" for name, kind in entry.items()}
    return LinkingFacts(modelled, positional, loaders, functions,
                        frozenset(data["self_returning_methods"]["names"]), frozenset(preparing),
                        fields)


def _loader_classes(entry: Dict[str, Any]) -> LoaderClasses:
    return LoaderClasses(entry["role"], frozenset(entry.get("names", ())),
                         tuple(entry.get("prefixes", ())), tuple(entry.get("suffixes", ())),
                         entry.get("adapter_method"), entry.get("same_as"))
