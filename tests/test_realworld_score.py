"""benchmarks/realworld/score.py on a small synthetic benchmark written here (no real-world data).

The scorer runs the real ``lora-lint`` through its JSON output, so these tests also pin how
diagnostics are keyed (file, cell, line, code) and how the ledger's verdicts are counted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

from tests.conftest import REPO_ROOT, dedent

SCORE = REPO_ROOT / "benchmarks" / "realworld" / "score.py"

TRAIN = dedent('''
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig, SFTTrainer

    model = AutoModelForCausalLM.from_pretrained("meta-llama/Meta-Llama-3-8B-Instruct")  # loader
    config = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj", "q_proj"])  # duplicate
    model = get_peft_model(model, config)
    trainer = SFTTrainer(model=model, args=SFTConfig(output_dir="out"),
                         tokenizer=None)  # removed keyword
''')

OTHER = dedent('''
    import sys
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(sys.argv[1])
    model = get_peft_model(model, LoraConfig(r=0, target_modules=["all-linear"]))  # rank
''')

# The trainer loads the model from the id it is given: it is the setup's loader.
TRAINER_LOADS = dedent('''
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    trainer = SFTTrainer(model="meta-llama/Meta-Llama-3-8B-Instruct", args=SFTConfig(output_dir="out"),
                         peft_config=LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"]))
''')

NOTEBOOK_CELLS = [
    "import unsloth\nfrom unsloth import FastLanguageModel\n",
    'model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct")\n'
    "model = FastLanguageModel.get_peft_model(\n    model, r=-4, lora_alpha=16)\n",
]


def line_of(source: str, marker: str) -> int:
    return next(number for number, line in enumerate(source.splitlines(), 1) if marker in line)


def write_notebook(path: Path, cells: List[str]) -> None:
    notebook = {
        "cells": [{"cell_type": "code", "execution_count": None, "id": "c%d" % i, "metadata": {},
                   "outputs": [], "source": source.splitlines(keepends=True)}
                  for i, source in enumerate(cells)],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")


def make_benchmark(tmp_path: Path) -> Dict[str, Path]:
    files = tmp_path / "files"
    repo = files / "someone" / "project"
    (repo / "scripts").mkdir(parents=True)
    (repo / "scripts" / "train.py").write_text(TRAIN, encoding="utf-8")
    (repo / "other.py").write_text(OTHER, encoding="utf-8")
    (repo / "trainer_loads.py").write_text(TRAINER_LOADS, encoding="utf-8")
    write_notebook(repo / "tune.ipynb", NOTEBOOK_CELLS)
    manifest = [
        {"repo": "someone/project", "commit": "0" * 40, "path": path, "category": "personal"}
        for path in ("scripts/train.py", "other.py", "tune.ipynb", "trainer_loads.py",
                     "not/downloaded.py")
    ]
    ledger = {"files": {
        "someone/project/scripts/train.py": {
            "diagnostics": [
                {"line": line_of(TRAIN, "# duplicate"), "code": "LOR109", "verdict": "TP", "why": "listed twice"},
                {"line": line_of(TRAIN, "# removed keyword"), "code": "LOR505", "verdict": "FP",
                 "why": "pretend the project pins an old TRL", "mechanism": "trl-version-pin-ignored"},
            ],
            # an expected finding lora-lint does not report
            "missed": [{"line": line_of(TRAIN, "# loader"), "code": "LOR301", "why": "pretend",
                        "mechanism": "catalog-gap"}],
        },
        "someone/project/other.py": {
            "diagnostics": [],
            # an expected finding lora-lint does report: found, and counted as a true positive
            "missed": [{"line": line_of(OTHER, "# rank"), "code": "LOR201", "why": "r=0",
                        "mechanism": "none"}],
        },
        # a notebook diagnostic is keyed by its cell and its line within the cell
        "someone/project/tune.ipynb": {
            "diagnostics": [{"cell": 2, "line": line_of(NOTEBOOK_CELLS[1], "r=-4"), "code": "LOR201",
                             "verdict": "TP", "why": "r=-4"},
                            # where an older lora-lint reported the same finding: expected once
                            {"line": 1, "code": "LOR201", "verdict": "TP", "why": "old place",
                             "same_finding_as": {"cell": 2, "line": line_of(NOTEBOOK_CELLS[1], "r=-4")}}],
            "missed": [],
        },
    }}
    manifest_path = tmp_path / "manifest.json"
    ledger_path = tmp_path / "ledger.json"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    ledger_path.write_text(json.dumps(ledger), encoding="utf-8")
    return {"files": files, "manifest": manifest_path, "ledger": ledger_path}


def run_score(paths: Dict[str, Path], *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCORE), str(paths["files"]), "--manifest", str(paths["manifest"]),
         "--ledger", str(paths["ledger"]), *extra],
        capture_output=True, text=True, timeout=300)


def scores(tmp_path: Path) -> Dict[str, Any]:
    result = run_score(make_benchmark(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_precision_counts_each_judged_diagnostic_by_rule_and_family(tmp_path: Path) -> None:
    data = scores(tmp_path)
    precision = data["precision"]
    assert precision["by_rule"]["LOR109"] == {"tp": 1, "fp": 0, "precision": 1.0}
    assert precision["by_rule"]["LOR505"] == {"tp": 0, "fp": 1, "precision": 0.0}
    # other.py's LOR201 is a ledger "missed" entry now reported: a true positive
    # and the notebook's LOR201 (cell 2) is judged TP
    assert precision["by_rule"]["LOR201"] == {"tp": 2, "fp": 0, "precision": 1.0}
    assert precision["by_family"]["LOR2xx"]["tp"] == 2
    assert precision["overall"] == {"tp": 3, "fp": 1, "precision": 0.75}
    assert data["false_positives_by_mechanism"] == {"trl-version-pin-ignored": 1}


def test_unjudged_diagnostics_are_listed_not_counted(tmp_path: Path) -> None:
    data = scores(tmp_path)
    unjudged = [(item["file"], item["cell"], item["line"], item["code"]) for item in data["unjudged"]]
    assert unjudged == [("someone/project/other.py", None, line_of(OTHER, "# rank"), "LOR104")]
    assert "LOR104" not in data["precision"]["by_rule"]


def test_recall_is_expected_findings_reported(tmp_path: Path) -> None:
    recall = scores(tmp_path)["recall"]
    # expected: train.py LOR109 (TP) + LOR301 (missed) + other.py LOR201 (missed, reported)
    # + the notebook's LOR201 (TP); found: all but LOR301
    assert recall["overall"] == {"found": 3, "expected": 4, "recall": 0.75}
    assert [(item["code"], item["mechanism"]) for item in recall["missed"]] == [("LOR301", "catalog-gap")]
    assert recall["by_family"]["LOR3xx"] == {"found": 0, "expected": 1, "recall": 0.0}


def test_setup_links_and_missing_files(tmp_path: Path) -> None:
    data = scores(tmp_path)
    setups = data["setups"]
    # train.py and the notebook resolve their model ids (both in the catalog), trainer_loads.py's
    # trainer loads its model from the id; other.py reads sys.argv
    assert setups["lora_setups"] == 4
    assert setups["linked_with_model_id"] == 3
    assert setups["loaded_by_trainer"] == 1
    assert setups["identified_in_catalog"] == 3
    # the measure divides by the setups with a resolved id (3), not by all setups (4)
    assert setups["identified_share_of_resolved"] == 1.0 and setups["identified_share"] == 0.75
    assert setups["identified_by_family"] == 3
    assert setups["identified_by_family_share_of_resolved"] == 1.0
    assert setups["unlinked"] == ["someone/project/other.py line %d" % line_of(OTHER, "# rank")]
    assert data["files"] == 4
    assert data["missing_files"] == ["someone/project/not/downloaded.py"]


def test_text_report_names_the_unjudged(tmp_path: Path) -> None:
    result = run_score(make_benchmark(tmp_path), "--verbose")
    assert result.returncode == 0, result.stderr
    assert "UNJUDGED diagnostics (1)" in result.stdout
    assert "someone/project/other.py line %d LOR104" % line_of(OTHER, "# rank") in result.stdout
    assert "[trl-version-pin-ignored]" in result.stdout


def test_a_verdict_other_than_tp_or_fp_is_refused(tmp_path: Path) -> None:
    paths = make_benchmark(tmp_path)
    ledger = json.loads(paths["ledger"].read_text(encoding="utf-8"))
    ledger["files"]["someone/project/scripts/train.py"]["diagnostics"][0]["verdict"] = "maybe"
    paths["ledger"].write_text(json.dumps(ledger), encoding="utf-8")
    result = run_score(paths)
    assert result.returncode != 0
    assert "verdict must be TP or FP" in result.stderr


def test_precision_and_recall_per_manifest_category(tmp_path: Path) -> None:
    """A YAML config counts in its own category (here beside the Python files' "personal")."""
    paths = make_benchmark(tmp_path)
    config = "base_model: NousResearch/Meta-Llama-3-8B-Instruct\nadapter: lora\nlora_r: 16\n" \
             "lora_target_linear: true\nadam_eps: 1.0e-8\n"
    (paths["files"] / "someone" / "project" / "lora.yml").write_text(config, encoding="utf-8")
    manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    manifest.append({"repo": "someone/project", "commit": "0" * 40, "path": "lora.yml",
                     "category": "yaml-config"})
    paths["manifest"].write_text(json.dumps(manifest), encoding="utf-8")
    ledger = json.loads(paths["ledger"].read_text(encoding="utf-8"))
    ledger["files"]["someone/project/lora.yml"] = {
        "diagnostics": [{"line": 5, "code": "LOR208", "verdict": "TP", "why": "adam_epsilon misspelt"}],
        "missed": [{"line": 1, "code": "LOR999", "why": "pretend", "mechanism": "none"}]}
    paths["ledger"].write_text(json.dumps(ledger), encoding="utf-8")
    result = run_score(paths, "--json")
    assert result.returncode == 0, result.stderr
    by_category = json.loads(result.stdout)["by_category"]
    assert by_category["yaml-config"] == {"tp": 1, "fp": 0, "precision": 1.0, "found": 1,
                                          "expected": 2, "recall": 0.5}
    assert by_category["personal"] == {"tp": 3, "fp": 1, "precision": 0.75, "found": 3,
                                       "expected": 4, "recall": 0.75}
    text = run_score(paths)
    assert "yaml-config" in text.stdout and "by manifest category" in text.stdout


def test_held_out_scores_only_the_entries_marked_held_out(tmp_path: Path) -> None:
    """--held-out keeps the entries marked "held_out": true (here other.py) and drops the rest."""
    paths = make_benchmark(tmp_path)
    manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    for entry in manifest:
        if entry["path"] == "other.py":
            entry["held_out"] = True
    paths["manifest"].write_text(json.dumps(manifest), encoding="utf-8")
    result = run_score(paths, "--json", "--held-out")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["files"] == 1 and data["missing_files"] == []
    # other.py alone: its LOR201 (a reported "missed" entry) and its unjudged LOR104
    assert data["precision"]["overall"] == {"tp": 1, "fp": 0, "precision": 1.0}
    assert data["recall"]["overall"] == {"found": 1, "expected": 1, "recall": 1.0}
    assert [item["code"] for item in data["unjudged"]] == ["LOR104"]
    assert data["setups"]["lora_setups"] == 1


def test_held_out_batch_scores_one_batch_and_unmarked_entries_are_the_first(tmp_path: Path) -> None:
    """--held-out --batch 2 keeps the held-out entries marked "batch": 2; --batch 1 the held-out
    entries without a batch; --held-out alone keeps both, as before batches existed."""
    paths = make_benchmark(tmp_path)
    manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    for entry in manifest:
        if entry["path"] == "other.py":
            entry["held_out"] = True
        if entry["path"] == "tune.ipynb":
            entry.update(held_out=True, batch=2)
    paths["manifest"].write_text(json.dumps(manifest), encoding="utf-8")

    def held_out(*extra: str) -> Dict[str, Any]:
        result = run_score(paths, "--json", "--held-out", *extra)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    second, first, both = held_out("--batch", "2"), held_out("--batch", "1"), held_out()
    assert (second["files"], first["files"], both["files"]) == (1, 1, 2)
    assert (second["held_out_batch"], first["held_out_batch"], both["held_out_batch"]) == (2, 1, "all")
    # the notebook's LOR201 (two places, one finding) is batch 2's; other.py's LOR201 batch 1's
    assert second["recall"]["overall"] == {"found": 1, "expected": 1, "recall": 1.0}
    assert [item["code"] for item in first["unjudged"]] == ["LOR104"]
    assert both["recall"]["overall"]["expected"] == 2
    text = run_score(paths, "--held-out", "--batch", "2")
    assert "held-out files only (batch: 2)" in text.stdout
    refused = run_score(paths, "--batch", "2")
    assert refused.returncode == 2 and "--batch needs --held-out" in refused.stderr
