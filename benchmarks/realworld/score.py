"""Score lora-lint on the real-world benchmark: precision, recall and linking against the ledger.

    python benchmarks/realworld/score.py DIR [--json] [--held-out [--batch N]] [--manifest PATH] [--ledger PATH]

DIR holds the manifest's files as DIR/<owner>/<name>/<path> (benchmarks/realworld/download.py
fetches them). lora-lint runs on every manifest file found there through its CLI's JSON output
(default rules, no configuration file). Each diagnostic is keyed by (file, cell, line, code) -
the files are pinned, so lines are stable - and compared with the ledger:

- precision: TP / (TP + FP) over the judged diagnostics, per rule, per family (LOR1xx, ...)
  and overall. A diagnostic the ledger lists as missed counts as a true positive.
- unjudged: diagnostics the ledger does not know. They are listed, never counted: judge them.
- recall: expected findings reported / all expected findings, where expected = the ledger's
  TP verdicts + its missed entries.
- linking: of the LoRA setups lora-lint builds (a LoRA call: LoraConfig or Unsloth's
  get_peft_model), the share linked to a model loader with a resolved model id, and the share
  whose model the bundled catalog identifies. A trainer given the model id
  (``SFTTrainer(model="org/x", peft_config=...)``) loads the model itself: it counts as the
  loader (``loaded_by_trainer`` says how many). Computed in-process through the package.

``--held-out`` scores only the manifest entries marked ``"held_out": true``: files added after
the rules were written and judged by someone who had not tuned lora-lint on them (an honest
check that the numbers on the whole ledger are not an artefact of tuning). The held-out files came
in batches, each picked and judged at one time: an entry's ``"batch"`` says which (none means 1),
and ``--held-out --batch N`` scores batch N alone.

The exit status is 0 when scoring ran (whatever the numbers), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
if (REPO_ROOT / "lora_lint_plugin").is_dir() and str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))   # score this checkout's lora-lint
TP, FP = "TP", "FP"
Key = Tuple[str, Optional[int], int, str]   # (file, cell, line, code)


@dataclass
class Reported:
    file: str
    cell: Optional[int]
    line: int
    code: str
    message: str

    @property
    def key(self) -> Key:
        return (self.file, self.cell, self.line, self.code)


@dataclass
class SetupLinks:
    lora_setups: int = 0
    linked: int = 0          # a model loader with a resolved model id
    by_trainer: int = 0      # ... of which the trainer loads the model from the id itself
    identified: int = 0      # ... whose checkpoint the catalog lists (sizes known)
    identified_by_family: int = 0   # ... known at least by family name (module names known)
    unlinked: List[str] = field(default_factory=list)   # "file:line" of unlinked LoRA calls


@dataclass
class Score:
    files: int
    missing_files: List[str]
    errors: Dict[str, str]
    judged: Dict[str, Counter]       # code -> Counter of TP/FP
    unjudged: List[Reported]
    false_positives: List[Tuple[Reported, str]]
    expected: int
    found: int
    missed: List[Tuple[Key, str]]
    mechanisms: Dict[Key, str]       # the ledger's cause of a false alarm or of a miss
    recall_by_code: Dict[str, Counter]   # code -> Counter(found=, expected=)
    links: SetupLinks
    # manifest category -> Counter(TP=, FP=, found=, expected=): e.g. YAML configs apart
    by_category: Dict[str, Counter] = field(default_factory=dict)


# -- inputs ---------------------------------------------------------------------------------------

def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def file_key(entry: Dict[str, str]) -> str:
    return "%s/%s" % (entry["repo"], entry["path"])


# Manifest entries that are not scored: the project files (requirements.txt, pyproject.toml,
# ...) next to scored files, whose version pins lora-lint reads.
PROJECT_FILE = "project-file"
# Marks a scored entry added after the rules were written, judged without tuning on it.
HELD_OUT = "held_out"
# Which held-out batch an entry belongs to; entries without it are of the first batch.
BATCH = "batch"
FIRST_BATCH = 1


def held_out_batch(entry: Dict[str, Any]) -> int:
    return int(entry.get(BATCH, FIRST_BATCH))


def held_out_entries(manifest: Sequence[Dict[str, Any]],
                     batch: Optional[int] = None) -> List[Dict[str, Any]]:
    """The held-out scored entries (of ``batch`` only, when given), with every project file (they
    supply pins and modules)."""
    return [entry for entry in manifest
            if entry.get("category") == PROJECT_FILE
            or (entry.get(HELD_OUT) is True and (batch is None or held_out_batch(entry) == batch))]


def present_files(directory: Path, manifest: Sequence[Dict[str, str]]) -> Tuple[List[str], List[str]]:
    present, missing = [], []
    for entry in manifest:
        if entry.get("category") == PROJECT_FILE:
            continue
        key = file_key(entry)
        (present if (directory / key).is_file() else missing).append(key)
    return present, missing


def ledger_key(file: str, item: Dict[str, Any]) -> Key:
    return (file, item.get("cell"), int(item["line"]), item["code"])


@dataclass
class Ledger:
    verdicts: Dict[Key, str]        # judged diagnostics: TP or FP
    missed: Dict[Key, str]          # expected findings lora-lint did not report: why
    mechanisms: Dict[Key, str]      # the cause of a false positive or of a miss
    aliases: Dict[Key, Key]         # an old place of a finding -> the place now expected


def ledger_verdicts(ledger: Dict[str, Any], files: Iterable[str]) -> Ledger:
    """The ledger's entries for ``files``.

    A diagnostic entry with ``"same_finding_as": {"cell": ..., "line": ...}`` is the place where
    an older lora-lint reported a finding now expected at that other place (e.g. a file-level
    LOR000 now reported at the cell): judged when reported, and the finding counts as found when
    reported at either place, once.
    """
    verdicts: Dict[Key, str] = {}
    missed: Dict[Key, str] = {}
    mechanisms: Dict[Key, str] = {}
    aliases: Dict[Key, Key] = {}
    entries = ledger.get("files", {})
    for file in files:
        record = entries.get(file, {})
        for item in record.get("diagnostics", []):
            key = ledger_key(file, item)
            if item["verdict"] not in (TP, FP):
                raise ValueError("%s: verdict must be TP or FP, not %r" % (file, item["verdict"]))
            verdicts[key] = item["verdict"]
            target = item.get("same_finding_as")
            if target is not None:
                aliases[key] = (file, target.get("cell"), int(target["line"]), item["code"])
            # for a false positive: what caused it; for a true one: what hid it when it was missed
            if item["verdict"] == FP or "mechanism" in item:
                mechanisms[key] = item.get("mechanism", "unclassified")
        for item in record.get("missed", []):
            key = ledger_key(file, item)
            missed[key] = item.get("why", "")
            mechanisms[key] = item.get("mechanism", "unclassified")
    return Ledger(verdicts, missed, mechanisms, aliases)


# -- running lora-lint ----------------------------------------------------------------------------

def lora_lint_command() -> List[str]:
    return [sys.executable, "-c", "import sys; from lora_lint_plugin.cli.main import main; sys.exit(main())"]


def run_lora_lint(directory: Path, files: Sequence[str]) -> Tuple[List[Reported], Dict[str, str]]:
    """The diagnostics of ``lora-lint check`` (default rules) on ``files``, and files in error."""
    if not files:
        return [], {}
    arguments = [str(directory / file) for file in files]
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT)] + ([environment["PYTHONPATH"]] if environment.get("PYTHONPATH") else []))
    result = subprocess.run(
        lora_lint_command() + ["check", "--isolated", "--no-respect-gitignore",
                               "--output-format", "json", "--exit-zero", *arguments],
        capture_output=True, text=True, cwd=str(directory), env=environment)
    if result.returncode != 0:
        raise RuntimeError("lora-lint failed (%d): %s" % (result.returncode, result.stderr[-2000:]))
    prefix = str(directory) + os.sep
    reported = []
    for item in json.loads(result.stdout or "[]"):
        name = item["filename"]
        file = name[len(prefix):] if name.startswith(prefix) else name
        location = item.get("location") or {}
        reported.append(Reported(file=file.replace(os.sep, "/"), cell=item.get("cell"),
                                 line=int(location.get("row") or 0), code=item["code"],
                                 message=item.get("message", "")))
    errors = {r.file: r.message for r in reported if r.code == "LOR000"}
    return reported, errors


def setup_links(directory: Path, files: Sequence[str]) -> SetupLinks:
    """How many LoRA setups lora-lint links to a loader with a resolved (and a known) model id."""
    from lora_lint_plugin import catalog
    from lora_lint_plugin.analysis.engine import analyse_source
    from lora_lint_plugin.catalog.identify import identify
    from lora_lint_plugin.sources.files import SourceError, read_source

    links = SetupLinks()
    for file in files:
        try:
            source = read_source(str(directory / file))
        except SourceError:
            continue
        model = analyse_source(source.python, path=str(directory / file)).model
        for setup in getattr(model, "setups", None) or []:
            if setup.lora is None:
                continue
            links.lora_setups += 1
            model_id = resolved_model_id(setup)
            if model_id is None:
                links.unlinked.append("%s %s" % (file, _location(source, setup.lora.span.line)))
                continue
            links.linked += 1
            if setup.model_load is None:
                links.by_trainer += 1
            if catalog.lookup(model_id) is not None:
                links.identified += 1
            if identify(model_id) is not None:
                links.identified_by_family += 1
    return links


def _location(source: Any, line: int) -> str:
    notebook = getattr(source, "notebook", None)
    if notebook is not None:
        try:
            where = notebook.locate(line)
            return "cell %s line %s" % (where.cell, where.line)
        except Exception:   # a location helper that changed shape: fall back to the raw line
            pass
    return "line %d" % line


def resolved_model_id(setup: Any) -> Optional[str]:
    """The model id of the setup's loader: a ``from_pretrained`` call, or the trainer that is
    given the id and loads the model from it."""
    if setup.model_id is None:
        return None
    if setup.model_load is None and (setup.trainer is None or not _is_trainer_model(setup)):
        return None
    value = getattr(setup.model_id, "python", None)
    return value if isinstance(value, str) and value else None


def _is_trainer_model(setup: Any) -> bool:
    """The setup's model id is the string passed as the trainer's ``model``."""
    value = setup.trainer.args.value("model")
    return getattr(value, "python", None) == setup.model_id.python


# -- scoring --------------------------------------------------------------------------------------

def score(directory: Path, manifest: Sequence[Dict[str, str]], ledger: Dict[str, Any]) -> Score:
    files, missing = present_files(directory, manifest)
    reported, errors = run_lora_lint(directory, files)
    judged_ledger = ledger_verdicts(ledger, files)
    verdicts, missed_entries, mechanisms = judged_ledger.verdicts, judged_ledger.missed, judged_ledger.mechanisms
    judged: Dict[str, Counter] = defaultdict(Counter)
    unjudged: List[Reported] = []
    false_positives: List[Tuple[Reported, str]] = []
    why_fp = fp_reasons(ledger)
    for diagnostic in reported:
        verdict = verdicts.get(diagnostic.key)
        if verdict is None and diagnostic.key in missed_entries:
            verdict = TP
        if verdict is None:
            unjudged.append(diagnostic)
            continue
        judged[diagnostic.code][verdict] += 1
        if verdict == FP:
            false_positives.append((diagnostic, why_fp.get(diagnostic.key, "")))
    aliases = judged_ledger.aliases
    reported_keys = {aliases.get(diagnostic.key, diagnostic.key) for diagnostic in reported}
    expected_keys = {key for key, verdict in verdicts.items()
                     if verdict == TP and key not in aliases} | set(missed_entries)
    recall_by_code: Dict[str, Counter] = defaultdict(Counter)
    still_missed: List[Tuple[Key, str]] = []
    for key in sorted(expected_keys, key=str):
        recall_by_code[key[3]]["expected"] += 1
        if key in reported_keys:
            recall_by_code[key[3]]["found"] += 1
        else:
            still_missed.append((key, missed_entries.get(key, "a true positive no longer reported")))
    found = sum(counter["found"] for counter in recall_by_code.values())
    by_category = category_counts(manifest, reported, verdicts, missed_entries, expected_keys,
                                  reported_keys)
    return Score(files=len(files), missing_files=missing, errors=errors, judged=dict(judged),
                 unjudged=unjudged, false_positives=false_positives, expected=len(expected_keys),
                 found=found, missed=still_missed, mechanisms=mechanisms,
                 recall_by_code=dict(recall_by_code),
                 links=setup_links(directory, files), by_category=by_category)


def category_counts(manifest: Sequence[Dict[str, str]], reported: Sequence[Reported],
                    verdicts: Dict[Key, str], missed: Dict[Key, str], expected: Iterable[Key],
                    reported_keys: Iterable[Key]) -> Dict[str, Counter]:
    """Judged verdicts and recall per manifest category (of the file a finding is in)."""
    category_of = {file_key(entry): entry.get("category", "") for entry in manifest}
    counts: Dict[str, Counter] = defaultdict(Counter)
    for diagnostic in reported:
        verdict = verdicts.get(diagnostic.key) or (TP if diagnostic.key in missed else None)
        if verdict is not None:
            counts[category_of.get(diagnostic.file, "")][verdict] += 1
    found = set(reported_keys)
    for key in expected:
        counter = counts[category_of.get(key[0], "")]
        counter["expected"] += 1
        counter["found"] += key in found
    return dict(counts)


def fp_reasons(ledger: Dict[str, Any]) -> Dict[Key, str]:
    reasons = {}
    for file, record in ledger.get("files", {}).items():
        for item in record.get("diagnostics", []):
            if item["verdict"] == FP:
                reasons[ledger_key(file, item)] = item.get("why", "")
    return reasons


def family(code: str) -> str:
    return code[:4] + "xx"


def ratio(numerator: int, denominator: int) -> Optional[float]:
    return round(numerator / denominator, 4) if denominator else None


def precision_table(judged: Dict[str, Counter], group: Any) -> Dict[str, Dict[str, Any]]:
    grouped: Dict[str, Counter] = defaultdict(Counter)
    for code, counter in judged.items():
        grouped[group(code)].update(counter)
    return {name: {"tp": c[TP], "fp": c[FP], "precision": ratio(c[TP], c[TP] + c[FP])}
            for name, c in sorted(grouped.items())}


def summary(result: Score) -> Dict[str, Any]:
    total = Counter()
    for counter in result.judged.values():
        total.update(counter)
    links = result.links
    return {
        "files": result.files,
        "missing_files": result.missing_files,
        "files_in_error": result.errors,
        "precision": {
            "overall": {"tp": total[TP], "fp": total[FP], "precision": ratio(total[TP], total[TP] + total[FP])},
            "by_family": precision_table(result.judged, family),
            "by_rule": precision_table(result.judged, lambda code: code),
        },
        "unjudged": [{"file": d.file, "cell": d.cell, "line": d.line, "code": d.code, "message": d.message}
                     for d in result.unjudged],
        "false_positives": [{"file": d.file, "cell": d.cell, "line": d.line, "code": d.code, "why": why,
                             "mechanism": result.mechanisms.get(d.key, "unclassified")}
                            for d, why in result.false_positives],
        "false_positives_by_mechanism": dict(Counter(
            result.mechanisms.get(d.key, "unclassified") for d, _ in result.false_positives).most_common()),
        "recall": {
            "overall": {"found": result.found, "expected": result.expected,
                        "recall": ratio(result.found, result.expected)},
            "by_family": {name: {"found": c["found"], "expected": c["expected"],
                                 "recall": ratio(c["found"], c["expected"])}
                          for name, c in sorted(_regroup(result.recall_by_code, family).items())},
            "by_rule": {code: {"found": c["found"], "expected": c["expected"],
                               "recall": ratio(c["found"], c["expected"])}
                        for code, c in sorted(result.recall_by_code.items())},
            "missed": [{"file": k[0], "cell": k[1], "line": k[2], "code": k[3], "why": why,
                        "mechanism": result.mechanisms.get(k, "unclassified")}
                       for k, why in result.missed],
            "missed_by_mechanism": dict(Counter(
                result.mechanisms.get(k, "unclassified") for k, _ in result.missed).most_common()),
        },
        "by_category": {name: {"tp": c[TP], "fp": c[FP], "precision": ratio(c[TP], c[TP] + c[FP]),
                               "found": c["found"], "expected": c["expected"],
                               "recall": ratio(c["found"], c["expected"])}
                        for name, c in sorted(result.by_category.items())},
        "setups": {
            "lora_setups": links.lora_setups,
            "linked_with_model_id": links.linked,
            "loaded_by_trainer": links.by_trainer,
            "linked_share": ratio(links.linked, links.lora_setups),
            "identified_in_catalog": links.identified,
            "identified_share": ratio(links.identified, links.lora_setups),
            # the measure: of the setups whose model id is resolved, the share the catalog
            # lists by checkpoint, and the share it knows at least by family (module names)
            "identified_share_of_resolved": ratio(links.identified, links.linked),
            "identified_by_family": links.identified_by_family,
            "identified_by_family_share_of_resolved": ratio(links.identified_by_family, links.linked),
            "unlinked": links.unlinked,
        },
    }


def _regroup(by_code: Dict[str, Counter], group: Any) -> Dict[str, Counter]:
    grouped: Dict[str, Counter] = defaultdict(Counter)
    for code, counter in by_code.items():
        grouped[group(code)].update(counter)
    return grouped


# -- output ---------------------------------------------------------------------------------------

def _percent(value: Optional[float]) -> str:
    return "-" if value is None else "%.1f%%" % (100 * value)


def _where(item: Dict[str, Any]) -> str:
    cell = "" if item.get("cell") is None else " cell %s" % item["cell"]
    return "%s%s line %s %s" % (item["file"], cell, item["line"], item["code"])


def print_text(data: Dict[str, Any], out: Any = sys.stdout, verbose: bool = False) -> None:
    write = out.write
    if "held_out_batch" in data:
        write("held-out files only (batch: %s)\n" % data["held_out_batch"])
    write("files scored: %d (missing under DIR: %d; in error: %d)\n"
          % (data["files"], len(data["missing_files"]), len(data["files_in_error"])))
    precision = data["precision"]
    write("\nprecision (judged diagnostics)\n")
    write("  %-8s %5s %5s %9s\n" % ("", "TP", "FP", "precision"))
    for name, row in list(precision["by_family"].items()) + [("overall", precision["overall"])]:
        write("  %-8s %5d %5d %9s\n" % (name, row["tp"], row["fp"], _percent(row["precision"])))
    write("\n  per rule:\n")
    for code, row in precision["by_rule"].items():
        write("  %-8s %5d %5d %9s\n" % (code, row["tp"], row["fp"], _percent(row["precision"])))
    recall = data["recall"]
    write("\nrecall (expected findings reported)\n")
    for name, row in list(recall["by_family"].items()) + [("overall", recall["overall"])]:
        write("  %-8s %4d / %-4d %9s\n" % (name, row["found"], row["expected"], _percent(row["recall"])))
    write("\nby manifest category\n")
    write("  %-22s %5s %5s %9s %11s %9s\n" % ("", "TP", "FP", "precision", "found/exp.", "recall"))
    for name, row in data["by_category"].items():
        write("  %-22s %5d %5d %9s %5d / %-4d %9s\n"
              % (name, row["tp"], row["fp"], _percent(row["precision"]), row["found"], row["expected"],
                 _percent(row["recall"])))
    setups = data["setups"]
    write("\nLoRA setups: %d; linked to a loader with a resolved model id: %d (%s; the trainer "
          "loads it from the id: %d); model identified in the catalog: %d (%s)\n"
          % (setups["lora_setups"], setups["linked_with_model_id"], _percent(setups["linked_share"]),
             setups["loaded_by_trainer"], setups["identified_in_catalog"],
             _percent(setups["identified_share"])))
    write("of the %d setups with a resolved model id: checkpoint in the catalog %d (%s); "
          "known at least by family %d (%s)\n"
          % (setups["linked_with_model_id"], setups["identified_in_catalog"],
             _percent(setups["identified_share_of_resolved"]), setups["identified_by_family"],
             _percent(setups["identified_by_family_share_of_resolved"])))
    write("\nfalse positives by mechanism\n")
    for name, count in data["false_positives_by_mechanism"].items():
        write("  %4d  %s\n" % (count, name))
    write("\nmisses by mechanism\n")
    for name, count in recall["missed_by_mechanism"].items():
        write("  %4d  %s\n" % (count, name))
    write("\nUNJUDGED diagnostics (%d): judge them in the ledger\n" % len(data["unjudged"]))
    for item in data["unjudged"]:
        write("  %s: %s\n" % (_where(item), item["message"][:160]))
    if verbose:
        write("\nfalse positives (%d)\n" % len(data["false_positives"]))
        for item in data["false_positives"]:
            write("  %s [%s]: %s\n" % (_where(item), item["mechanism"], item["why"]))
        write("\nmissed (%d)\n" % len(recall["missed"]))
        for item in recall["missed"]:
            write("  %s [%s]: %s\n" % (_where(item), item["mechanism"], item["why"]))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="where download.py put the files")
    parser.add_argument("--manifest", type=Path, default=HERE / "manifest.json")
    parser.add_argument("--ledger", type=Path, default=HERE / "ledger.json")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also list every false positive and every missed finding")
    parser.add_argument("--held-out", action="store_true",
                        help='score only the entries marked "held_out": true (judged after the rules were written)')
    parser.add_argument("--batch", type=int, metavar="N",
                        help='with --held-out: only the held-out entries of batch N ("batch" in the '
                             'manifest; entries without it are batch 1)')
    options = parser.parse_args(argv)
    if not options.directory.is_dir():
        parser.error("%s is not a directory" % options.directory)
    if options.batch is not None and not options.held_out:
        parser.error("--batch needs --held-out")
    manifest = load_json(options.manifest)
    if options.held_out:
        manifest = held_out_entries(manifest, options.batch)
    result = score(options.directory.resolve(), manifest, load_json(options.ledger))
    data = summary(result)
    if options.held_out:
        data["held_out_batch"] = "all" if options.batch is None else options.batch
    if options.json:
        json.dump(data, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print_text(data, verbose=options.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
