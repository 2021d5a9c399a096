"""The span indexes of the large catalog files (``catalog/json_index.py``): current, equal to the
whole parse, and ignored (never trusted) when the data file changed without regenerating them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import lora_lint_plugin.catalog as catalog
import lora_lint_plugin.catalog.json_index as json_index
from lora_lint_plugin.catalog import _listed_ids, all_hub_ids, lookup
from lora_lint_plugin.catalog.json_index import IndexedDocument
from lora_lint_plugin.rules._common import peft_fact

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "dev" / "build_catalog_index.py"
DATA = REPO / "lora_lint_plugin" / "catalog" / "data"


def whole(filename: str) -> dict:
    return json.loads((DATA / filename).read_text(encoding="utf-8"))


def test_committed_indexes_are_current() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr  # the message names the command to run


def test_check_names_the_command_when_the_data_changed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    models = whole("models.json")
    models["models"].append(dict(models["models"][0], key="added-entry"))
    (data / "models.json").write_text(json.dumps(models, indent=1), encoding="utf-8")
    result = subprocess.run([sys.executable, str(SCRIPT), "--check", "--data", str(data)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "models.index" in result.stderr and "module_names" not in result.stderr
    assert "python dev/build_catalog_index.py" in result.stderr
    rebuilt = subprocess.run([sys.executable, str(SCRIPT), "--data", str(data)], capture_output=True,
                             text=True)
    assert rebuilt.returncode == 0, rebuilt.stderr
    again = subprocess.run([sys.executable, str(SCRIPT), "--check", "--data", str(data)],
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr


def test_every_indexed_record_equals_the_whole_parse() -> None:
    models = IndexedDocument("models.json")
    assert models.current
    records = whole("models.json")["models"]
    assert models.length("models") == len(records)
    assert [models.get("models", index) for index in range(len(records))] == records
    rows = models.index["listed"].split("\n")  # type: ignore[index]
    assert [(int(row.split("\t")[0]), *row.split("\t")[1:]) for row in rows] == _listed_ids(records)
    assert catalog._catalog().listed == _listed_ids(records)
    fresh = catalog._Catalog(IndexedDocument("architectures.json"), models,  # nothing built yet
                             IndexedDocument("models.json").index["listed"])  # type: ignore[index]
    by_id = catalog._catalog().by_id
    for probe in [*by_id, "unsloth/no-such-model", "llama", "base", "0\tbase", ""]:
        assert fresh.exact(probe) == by_id.get(probe), probe
    assert "by_id" not in vars(fresh)  # exact ids were found in the index's text
    names = IndexedDocument("module_names.json")
    table = whole("module_names.json")
    assert names.current and names.keys() == list(table)
    for major, by_type in table["transformers"].items():
        assert names.keys("transformers", major) == list(by_type)
        for model_type, record in by_type.items():
            assert names.get("transformers", major, model_type) == record
    for key, value in table.items():
        assert names.get(key) == value
    assert names.get("transformers", "9", "llama", default="absent") == "absent"
    assert names.get("remote_code", "no-such-type") is None
    architectures = IndexedDocument("architectures.json")
    table = whole("architectures.json")
    assert architectures.current and architectures.keys("architectures") == list(table["architectures"])
    for model_type, record in table["architectures"].items():
        assert architectures.get("architectures", model_type) == record
        assert architectures.get("architectures", model_type, "moe") == record["moe"]
    assert architectures.get("architectures", "no-such-type") is None
    assert architectures.length("architectures") == len(table["architectures"])
    facts = IndexedDocument("peft_lora_config.json")
    table = whole("peft_lora_config.json")
    assert facts.current and facts.keys() == list(table)
    for key, value in table.items():
        assert facts.get(key) == value
        assert peft_fact(key) == value  # what the rules read
    with pytest.raises(KeyError):
        peft_fact("no_such_fact")


def test_an_index_keeps_no_object_per_span() -> None:
    """The spans of a container's values are one flat list of numbers: a loaded index is a few
    dozen objects for the cyclic garbage collector, not one list per record."""
    import gc

    for filename in ("models.json", "module_names.json", "architectures.json", "peft_lora_config.json"):
        index = IndexedDocument(filename).index
        assert index is not None
        tracked = [item for item in _containers(index) if gc.is_tracked(item)]
        assert len(tracked) < 40, (filename, len(tracked))


def _containers(value: object) -> list:
    found = [value] if isinstance(value, (dict, list)) else []
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    for child in children:
        found.extend(_containers(child))
    return found


@pytest.mark.parametrize("read_by_spans", [True, False])
def test_a_stale_index_is_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, read_by_spans: bool) -> None:
    """An entry added to models.json without rebuilding the index is still found, whether the
    file is read span by span (an open descriptor) or whole (no os.pread, or a zip)."""
    models = whole("models.json")
    added = dict(models["models"][0], key="added-entry")
    added["hub_ids"] = {"base": {"original": "example-org/Added-Model-7B", "aliases": [],
                                 "unsloth": []}, "instruct": None}
    models["models"].append(added)
    changed = json.dumps(models, indent=1).encode("utf-8")
    (tmp_path / "models.json").write_bytes(changed)
    original = catalog._data_bytes
    original_open = json_index._open_for_spans
    monkeypatch.setattr(catalog, "_data_bytes",
                        lambda name: changed if name == "models.json" else original(name))
    monkeypatch.setattr(json_index, "_open_for_spans",
                        lambda name: None if not read_by_spans else
                        os.open(tmp_path / name, os.O_RDONLY) if name == "models.json" else original_open(name))
    for cached in (catalog._catalog, catalog._entry_at, catalog._by_name_and_stem,
                   catalog._by_normalised_name):
        cached.cache_clear()
    try:
        document = IndexedDocument("models.json")
        assert not document.current and document.get("models", -1)["key"] == "added-entry"
        match = lookup("example-org/Added-Model-7B")
        assert match is not None and match.entry.key == "added-entry" and match.exact
        assert "example-org/Added-Model-7B" in all_hub_ids()
    finally:
        for cached in (catalog._catalog, catalog._entry_at, catalog._by_name_and_stem,
                       catalog._by_normalised_name):
            cached.cache_clear()


def test_an_index_of_another_format_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """An index written in another format (the whole of it as JSON, with the data file's length)
    is not trusted: the records come from parsing the whole file."""
    current = json_index.read_index(catalog._data_bytes("architectures.index"))
    older = json.dumps({key: value for key, value in current.items() if key != "format"}).encode("utf-8")
    original = catalog._data_bytes
    monkeypatch.setattr(catalog, "_data_bytes",
                        lambda name: older if name == "architectures.index" else original(name))
    document = IndexedDocument("architectures.json")
    assert not document.current
    assert document.get("architectures", "llama") == whole("architectures.json")["architectures"]["llama"]


def test_an_id_written_as_listed_is_found_without_lowering_the_lines() -> None:
    """No id is listed in two spellings (the index says so): an id written as the table spells
    it is found as it is, with by_id's answer; another spelling is found in the lowered lines."""
    models = IndexedDocument("models.json")
    assert models.index is not None and models.index["one_spelling"] is True
    by_id = catalog._catalog().by_id
    fresh = catalog._Catalog(IndexedDocument("architectures.json"), models, models.index["listed"], True)
    for _, _, hub_id in catalog._catalog().listed:
        assert fresh.exact(hub_id.lower(), hub_id) == by_id[hub_id.lower()], hub_id
    assert "_lowered" not in vars(fresh) and "by_id" not in vars(fresh)
    for probe in ["UNSLOTH/LLAMA-3-8B-BNB-4BIT", "Unsloth/Llama-3-8b-bnb-4bit", "unsloth/no-such-model",
                  "LLAMA", "0\tbase", ""]:
        assert fresh.exact(probe.lower(), probe) == by_id.get(probe.lower()), probe
    assert "_lowered" in vars(fresh)
    match = lookup("UNSLOTH/llama-3-8b-BNB-4bit")
    assert match is not None and match.hub_id == "unsloth/llama-3-8b-bnb-4bit" and match.exact


def test_an_id_listed_in_two_spellings_is_looked_up_lowercased(tmp_path: Path) -> None:
    """When the table lists one id in two spellings, the index says so and the first listing of
    either spelling is the answer, as in by_id."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    models = whole("models.json")
    first = catalog._catalog().listed[0][2]
    added = dict(models["models"][0], key="added-entry")
    added["hub_ids"] = {"base": {"original": first.upper(), "aliases": [], "unsloth": []}, "instruct": None}
    models["models"].append(added)
    (data / "models.json").write_text(json.dumps(models, indent=1), encoding="utf-8")
    rebuilt = subprocess.run([sys.executable, str(SCRIPT), "--data", str(data)], capture_output=True, text=True)
    assert rebuilt.returncode == 0, rebuilt.stderr
    index = json_index.read_index((data / "models.index").read_bytes())
    assert index["one_spelling"] is False
    two = catalog._Catalog(IndexedDocument("architectures.json"), IndexedDocument("models.json"),
                           index["listed"], index["one_spelling"])
    assert two.exact(first.lower(), first.upper()) == catalog._catalog().listed[0]
    assert two.exact(first.lower(), first) == catalog._catalog().listed[0]
    spelt_first = catalog._Catalog(IndexedDocument("architectures.json"), IndexedDocument("models.json"),
                                   index["listed"], True)  # what a wrong word would give
    assert spelt_first.exact(first.lower(), first.upper()) != catalog._catalog().listed[0]
