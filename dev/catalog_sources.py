"""Read model dimensions out of other projects' source files, statically, for cross-checking.

Development tool (never imported by lora-lint). Each reader parses a file with ``ast`` (nothing
is executed) and returns ``{hub_id_pattern: {catalog field: value}}`` in the catalog's field names
(``hidden_size``, ``intermediate_size``, ``num_hidden_layers``, ``num_attention_heads``,
``num_key_value_heads``, ``head_dim``, ``vocab_size``, ``max_position_embeddings``,
``tie_word_embeddings`` where the source says it). A pattern may contain ``{}`` where the source
fills in a variant suffix (litgpt's ``"Llama-2-7b{}-hf"``).

Readers:
- litgpt ``litgpt/config.py``: the ``dict(name=..., hf_config=dict(org=..., name=...), ...)``
  literals, with litgpt's own defaults applied (head size = n_embd / n_head, query groups = heads,
  GptNeoxMLP's 4 * n_embd, vocabulary padded to ``padding_multiple``).
- mlc-llm ``python/mlc_llm/model/model_preset.py``: verbatim copies of Hub ``config.json`` files,
  keyed by preset name (no hub id: the caller names the preset).
- torchtune ``torchtune/models/*/_model_builders.py`` and ``_component_builders.py``: keyword
  arguments of the family builder calls inside each ``def <size>()`` builder.

Usage: ``python dev/catalog_sources.py litgpt FILE`` (or ``mlc FILE``) prints the table as JSON.
"""

from __future__ import annotations

import ast
import json
import sys
from typing import Any, Dict, Optional

Dims = Dict[str, Any]

_LITGPT_DEFAULTS = {
    "block_size": 4096, "n_layer": 16, "n_embd": 4096, "vocab_size": 50254, "padding_multiple": 512,
    "n_head": 32, "mlp_class_name": "GptNeoxMLP",
}


def _literal(node: ast.AST) -> Any:
    """A constant, list/tuple/dict display or ``dict(...)`` call; raises ValueError otherwise."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        return {kw.arg: _literal(kw.value) for kw in node.keywords if kw.arg}
    return ast.literal_eval(node)


def _find_multiple(n: int, k: int) -> int:
    return n if n % k == 0 else n + k - (n % k)


def _litgpt_dims(raw: Dict[str, Any]) -> Dims:
    c = dict(_LITGPT_DEFAULTS)
    c.update(raw)
    heads = c["n_head"]
    head_dim = c.get("head_size") or c["n_embd"] // heads
    vocab = c.get("padded_vocab_size") or _find_multiple(c["vocab_size"], c["padding_multiple"])
    inter = c.get("intermediate_size")
    if inter is None and c["mlp_class_name"] == "GptNeoxMLP":
        inter = 4 * c["n_embd"]
    dims: Dims = {
        "vocab_size": vocab,
        "hidden_size": c["n_embd"],
        "num_hidden_layers": c["n_layer"],
        "num_attention_heads": heads,
        "num_key_value_heads": c.get("n_query_groups") or heads,
        "head_dim": head_dim,
        "max_position_embeddings": c["block_size"],
    }
    if inter is not None:
        dims["intermediate_size"] = inter
    if c.get("n_expert"):
        dims["num_experts"] = c["n_expert"]
        dims["num_experts_per_tok"] = c.get("n_expert_per_token")
        if c.get("moe_intermediate_size"):
            dims["moe_intermediate_size"] = c["moe_intermediate_size"]
    return dims


def read_litgpt(text: str) -> Dict[str, Dims]:
    """``{"org/name-pattern": dims}`` for every config literal with an ``hf_config``."""
    table: Dict[str, Dims] = {}
    for node in ast.walk(ast.parse(text)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"):
            continue
        keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        if "hf_config" not in keywords:
            continue
        raw: Dict[str, Any] = {}
        for name, value in keywords.items():
            try:
                raw[name] = _literal(value)
            except ValueError:
                continue  # computed fields (e.g. rope adjustments) are not dimensions
        hf = raw.get("hf_config")
        if not isinstance(hf, dict) or "org" not in hf or "name" not in hf:
            continue
        table["%s/%s" % (hf["org"], hf["name"])] = _litgpt_dims(raw)
    return table


_HF_FIELDS = {
    "vocab_size": ("vocab_size", "padded_vocab_size"),
    "hidden_size": ("hidden_size", "n_embd", "n_embed", "d_model", "hidden_dim"),
    "intermediate_size": ("intermediate_size", "n_inner", "ffn_hidden_size", "ffn_dim"),
    "num_hidden_layers": ("num_hidden_layers", "n_layer", "num_layers", "n_layers"),
    "num_attention_heads": ("num_attention_heads", "n_head", "num_heads", "n_heads"),
    "num_key_value_heads": ("num_key_value_heads", "multi_query_group_num", "n_kv_heads", "num_kv_heads"),
    "head_dim": ("head_dim", "kv_channels"),
    "max_position_embeddings": ("max_position_embeddings", "n_positions", "seq_length", "max_sequence_length"),
    "tie_word_embeddings": ("tie_word_embeddings",),
}


def hf_config_dims(config: Dict[str, Any]) -> Dims:
    """Catalog fields of a Hub-style ``config.json`` (``text_config`` merged over the top level)."""
    merged = dict(config)
    if isinstance(config.get("text_config"), dict):
        merged.update(config["text_config"])
    dims: Dims = {}
    for field, names in _HF_FIELDS.items():
        for name in names:
            if name in merged and merged[name] is not None:
                dims[field] = merged[name]
                break
    if "head_dim" not in dims and "hidden_size" in dims and "num_attention_heads" in dims:
        dims["head_dim"] = dims["hidden_size"] // dims["num_attention_heads"]
    return dims


def read_mlc(text: str) -> Dict[str, Dims]:
    """``{preset name: dims}`` from mlc-llm's ``MODEL_PRESETS`` (verbatim config.json copies)."""
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Dict):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name) and target.id == "MODEL_PRESETS":
                presets = {}
                for key, value in zip(node.value.keys, node.value.values):
                    try:
                        presets[ast.literal_eval(key)] = hf_config_dims(ast.literal_eval(value))
                    except ValueError:
                        continue
                return presets
    return {}


_TORCHTUNE_FIELDS = {
    "vocab_size": "vocab_size", "embed_dim": "hidden_size", "intermediate_dim": "intermediate_size",
    "num_layers": "num_hidden_layers", "num_heads": "num_attention_heads", "num_kv_heads": "num_key_value_heads",
    "head_dim": "head_dim", "max_seq_len": "max_position_embeddings",
    "tie_word_embeddings": "tie_word_embeddings",
}


def read_torchtune(text: str) -> Dict[str, Dims]:
    """``{builder function name: dims}`` from the first builder call with literal keywords."""
    table: Dict[str, Dims] = {}
    for fn in ast.parse(text).body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call):
                continue
            dims: Dims = {}
            for kw in node.keywords:
                if kw.arg in _TORCHTUNE_FIELDS:
                    try:
                        dims[_TORCHTUNE_FIELDS[kw.arg]] = ast.literal_eval(kw.value)
                    except ValueError:
                        continue
            if len(dims) >= 4:
                table[fn.name] = dims
                break
    return table


def compare(ours: Dims, theirs: Dims) -> Optional[Dict[str, Any]]:
    """Fields both define that disagree, as {field: (ours, theirs)}; None when nothing overlaps."""
    shared = [k for k in ours if k in theirs]
    if not shared:
        return None
    return {k: (ours[k], theirs[k]) for k in shared if ours[k] != theirs[k]}


def main(argv: list) -> int:
    kind, path = argv[1], argv[2]
    text = open(path, encoding="utf-8").read()
    reader = {"litgpt": read_litgpt, "mlc": read_mlc, "torchtune": read_torchtune}[kind]
    json.dump(reader(text), sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
