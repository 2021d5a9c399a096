"""Build ``lora_lint_plugin/catalog/data/models.json`` from the reviewed facts in ``dev/catalog_facts.json``.

Development tool: needs torch and transformers (and peft for ``--verify``); lora-lint never imports
it. The facts file holds, per checkpoint, only what a Hub ``config.json`` says (dimensions,
``model_type``, tying) plus hub ids, notes and sources. Everything derived -- the module list with
paths, shapes, bias and counts, the embedding and output modules, ``hf_architectures`` -- comes
from a model skeleton that transformers builds on the meta device from those values
(``AutoConfig.for_model(model_type, **values)``), so it is exactly what PEFT's ``target_modules``
matching sees. Model types that need ``trust_remote_code`` cannot be built that way: their module
layout is a template in the facts file, read from the checkpoint's own modeling code and
evaluated here with the entry's config values (those entries say ``"confidence": "remote-code"``).

Entries already in ``models.json`` whose key is not in the facts file are kept unchanged (the
originally measured checkpoints, verified under two transformers/PEFT stacks). New model types are
added to ``architectures.json`` the same way (existing ones are never rewritten).

Usage::

    python dev/build_catalog.py            # rewrite models.json / architectures.json
    python dev/build_catalog.py --check    # exit 1 if the committed files differ from a rebuild
    python dev/build_catalog.py --verify   # also count LoRA parameters with PEFT for every entry
"""

from __future__ import annotations

import argparse
import ast
import json
import operator
import os
import re
import sys
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
FACTS = ROOT / "dev" / "catalog_facts.json"
DATA = ROOT / "lora_lint_plugin" / "catalog" / "data"
MODELS = DATA / "models.json"
ARCHITECTURES = DATA / "architectures.json"

Json = Dict[str, Any]
CONFIG_FIELDS = (
    "vocab_size", "embedding_rows", "hidden_size", "intermediate_size", "num_hidden_layers",
    "num_attention_heads", "num_key_value_heads", "head_dim", "tie_word_embeddings",
    "max_position_embeddings", "sliding_window",
)


def load_facts(path: Path = FACTS) -> Json:
    return json.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- transformers configs


def transformers_kwargs(fact: Json, type_info: Json) -> Json:
    """Keyword arguments for ``AutoConfig.for_model``: the catalog fields under the model type's
    own names (``n_embd`` for GPT-2 ...), then the fact's extra ``transformers_config`` values."""
    renames = type_info.get("config_names", {})
    skip = set(type_info.get("config_skip", []))
    kwargs: Json = {}
    for field in CONFIG_FIELDS:
        if field in fact["config"] and field not in ("embedding_rows",) and field not in skip:
            kwargs[renames.get(field, field)] = fact["config"][field]
    moe = type_info.get("moe")
    if moe is not None:
        for field, name in moe["config_names"].items():
            kwargs[name] = fact["moe"][field]
    kwargs.update(type_info.get("transformers_config", {}))
    kwargs.update(fact.get("transformers_config", {}))
    if type_info.get("text_config"):
        # a composite (vision-language) model: the language model's values live in text_config,
        # tying stays at the root (transformers 5), the vision tower's in vision_config
        text = {k: v for k, v in kwargs.items() if k != "tie_word_embeddings"}
        kwargs = {"text_config": text, "vision_config": dict(fact.get("vision_config", {}))}
        kwargs["tie_word_embeddings"] = fact["config"]["tie_word_embeddings"]
        kwargs.update(fact.get("composite_config", {}))
    return kwargs


def build_skeleton(fact: Json, type_info: Json) -> Any:
    """The checkpoint's model on the meta device (no weights are allocated)."""
    import torch
    import transformers

    config = transformers.AutoConfig.for_model(fact["model_type"], **transformers_kwargs(fact, type_info))
    auto = getattr(transformers, type_info.get("auto_class", "AutoModelForCausalLM"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.device("meta"):
            return auto.from_config(config)


# --------------------------------------------------------------------------- module tables

_INDEX = re.compile(r"\.\d+(?=\.|$)")


def _module_rows(model: Any) -> List[Tuple[str, str, int, int, bool]]:
    """(path with * for indices, type, in, out, bias) for every module PEFT can put LoRA on."""
    import torch.nn as nn
    from transformers.pytorch_utils import Conv1D

    rows = []
    for name, module in model.named_modules():
        if isinstance(module, nn.Embedding):
            row = ("Embedding", module.num_embeddings, module.embedding_dim, False)
        elif isinstance(module, nn.Linear):
            row = ("Linear", module.in_features, module.out_features, module.bias is not None)
        elif isinstance(module, Conv1D):
            row = ("Conv1D", module.weight.shape[0], module.nf, module.bias is not None)
        else:
            continue
        rows.append((_INDEX.sub(".*", name),) + row)
    return rows


def _module_path(model: Any, target: Any) -> Optional[str]:
    for name, module in model.named_modules():
        if module is target:
            return _INDEX.sub(".*", name)
    return None


def group_modules(rows: List[Tuple[str, str, int, int, bool]], output_path: str, embedding_path: str) -> List[Json]:
    """One entry per (path, type, shape, bias) with its count; output and input embeddings first."""
    counts: "OrderedDict[Tuple[str, str, int, int, bool], int]" = OrderedDict()
    for row in rows:
        counts[row] = counts.get(row, 0) + 1

    def order(key: Tuple[str, str, int, int, bool]) -> Tuple[int, str]:
        path = key[0]
        return (0 if path == output_path else 1 if path == embedding_path else 2, path)

    return [
        {"name": path.rsplit(".", 1)[-1], "path": path, "type": kind, "in_features": fin,
         "out_features": fout, "bias": bias, "count": counts[(path, kind, fin, fout, bias)]}
        for (path, kind, fin, fout, bias) in sorted(counts, key=order)
    ]


def _fused_expert_parameters(model: Any) -> List[Json]:
    """3-D expert tensors (transformers 5 fuses MoE experts), grouped by path pattern."""
    counts: "OrderedDict[Tuple[str, Tuple[int, ...]], int]" = OrderedDict()
    for name, parameter in model.named_parameters():
        if parameter.dim() == 3:
            key = (_INDEX.sub(".*", name), tuple(parameter.shape))
            counts[key] = counts.get(key, 0) + 1
    return [OrderedDict([("param", path), ("shape", list(shape)), ("count", count)])
            for (path, shape), count in counts.items()]


def moe_block(fact: Json, type_info: Json, fused: List[Json]) -> Json:
    """The entry's ``moe`` object: sizes from the facts, fused tensors from the skeleton."""
    moe = type_info["moe"]
    block: Json = OrderedDict()
    for field in ("num_experts", "num_experts_per_tok", "expert_intermediate_size"):
        block[field] = fact["moe"][field]
    for field in ("router", "experts_transformers_4", "experts_transformers_5"):
        block[field] = moe[field]
    block["fused_expert_parameters"] = fused
    block["peft_rewrites_mlp_targets_to_parameters"] = moe["peft_rewrites_mlp_targets_to_parameters"]
    return block


def transformers_4_moe_modules(fact: Json, type_info: Json, modules: List[Json]) -> List[Json]:
    """transformers 4 keeps experts (and the router) as nn.Linear: the 5.x table plus those rows."""
    extra = template_modules(fact, {"modules": type_info["moe"]["transformers_4_modules"]})
    rows = modules + extra
    head = [m for m in rows[:2]]
    return head + sorted(rows[2:], key=lambda m: m["path"])


# --------------------------------------------------------------------------- remote-code templates

_OPS: Dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
}


def evaluate(expression: Any, values: Json) -> Any:
    """An integer, a config field name, or + - * // over them (templates only; nothing else)."""
    if isinstance(expression, (int, bool)):
        return expression

    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            return values[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        raise ValueError("unsupported template expression: %r" % expression)

    return walk(ast.parse(str(expression), mode="eval"))


def template_values(fact: Json) -> Json:
    values = dict(fact["config"])
    values.update(fact.get("moe", {}))
    values.update(fact.get("template_values", {}))
    values.setdefault("embedding_rows", values["vocab_size"])
    return values


def template_modules(fact: Json, template: Json) -> List[Json]:
    values = template_values(fact)
    modules = []
    for row in template["modules"]:
        name, path, kind, fin, fout, bias, count = row
        modules.append({"name": name, "path": path, "type": kind, "in_features": evaluate(fin, values),
                        "out_features": evaluate(fout, values), "bias": bool(evaluate(bias, values)),
                        "count": evaluate(count, values)})
    return modules


# --------------------------------------------------------------------------- entries


def _module_by_path(modules: List[Json], path: str) -> Optional[Json]:
    return next((m for m in modules if m["path"] == path), None)


def _output_shape(modules: List[Json], output_path: str, values: Json) -> List[int]:
    """(vocabulary, input width) of the output head: measured when the skeleton has it as a
    module (OPT-350m projects 1024 -> 512 before its head), else from the config."""
    head = _module_by_path(modules, output_path)
    if head is not None and head["type"] != "Embedding":
        return [head["out_features"], head["in_features"]]
    return [values["vocab_size"], values["hidden_size"]]


def derive(fact: Json, facts: Json) -> Json:
    """Module table, embedding/output modules and architecture name for one checkpoint."""
    type_info = facts["model_types"][fact["model_type"]]
    template = type_info.get("remote_code")
    fused: List[Json] = []
    if template is not None:
        modules = template_modules(fact, template)
        embedding_path, output_path = template["embedding"], template["output"]
        architectures = template["hf_architectures"]
    else:
        model = build_skeleton(fact, type_info)
        embedding_path = _module_path(model, model.get_input_embeddings())
        output_path = _module_path(model, model.get_output_embeddings())
        modules = group_modules(_module_rows(model), output_path, embedding_path)
        architectures = [type(model).__name__]
        fused = _fused_expert_parameters(model)
    values = template_values(fact)
    embedding = _module_by_path(modules, embedding_path)
    if embedding is None or embedding["type"] != "Embedding":
        raise ValueError("%s: no embedding module at %s" % (fact["key"], embedding_path))
    if embedding["in_features"] != values["embedding_rows"]:
        raise ValueError("%s: embedding rows %s != config %s"
                         % (fact["key"], embedding["in_features"], values["embedding_rows"]))
    output_name = template["output_name"] if template is not None else output_path.rsplit(".", 1)[-1]
    return {
        "modules": modules,
        "embedding_module": {"name": embedding["name"], "path": embedding_path,
                             "shape": [embedding["in_features"], embedding["out_features"]]},
        "output_module": {"name": output_name, "path": output_path,
                          "shape": _output_shape(modules, output_path, values),
                          "tied_to_embedding": bool(values["tie_word_embeddings"])},
        "hf_architectures": architectures,
        "fused_expert_parameters": fused,
    }


def build_entry(fact: Json, facts: Json) -> Json:
    type_info = facts["model_types"][fact["model_type"]]
    derived = derive(fact, facts)
    config = OrderedDict((k, fact["config"][k]) for k in CONFIG_FIELDS if k in fact["config"])
    remote = type_info.get("remote_code") is not None
    confidence = "remote-code" if remote else fact.get("confidence", "high")
    source = list(fact["source"])
    if remote:
        source.append(type_info["remote_code"]["source"])
    else:
        source.append("module names and shapes: model skeleton built on the meta device by dev/build_catalog.py "
                      "(transformers %s)" % facts["built_with"]["transformers"])
    entry: Json = OrderedDict()
    entry["key"] = fact["key"]
    entry["family"] = fact["family"]
    entry["size"] = fact["size"]
    entry["model_type"] = fact["model_type"]
    entry["hf_architectures"] = derived["hf_architectures"]
    entry["config"] = config
    if fact.get("vision_config"):
        entry["vision_config"] = OrderedDict(fact["vision_config"])
    entry["linear_modules"] = derived["modules"]
    if type_info.get("moe") is not None:
        if type_info["moe"]["transformers_4_modules"] is not None:  # None: a model type transformers 4 lacks
            entry["linear_modules_transformers_4"] = transformers_4_moe_modules(fact, type_info, derived["modules"])
        entry["moe"] = moe_block(fact, type_info, derived["fused_expert_parameters"])
    renames = type_info.get("transformers_4_renames")
    if renames:  # same shapes, other leaf names under transformers 4 (GPT-NeoX's embed_out)
        entry["linear_modules_transformers_4"] = [
            OrderedDict(m, name=renames.get(m["name"], m["name"]),
                        path=".".join(renames.get(part, part) for part in m["path"].split(".")))
            for m in derived["modules"]]
    shared_in_4 = set(type_info.get("transformers_4_shared_modules", []))
    if shared_in_4:  # one module object under two names in transformers 4: PEFT sees the first
        entry["linear_modules_transformers_4"] = [
            m for m in entry.get("linear_modules_transformers_4", derived["modules"]) if m["path"] not in shared_in_4]
    entry["standard_target_modules"] = list(fact.get("standard_target_modules",
                                                     type_info["standard_target_modules"]))
    entry["embedding_module"] = derived["embedding_module"]
    entry["output_module"] = derived["output_module"]
    hub_ids: Json = OrderedDict()
    for variant in ("base", "instruct"):
        ids = fact["hub_ids"].get(variant)
        hub_ids[variant] = None if ids is None else OrderedDict(
            [("original", ids.get("original")), ("aliases", list(ids.get("aliases", []))),
             ("unsloth", list(ids.get("unsloth", [])))])
    if fact["hub_ids"].get("distilled_from"):
        hub_ids["distilled_from"] = fact["hub_ids"]["distilled_from"]
    entry["hub_ids"] = hub_ids
    entry["chat_tokens_untrained_in_base"] = bool(fact.get("chat_tokens_untrained_in_base", False))
    entry["architecture_overrides"] = []
    entry["confidence"] = confidence
    entry["notes"] = list(fact.get("notes", [])) + list(type_info.get("notes", []))
    entry["source"] = source
    return entry


# --------------------------------------------------------------------------- architectures


def architecture_entry(model_type: str, entries: List[Json], facts: Json) -> Json:
    """A new ``architectures.json`` item from the entries of that model type."""
    type_info = facts["model_types"][model_type]
    # a module known only by its index in a Sequential (Qwen2-VL's merger.mlp.0) has no leaf name
    leaves = sorted({m["name"] for e in entries for m in e["linear_modules"]
                     if m["type"] != "Embedding" and m["name"] != "*"})
    embeddings = sorted({m["name"] for e in entries for m in e["linear_modules"] if m["type"] == "Embedding"})
    first = entries[0]
    llama_names = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    remote = type_info.get("remote_code") is not None
    item: Json = OrderedDict()
    item["linear_leaves"] = leaves
    item["embedding_leaves"] = embeddings
    item["linear_leaves_transformers_4"] = type_info.get("linear_leaves_transformers_4")
    item["input_embedding"] = first["embedding_module"]["name"]
    item["output_embedding"] = first["output_module"]["name"]
    if "peft_default_target_modules" in type_info:
        item["peft_default_target_modules"] = type_info["peft_default_target_modules"]
    else:
        from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as defaults

        item["peft_default_target_modules"] = defaults.get(model_type)
    # routed experts fused into 3-D parameters (transformers 5) that target_modules cannot reach
    fused = [p["param"].rsplit(".", 1)[-1] for e in entries
             for p in (e.get("moe") or {}).get("fused_expert_parameters", [])]
    item["moe"] = type_info.get("moe") is not None
    item["moe_expert_parameters"] = list(dict.fromkeys(fused))
    item["tied_by_default"] = bool(type_info.get("tied_by_default", False))
    item["llama_style_names"] = llama_names <= set(leaves)
    item["confidence"] = "remote-code" if remote else "high"
    item["source"] = (type_info["remote_code"]["source"] if remote else
                      "measured: model skeletons of the catalog's checkpoints built on the meta device by "
                      "dev/build_catalog.py (transformers %s)" % facts["built_with"]["transformers"])
    item["source"] += "; default targets: %s" % facts["built_with"]["peft_default_targets"]
    if type_info.get("architecture_notes"):
        item["notes"] = list(type_info["architecture_notes"])
    return item


# --------------------------------------------------------------------------- JSON layout


def _inline(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _entry_text(entry: Json, indent: str) -> str:
    """One model entry: scalars and flat values inline, module lists one module per line."""
    inner = indent + "  "
    lines = []
    for key, value in entry.items():
        if key in ("linear_modules", "linear_modules_transformers_4") or (
                isinstance(value, list) and value and isinstance(value[0], (dict, str)) and key != "hf_architectures"
                and key != "standard_target_modules" and key != "ids"):
            if key in ("architecture_overrides",):
                items = [_entry_text(v, inner + "  ") for v in value]
                text = "[\n" + ",\n".join(inner + "  " + i for i in items) + "\n" + inner + "]"
            else:
                text = "[\n" + ",\n".join(inner + "  " + _inline(v) for v in value) + "\n" + inner + "]"
        elif isinstance(value, dict) and key in ("config", "hub_ids", "moe", "vision_config"):
            parts = []
            for k, v in value.items():
                if isinstance(v, dict) and key == "moe" and k == "fused_expert_parameters":
                    parts.append(inner + "  " + _inline(k) + ": " + _inline(v))
                elif isinstance(v, list) and v and isinstance(v[0], dict):
                    rows = ",\n".join(inner + "    " + _inline(x) for x in v)
                    parts.append(inner + "  " + _inline(k) + ": [\n" + rows + "\n" + inner + "  ]")
                else:
                    parts.append(inner + "  " + _inline(k) + ": " + _inline(v))
            text = "{\n" + ",\n".join(parts) + "\n" + inner + "}"
        else:
            text = _inline(value)
        lines.append(inner + _inline(key) + ": " + text)
    return "{\n" + ",\n".join(lines) + "\n" + indent + "}"


def models_text(doc: Json) -> str:
    head = [("  %s: %s" % (_inline(k), _inline(v))) for k, v in doc.items() if k != "models"]
    entries = ",\n".join("    " + _entry_text(e, "    ") for e in doc["models"])
    return "{\n" + ",\n".join(head) + ',\n  "models": [\n' + entries + "\n  ]\n}\n"


def _notes(notes: List[str]) -> str:
    if len(notes) == 1:
        return _inline(notes)
    return "[\n" + ",\n".join("        " + _inline(n) for n in notes) + "\n      ]"


def _architecture_text(model_type: str, item: Json) -> str:
    fields = ",\n".join("      %s: %s" % (_inline(k), _notes(v) if k == "notes" else _inline(v))
                        for k, v in item.items())
    return "    %s: {\n%s\n    }" % (_inline(model_type), fields)


_ARCHITECTURES_END = "\n  }\n}\n"


def architectures_text(doc: Json, previous_text: str, previous: Json, owned: List[str]) -> str:
    """The previous file text kept as it is (hand-written layout) for the model types this script
    does not own; the types it owns (always last) rendered after them."""
    old = previous["architectures"]
    new = doc["architectures"]
    first_owned = next((k for k in old if k in owned), None)
    order = list(old)
    kept = order[: order.index(first_owned)] if first_owned is not None else order
    if first_owned is not None:
        prefix = previous_text[: previous_text.index("    %s: {" % _inline(first_owned))].rstrip().rstrip(",")
    else:
        prefix = previous_text[: -len(_ARCHITECTURES_END)] if previous_text.endswith(_ARCHITECTURES_END) else ""
    if not prefix or any(new.get(k) != old[k] for k in kept) or list(new)[: len(kept)] != kept:
        head = [("  %s: %s" % (_inline(k), _inline(v))) for k, v in doc.items() if k != "architectures"]
        items = [_architecture_text(k, v) for k, v in new.items()]
        return "{\n" + ",\n".join(head) + ',\n  "architectures": {\n' + ",\n".join(items) + _ARCHITECTURES_END
    added = [_architecture_text(k, v) for k, v in new.items() if k not in kept]
    if not added:
        return prefix + _ARCHITECTURES_END
    return prefix + ",\n" + ",\n".join(added) + _ARCHITECTURES_END


# --------------------------------------------------------------------------- build


def _was_built(entry: Json) -> bool:
    """An entry this script wrote (its checkpoint may since have left the facts file)."""
    return entry["confidence"] == "remote-code" or any("dev/build_catalog.py" in s for s in entry["source"])


def with_aliases(entry: Json, aliases: Json) -> Json:
    """A kept entry with the facts file's extra spellings (community re-uploads, ModelScope ids)
    added to its ``aliases``; each alias appears once."""
    if not aliases:
        return entry
    entry = json.loads(json.dumps(entry), object_pairs_hook=OrderedDict)
    for variant in ("base", "instruct"):
        listed = entry["hub_ids"][variant]["aliases"] if variant in aliases else []
        listed.extend(i for i in aliases.get(variant, []) if i not in listed)
    for field in ("notes", "source"):  # why the extra ids share the entry's shapes
        entry[field].extend(x for x in aliases.get(field, []) if x not in entry[field])
    return entry


def build(facts: Json, models_doc: Json, archs_doc: Json) -> Tuple[Json, Json]:
    """The new models and architectures documents (the inputs are not modified)."""
    fact_keys = {f["key"] for f in facts["checkpoints"]}
    kept = [with_aliases(e, facts.get("aliases", {}).get(e["key"], {}))
            for e in models_doc["models"] if e["key"] not in fact_keys and not _was_built(e)]
    built = [build_entry(f, facts) for f in facts["checkpoints"]]
    models = OrderedDict((k, v) for k, v in models_doc.items() if k != "models")
    models["models"] = kept + built
    archs = OrderedDict((k, v) for k, v in archs_doc.items() if k != "architectures")
    owned = {t for t, info in facts["model_types"].items() if info.get("owns_architecture")}
    known = OrderedDict((k, v) for k, v in archs_doc["architectures"].items() if k not in owned)
    by_type: Dict[str, List[Json]] = {}
    for entry in built:
        by_type.setdefault(entry["model_type"], []).append(entry)
    for model_type, entries in by_type.items():
        if model_type in owned or model_type not in known:
            known[model_type] = architecture_entry(model_type, entries, facts)
    archs["architectures"] = known
    return models, archs


def verify(models: Json, facts: Json) -> List[str]:
    """PEFT's trainable count on each native entry's skeleton vs the table's r * (in + out) sum."""
    import peft
    import transformers

    sys.path.insert(0, str(ROOT))
    from lora_lint_plugin.catalog import _entry as catalog_entry
    from lora_lint_plugin.estimate.params import LoraSpec, count_parameters

    transformers_major = int(transformers.__version__.split(".")[0])
    problems = []
    by_key = {f["key"]: f for f in facts["checkpoints"]}
    for entry in models["models"]:
        fact = by_key.get(entry["key"])
        type_info = facts["model_types"].get(entry["model_type"], {})
        if fact is None or type_info.get("remote_code") is not None:
            continue
        targets = entry["standard_target_modules"]
        model = build_skeleton(fact, type_info)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            peft_model = peft.get_peft_model(model, peft.LoraConfig(r=16, target_modules=list(targets)))
        trainable = peft_model.get_nb_trainable_parameters()[0]
        # lora-lint's one counter (the estimator's), on the entry as the catalog loads it
        spec = LoraSpec(r=16, target_modules=tuple(targets))
        expected = count_parameters(catalog_entry(json.loads(json.dumps(entry))), spec,
                                    transformers_major=transformers_major).lora
        status = "ok" if trainable == expected else "MISMATCH"
        print("%-40s PEFT %14d table %14d %s" % (entry["key"], trainable, expected, status), flush=True)
        if trainable != expected:
            problems.append(entry["key"])
    return problems


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files, write nothing")
    parser.add_argument("--verify", action="store_true", help="also run PEFT on every built entry")
    args = parser.parse_args(argv)
    facts = load_facts()
    models_doc = json.loads(MODELS.read_text(encoding="utf-8"))
    archs_doc = json.loads(ARCHITECTURES.read_text(encoding="utf-8"))
    models, archs = build(facts, models_doc, archs_doc)
    new_models = models_text(models)
    owned = [t for t, info in facts["model_types"].items() if info.get("owns_architecture")]
    new_archs = architectures_text(archs, ARCHITECTURES.read_text(encoding="utf-8"), archs_doc, owned)
    if args.check:
        stale = [p.name for p, text in ((MODELS, new_models), (ARCHITECTURES, new_archs))
                 if p.read_text(encoding="utf-8") != text]
        if stale:
            print("stale: %s (run python dev/build_catalog.py)" % ", ".join(stale))
            return 1
    else:
        MODELS.write_text(new_models, encoding="utf-8")
        ARCHITECTURES.write_text(new_archs, encoding="utf-8")
        print("models.json: %d entries; architectures.json: %d model types"
              % (len(models["models"]), len(archs["architectures"])))
    if args.verify and verify(models, facts):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
