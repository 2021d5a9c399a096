"""Derive the keywords transformers' and TRL's training-argument classes accept, per release.

Reads the sources *statically* (``ast``; nothing is imported or executed) and writes
``lora_lint_plugin/catalog/data/training_arguments.json`` for LOR507:

* transformers: the ``init`` fields of ``TrainingArguments`` and ``Seq2SeqTrainingArguments``
  (``transformers/training_args.py``, ``training_args_seq2seq.py``) in every release given
  (one wheel or sdist per minor release: its last patch);
* TRL: the ``init`` fields of ``SFTConfig``, ``DPOConfig``, ``ORPOConfig``, ``KTOConfig``,
  ``CPOConfig``, ``GRPOConfig`` and ``RewardConfig`` with those of TRL's own bases
  (``_BaseConfig``), wherever the release defines them (``trl/trainer/`` or
  ``trl/experimental/``); the fields they inherit from ``TrainingArguments`` come from the
  transformers side.

Per class, each field is written with the range of the given releases that have it
(``[first, last]``; more than one range if it came back). A field whose last release is older
than the newest given is a removal: the first given release without it is written as the
removal (``major.minor``, since releases are read per minor). The renames whose new name does
the same are reviewed by hand (``RENAMES`` below, each with what was read) and merged in.

Usage (TRL tags from a bare clone, newer TRL and all transformers releases from PyPI wheels)::

    python dev/derive_training_arguments.py \\
        --transformers DIR/transformers-4.30.2-py3-none-any.whl ... \\
        --trl /m/trl.git@v0.8.6 ... --trl DIR/trl-1.16.0-py3-none-any.whl \\
        -o lora_lint_plugin/catalog/data/training_arguments.json
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from derive_config_keys import Resolver, SourceTree, load_tree  # noqa: E402

from packaging.version import Version  # noqa: E402

TRANSFORMERS_CLASSES = {
    "TrainingArguments": ("transformers.training_args", "TrainingArguments"),
    "Seq2SeqTrainingArguments": ("transformers.training_args_seq2seq", "Seq2SeqTrainingArguments"),
}
TRL_CLASSES = ("SFTConfig", "DPOConfig", "ORPOConfig", "KTOConfig", "CPOConfig", "GRPOConfig",
               "RewardConfig")

# Removed keywords whose replacement does the same, read in the last release that accepts the
# old name (it copies the old value into the new field and warns).
RENAMES: Dict[str, Dict[str, Dict[str, str]]] = {
    "TrainingArguments": {
        "evaluation_strategy": {
            "replacement": "eval_strategy",
            "since": "4.41",
            "source": "transformers 4.41.0-4.50.3 training_args.py __post_init__: "
                      "'if self.evaluation_strategy is not None: ... self.eval_strategy = "
                      "self.evaluation_strategy' with a FutureWarning; eval_strategy added in 4.41.0",
        },
        "no_cuda": {
            "replacement": "use_cpu",
            "since": "4.32",
            "source": "transformers 4.32.1-4.57.6 training_args.py __post_init__: "
                      "'if self.no_cuda: ... self.use_cpu = self.no_cuda' with a FutureWarning; "
                      "use_cpu added in 4.32",
        },
    },
}


def _release(version: str) -> str:
    parsed = Version(version)
    return f"{parsed.major}.{parsed.minor}"


def _fields(resolver: Resolver, ref: Tuple[str, str]) -> Set[str]:
    found = resolver.find_class(*ref)
    if found is None:
        return set()
    _tree, _module, node = found
    if any(isinstance(s, ast.FunctionDef) and s.name == "__init__" for s in node.body):
        raise SystemExit(f"{ref} defines __init__: its keywords are not its fields")
    return resolver.fields(ref, dataclass_only=True)


def _trl_class_ref(tree: SourceTree, name: str) -> Optional[Tuple[str, str]]:
    owners = sorted(m for m in tree.modules if f"class {name}(" in tree.modules[m])
    if not owners:
        return None
    if len(owners) > 1:  # a deprecated re-definition: the one under trl.trainer wins
        owners = [m for m in owners if m.startswith("trl.trainer.")] or owners
    return owners[0], name


def _ranges(present: Sequence[bool], versions: Sequence[str]) -> List[List[str]]:
    ranges: List[List[str]] = []
    start: Optional[int] = None
    for index, has in enumerate(list(present) + [False]):
        if has and start is None:
            start = index
        elif not has and start is not None:
            ranges.append([versions[start], versions[index - 1]])
            start = None
    return ranges


def _table(per_version: Dict[str, Optional[Set[str]]]) -> dict:
    """Fields with their ranges, and the removals, from each release's field set (None: the
    release does not have the class)."""
    versions = sorted(per_version, key=Version)
    having = [v for v in versions if per_version[v] is not None]
    names = sorted(set().union(*(per_version[v] or set() for v in having)))
    fields = {name: _ranges([name in (per_version[v] or set()) for v in having], having)
              for name in names}
    removed = {}
    for name, spans in fields.items():
        last = spans[-1][1]
        if last != having[-1]:
            following = having[having.index(last) + 1]
            removed[name] = {"last_accepted": last, "removed": _release(following)}
    return {"first": having[0], "last": having[-1], "fields": fields, "removed": removed}


def transformers_tables(specs: Sequence[str]) -> Tuple[dict, List[str]]:
    per_class: Dict[str, Dict[str, Optional[Set[str]]]] = {name: {} for name in TRANSFORMERS_CLASSES}
    sources = []
    for spec in specs:
        tree = load_tree(spec, "transformers")
        assert tree.version is not None, spec
        resolver = Resolver([tree])
        base = _fields(resolver, TRANSFORMERS_CLASSES["TrainingArguments"])
        per_class["TrainingArguments"][tree.version] = base
        extra = _fields(resolver, TRANSFORMERS_CLASSES["Seq2SeqTrainingArguments"]) - base
        per_class["Seq2SeqTrainingArguments"][tree.version] = extra
        sources.append(tree.description)
    tables = {name: _table(versions) for name, versions in per_class.items()}
    tables["Seq2SeqTrainingArguments"]["base"] = "TrainingArguments"
    tables["Seq2SeqTrainingArguments"]["removed"] = {}  # its own fields never left
    for name, renames in RENAMES.items():
        for old, rename in renames.items():
            if old in tables[name]["removed"]:   # (a test's sources may not have it)
                tables[name]["removed"][old].update(rename)
    return tables, sources


def trl_tables(specs: Sequence[str]) -> Tuple[dict, List[str]]:
    per_class: Dict[str, Dict[str, Optional[Set[str]]]] = {name: {} for name in TRL_CLASSES}
    sources = []
    for spec in specs:
        tree = load_tree(spec, "trl")
        assert tree.version is not None, spec
        resolver = Resolver([tree])
        for name in TRL_CLASSES:
            ref = _trl_class_ref(tree, name)
            per_class[name][tree.version] = _fields(resolver, ref) if ref else None
        sources.append(tree.description)
    tables = {}
    for name, versions in per_class.items():
        if all(fields is None for fields in versions.values()):
            continue   # no given release defines it
        table = _table(versions)
        table["base"] = "TrainingArguments"
        table["removed"] = {}  # TRL's own removals are LOR505's (peft_lora_config.json)
        tables[name] = table
    return tables, sources


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transformers", action="append", required=True)
    parser.add_argument("--trl", action="append", required=True)
    parser.add_argument("-o", "--output", required=True)
    options = parser.parse_args(argv)
    transformers, transformers_sources = transformers_tables(options.transformers)
    trl, trl_sources = trl_tables(options.trl)
    data = {
        "schema_version": 1,
        "description": (
            "Keywords of the training-argument classes, per release, for LOR507: each field with "
            "the ranges of the read releases that accept it ([first, last]); 'removed': fields a "
            "later release dropped ('removed' = the first release without it, major.minor), with "
            "the reviewed 'replacement' when the new name does the same. A TRL config also accepts "
            "every field of its 'base' (transformers' TrainingArguments of the installed "
            "transformers). Generated by dev/derive_training_arguments.py; not edited by hand."),
        "reported_when_removed_by": {"transformers": "5.0"},
        "reported_when_removed_by_reason": (
            "lora-lint does not know the installed transformers version: without a pin, a removal "
            "is reported only when no 5.x release accepts the keyword (as LOR505 does for TRL 1.x); "
            "a later removal only when the pins allow no release before it"),
        "extra_keywords": {
            "UnslothTrainingArguments": {
                "base": "TrainingArguments",
                "keywords": ["embedding_learning_rate", "q_galore_config", "loraplus_lr_ratio",
                             "context_parallel_size", "context_parallel_backend",
                             "context_parallel_rotate_method"],
                "source": "unsloth 2026.10.9 wheel, unsloth/trainer.py: UnslothTrainingArguments("
                          "TrainingArguments).__init__ parameters and the keywords it pops from "
                          "**kwargs; not checked by LOR507 (Unsloth may patch the classes), "
                          "listed for review",
            },
        },
        "source": {
            "transformers": transformers_sources,
            "trl": trl_sources,
        },
        "libraries": {
            "transformers": {name: transformers[name] for name in TRANSFORMERS_CLASSES},
            "trl": trl,
        },
    }
    Path(options.output).write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
