"""Write the span indexes of the large catalog files (``lora_lint_plugin/catalog/json_index.py``).

For ``models.json``, ``module_names.json``, ``architectures.json`` and ``peft_lora_config.json``
in ``lora_lint_plugin/catalog/data/`` this writes ``<name>.index``: the size of the file, the
byte span of each record down to a fixed depth (each model entry; each transformers version's
record of a model_type; each architecture; each top-level fact of ``peft_lora_config.json``),
and for ``models.json`` every hub id the table lists with its entry and variant, in table order
(what ``catalog.lookup`` indexes); ``json_index.py`` describes the format. Run it after editing
one of these files; ``--check`` only reports whether the committed indexes are current
(``tests/test_catalog_index.py`` runs it).

    python dev/build_catalog_index.py          # rewrite the indexes
    python dev/build_catalog_index.py --check  # exit 1 when one is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lora_lint_plugin.catalog import _listed_ids  # noqa: E402
from lora_lint_plugin.catalog.json_index import INDEX_FORMAT, index_filename  # noqa: E402

DATA = REPO / "lora_lint_plugin" / "catalog" / "data"
COMMAND = "python dev/build_catalog_index.py"
# How deep each file is indexed: a key (or "*": any key / list item) maps to the depth below it;
# None: the value is one span, parsed whole when asked for.
DEPTHS: Dict[str, Any] = {
    "models.json": {"models": {"*": None}},
    # PEFT's MoE rewrites by model_type: every script's model is looked up in them (most are
    # not there), where parsing the whole table cost ~0.13 M instructions a file
    "module_names.json": {"transformers": {"*": {"*": None}},
                          "peft_moe_target_rewrites": {"target_modules_rewritten": {"*": None}}},
    "architectures.json": {"architectures": {"*": None}},
    # a training script needs ~4 KB of its 28 KB (TRL's removed arguments, half of it, only
    # for TRL code)
    "peft_lora_config.json": {"*": None},
}
_WHITESPACE = " \t\n\r"
_DECODER = json.JSONDecoder()


def _skip(text: str, position: int) -> int:
    while text[position] in _WHITESPACE:
        position += 1
    return position


def _node(text: str, position: int, depth: Optional[dict]) -> Tuple[Any, int]:
    """The index node of the JSON value at ``position`` and the position after it: an indexed
    container (a dict), or the ``(start, end)`` span of a value indexed no deeper."""
    start = _skip(text, position)
    opener = text[start]
    if depth is None or opener not in "{[":
        _, end = _DECODER.raw_decode(text, start)
        return (start, end), end
    closer = "}" if opener == "{" else "]"
    items: Any = {} if opener == "{" else []
    spans: List[int] = []  # the values indexed no deeper, two numbers each (json_index.py)

    def child_at(child_position: int, child_depth: Optional[dict]) -> Tuple[Any, int]:
        child, after = _node(text, child_position, child_depth)
        if isinstance(child, tuple):
            spans.extend(child)
            return len(spans) // 2 - 1, after
        return child, after

    position = _skip(text, start + 1)
    while text[position] != closer:
        if opener == "{":
            key, position = _DECODER.raw_decode(text, position)
            position = _skip(text, position)
            assert text[position] == ":", f"':' expected at {position}"
            items[key], position = child_at(position + 1, depth.get(key, depth.get("*")))
        else:
            child, position = child_at(position, depth.get("*"))
            items.append(child)
        position = _skip(text, position)
        if text[position] == ",":
            position = _skip(text, position + 1)
    return {"span": [start, position + 1], "items": items, "spans": spans}, position + 1


def _packed(node: Dict[str, Any], width: int) -> Dict[str, Any]:
    """A container as ``json_index.py`` reads it: its spans as one string of ``width``-digit
    numbers; a container of values indexed no deeper (numbered 0, 1, ... in order) names its keys
    in one string (an object) or gives its length (a list) instead of an item per value."""
    items = node["items"]
    packed: Dict[str, Any] = {"span": node["span"], "width": width,
                              "spans": "".join(f"{number:0{width}d}" for number in node["spans"])}
    children = list(items.values()) if isinstance(items, dict) else items
    leaves = bool(children) and children == list(range(len(children)))
    if leaves and isinstance(items, list):
        packed["count"] = len(items)
    elif leaves and not any("\n" in key for key in items):
        packed["keys"] = "\n" + "".join(key + "\n" for key in items)
    else:
        packed["items"] = {key: _packed(child, width) if isinstance(child, dict) else child
                           for key, child in items.items()} if isinstance(items, dict) else \
            [_packed(child, width) if isinstance(child, dict) else child for child in items]
    return packed


def build_index(filename: str, data: Path = DATA) -> str:
    """The index of one data file, as the text written to ``<name>.index``."""
    # latin-1 maps each byte to one character: the positions found are byte offsets
    text = (data / filename).read_bytes().decode("latin-1")
    tree, end = _node(text, 0, DEPTHS[filename])
    assert not text[end:].strip(), f"{filename}: text after the JSON document"
    width = len(str(len(text)))
    index: Dict[str, Any] = {"generated_by": COMMAND, "format": INDEX_FORMAT, "length": len(text),
                             "tree": _packed(tree, width)}
    if filename == "models.json":
        models = json.loads((data / filename).read_bytes())["models"]
        rows = [f"{entry}\t{variant}\t{hub_id}" for entry, variant, hub_id in _listed_ids(models)]
        assert not any(row.count("\t") != 2 or "\n" in row for row in rows), "a tab or newline in an id"
        index["listed"] = "\n".join(rows)  # one string: entry, variant, id per line
        # no id listed in two spellings: an id written as listed is found without lowercasing
        spellings: Dict[str, set] = {}
        for _, _, hub_id in _listed_ids(models):
            spellings.setdefault(hub_id.lower(), set()).add(hub_id)
        index["one_spelling"] = all(len(spelt) == 1 for spelt in spellings.values())
    strings: List[str] = []
    places: List[list] = []
    _set_strings_apart(index, [], strings, places)
    index["strings"] = places
    return json.dumps(index, separators=(",", ":"), ensure_ascii=False) + "\n" + "".join(strings) + "\n"


# the long strings of an index, written after its JSON line (json_index.py reads them there)
_APART = ("spans", "keys", "listed")


def _set_strings_apart(node: Any, path: list, strings: List[str], places: List[list]) -> None:
    """Take the long strings out of ``node`` (at ``path``) into ``strings``; ``places`` gets
    ``[start, end, *path, name]`` for each, its characters in the text of ``strings`` joined."""
    items = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
    for key, child in items:
        if isinstance(child, (dict, list)):
            _set_strings_apart(child, [*path, key], strings, places)
    if isinstance(node, dict):
        for name in _APART:
            if isinstance(node.get(name), str):
                start = sum(map(len, strings))
                strings.append(node.pop(name))
                places.append([start, start + len(strings[-1]), *path, name])


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale indexes")
    parser.add_argument("--data", type=Path, default=DATA, help="the data folder (default: the "
                        "package's)")
    args = parser.parse_args(argv)
    stale = []
    for filename in DEPTHS:
        target = args.data / index_filename(filename)
        wanted = build_index(filename, args.data)
        # bytes as they are: the offsets of the strings after the JSON line count "\n" as one
        current = target.read_bytes().decode("utf-8") if target.exists() else None
        if current == wanted:
            continue
        if args.check:
            stale.append(target.name)
        else:
            target.write_bytes(wanted.encode("utf-8"))
            print(f"wrote {target}")
    if stale:
        print(f"stale catalog index: {', '.join(stale)} no longer match(es) the data file(s); "
              f"run `{COMMAND}` and commit the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
