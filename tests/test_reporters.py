"""Output formats of lora-lint: text, json, json-lines, github, sarif.

The JSON output is checked against our published schema, the SARIF output against the SARIF
2.1.0 schema shipped with Microsoft's SARIF Multitool (tests/data, origin in
docs/output-formats.md).
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Dict, List

import jsonschema
import pytest

from lora_lint_plugin import __version__
from lora_lint_plugin.reporters import (
    ANALYSIS_ERROR_CODE,
    FORMATS,
    JSON_SCHEMA_PATH,
    FileResult,
    ReportedDiagnostic,
    ReportedEdit,
    ReportedFix,
    RuleInfo,
    render,
)

SARIF_SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-2.1.0.schema.json"


def make_rule(code: str, name: str, enabled: bool = True, fix_safety: str = "safe") -> RuleInfo:
    return RuleInfo(
        code=code,
        name=name,
        summary=f"{name} summary",
        docs_markdown=f"# {code}\n\nWhy {name} matters.\n\n## Fix\n\nDo the thing.",
        default_enabled=enabled,
        fix_safety=fix_safety,
        url=f"https://example.org/rules/{code}",
    )


RULES: Dict[str, RuleInfo] = {
    "LOR101": make_rule("LOR101", "embedding-in-target-modules", fix_safety="unsafe"),
    "LOR104": make_rule("LOR104", "all-linear-in-list"),
    "LOR201": make_rule("LOR201", "invalid-rank"),
    "LOR901": make_rule("LOR901", "unsloth-gradient-checkpointing", enabled=False),
}

SAFE_FIX = ReportedFix(
    applicability="safe",
    message="Use the plain string",
    edits=(ReportedEdit('"all-linear"', 3, 20, 3, 36),),
)
UNSAFE_FIX = ReportedFix(
    applicability="unsafe",
    message="Remove embed_tokens",
    edits=(ReportedEdit("", 5, 40, 5, 56), ReportedEdit("", 5, 30, 5, 32)),
)


def diag(code: str, filename: str, row: int, column: int, **kw) -> ReportedDiagnostic:
    return ReportedDiagnostic(
        code=code,
        message=kw.pop("message", f"message of {code}"),
        filename=filename,
        row=row,
        column=column,
        end_row=kw.pop("end_row", row),
        end_column=kw.pop("end_column", column + 4),
        cell=kw.pop("cell", None),
        fix=kw.pop("fix", None),
    )


def mixed_results() -> List[FileResult]:
    """A .py file with safe/unsafe/no fix, a notebook, and a file that failed to parse."""
    return [
        FileResult(
            "train.py",
            (
                diag("LOR101", "train.py", 5, 41, fix=UNSAFE_FIX,
                     message="target_modules trains embed_tokens"),
                diag("LOR104", "train.py", 3, 20, end_column=36, fix=SAFE_FIX),
            ),
            None,
        ),
        FileResult(
            "notebooks/finetune.ipynb",
            (
                diag("LOR201", "notebooks/finetune.ipynb", 2, 5, cell=7),
                diag("LOR104", "notebooks/finetune.ipynb", 1, 8, cell=4, fix=SAFE_FIX),
            ),
            None,
        ),
        FileResult("broken.py", (), "invalid syntax at line 3"),
    ]


# --- text ------------------------------------------------------------------------------


def test_text_lines_summary_and_order():
    out = render("text", mixed_results(), RULES)
    assert out.splitlines() == [
        "broken.py:1:1: LOR000 could not analyse: invalid syntax at line 3",
        "notebooks/finetune.ipynb:cell 4:1:8: LOR104 [*] message of LOR104",
        "notebooks/finetune.ipynb:cell 7:2:5: LOR201 message of LOR201",
        "train.py:3:20: LOR104 [*] message of LOR104",
        # an unsafe fix is not applied by `lora-lint fix`, so no [*]
        "train.py:5:41: LOR101 target_modules trains embed_tokens",
        # 5 entries (4 diagnostics + 1 analysis error), 2 of them with a safe fix
        "Found 5 diagnostics (2 fixable with `lora-lint fix`).",
    ]
    assert out.endswith("\n")


def test_text_summary_singular_and_without_fixes():
    one = [FileResult("a.py", (diag("LOR201", "a.py", 1, 1),), None)]
    assert render("text", one, RULES).splitlines()[-1] == "Found 1 diagnostic."


def test_text_empty_and_clean_files():
    assert render("text", [], RULES) == "All checks passed!\n"
    assert render("text", [FileResult("a.py", (), None)], RULES) == "All checks passed!\n"


def test_text_keeps_one_line_per_diagnostic_and_unicode():
    d = diag("LOR201", "données/entraîner.py", 2, 3, message="r=0 → l’adaptateur\nne sert à rien 🚫")
    out = render("text", [FileResult(d.filename, (d,), None)], RULES)
    assert out.splitlines()[0] == "données/entraîner.py:2:3: LOR201 r=0 → l’adaptateur ne sert à rien 🚫"


def test_concise_is_an_alias_of_text():
    assert render("concise", mixed_results(), RULES) == render("text", mixed_results(), RULES)


# --- ordering and determinism ------------------------------------------------------------


@pytest.mark.parametrize("format_name", FORMATS)
def test_output_does_not_depend_on_input_order(format_name):
    expected = render(format_name, mixed_results(), RULES, source_root="/repo")
    rng = random.Random(1234)
    for _ in range(10):
        results = [
            FileResult(r.filename, tuple(rng.sample(r.diagnostics, len(r.diagnostics))), r.error)
            for r in rng.sample(mixed_results(), 3)
        ]
        rules = dict(rng.sample(sorted(RULES.items()), len(RULES)))
        assert render(format_name, results, rules, source_root="/repo") == expected


def test_json_order_is_filename_cell_row_column_code():
    same_place = [diag("LOR201", "b.py", 4, 2), diag("LOR104", "b.py", 4, 2)]
    results = [
        FileResult("b.py", (*same_place, diag("LOR101", "b.py", 4, 1), diag("LOR101", "b.py", 2, 9)), None),
        FileResult("a.ipynb", (diag("LOR101", "a.ipynb", 1, 1, cell=3),
                               diag("LOR101", "a.ipynb", 9, 1, cell=2)), None),
    ]
    got = [(o["filename"], o["cell"], o["location"]["row"], o["location"]["column"], o["code"])
           for o in json.loads(render("json", results, RULES))]
    assert got == [
        ("a.ipynb", 2, 9, 1, "LOR101"),
        ("a.ipynb", 3, 1, 1, "LOR101"),
        ("b.py", None, 2, 9, "LOR101"),
        ("b.py", None, 4, 1, "LOR101"),
        ("b.py", None, 4, 2, "LOR104"),
        ("b.py", None, 4, 2, "LOR201"),
    ]


def test_unknown_format_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown output format 'xml'.*sarif"):
        render("xml", [], RULES)


# --- json / json-lines -------------------------------------------------------------------


@pytest.fixture(scope="module")
def json_validator():
    schema = json.loads(JSON_SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_json_validates_and_carries_every_field(json_validator):
    out = render("json", mixed_results(), RULES)
    data = json.loads(out)
    json_validator.validate(data)
    by_key = {(o["filename"], o["code"]): o for o in data}

    safe = by_key[("train.py", "LOR104")]
    assert safe["location"] == {"row": 3, "column": 20}
    assert safe["end_location"] == {"row": 3, "column": 36}
    assert safe["cell"] is None and safe["noqa_row"] == 3 and safe["severity"] == "warning"
    assert safe["name"] == "all-linear-in-list" and safe["url"] == RULES["LOR104"].url
    assert safe["fix"] == {
        "applicability": "safe",
        "message": "Use the plain string",
        "edits": [{"content": '"all-linear"', "location": {"row": 3, "column": 20},
                   "end_location": {"row": 3, "column": 36}}],
    }
    unsafe = by_key[("train.py", "LOR101")]["fix"]
    assert unsafe["applicability"] == "unsafe"
    # edits come in source order whatever order the fix listed them in
    assert [e["location"]["column"] for e in unsafe["edits"]] == [30, 40]

    notebook = by_key[("notebooks/finetune.ipynb", "LOR201")]
    assert notebook["cell"] == 7 and notebook["location"] == {"row": 2, "column": 5}

    error = by_key[("broken.py", ANALYSIS_ERROR_CODE)]
    assert error["severity"] == "error" and error["noqa_row"] is None and error["fix"] is None
    assert error["message"] == "could not analyse: invalid syntax at line 3"
    assert error["name"] == "could-not-analyse"


def test_json_empty_is_an_empty_array(json_validator):
    out = render("json", [FileResult("a.py", (), None)], RULES)
    assert json.loads(out) == []
    json_validator.validate(json.loads(out))


def test_json_unicode_round_trips_and_output_is_ascii():
    message = "r=0 → l’adaptateur 🚫\nzweite Zeile"
    d = diag("LOR201", "naïve.py", 1, 1, message=message)
    out = render("json", [FileResult(d.filename, (d,), None)], RULES)
    assert out.isascii()
    (obj,) = json.loads(out)
    assert obj["message"] == message and obj["filename"] == "naïve.py"


def test_json_for_a_code_the_registry_does_not_know(json_validator):
    d = diag("LOR999", "a.py", 1, 1)
    data = json.loads(render("json", [FileResult("a.py", (d,), None)], {}))
    json_validator.validate(data)
    assert data[0]["name"] is None and data[0]["url"] is None


def test_json_schema_rejects_malformed_output(json_validator):
    good = json.loads(render("json", mixed_results(), RULES))[0]
    for broken in (
        {k: v for k, v in good.items() if k != "code"},
        dict(good, location={"row": 0, "column": 1}),
        dict(good, severity="fatal"),
        dict(good, extra=1),
    ):
        assert not json_validator.is_valid([broken])


def test_json_lines_is_the_json_array_one_object_per_line(json_validator):
    lines = render("json-lines", mixed_results(), RULES).splitlines()
    objects = [json.loads(line) for line in lines]
    assert objects == json.loads(render("json", mixed_results(), RULES))
    item_validator = jsonschema.Draft202012Validator(
        {**json_validator.schema, "$ref": "#/$defs/diagnostic", "type": "object", "items": {}}
    )
    for obj in objects:
        item_validator.validate(obj)
    assert render("json-lines", [], RULES) == ""


# --- github ------------------------------------------------------------------------------


def _unescape(text: str) -> str:
    return (text.replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n")
            .replace("%0D", "\r").replace("%25", "%"))


def _parse_command(line: str):
    assert line.startswith("::")
    head, message = line[2:].split("::", 1)
    level, props = head.split(" ", 1)
    parsed = dict(item.split("=", 1) for item in props.split(","))
    return level, parsed, message


def test_github_escapes_messages_and_properties():
    message = "100% of\r\nthe: embeddings, trained"
    d = diag("LOR101", "dir,with:odd%chars.py", 2, 3, end_column=9, message=message)
    (line,) = render("github", [FileResult(d.filename, (d,), None)], RULES).splitlines()
    level, props, data = _parse_command(line)
    assert level == "warning"
    # no raw separators left inside property values or data line breaks
    assert props["file"] == "dir%2Cwith%3Aodd%25chars.py"
    assert "\n" not in data and "\r" not in data and "%0D%0A" in data
    assert _unescape(props["file"]) == d.filename
    assert props["title"] == "lora-lint (LOR101)"
    assert (props["line"], props["col"], props["endLine"], props["endColumn"]) == ("2", "3", "2", "9")
    # ":" and "," stay readable in the message (only properties escape them)
    assert _unescape(data) == f"{d.filename}:2:3: LOR101 {message}"
    assert "the: embeddings, trained" in data


def test_github_columns_only_for_single_line_spans_and_no_lines_in_notebooks():
    multi = diag("LOR201", "a.py", 4, 5, end_row=6, end_column=2)
    cell = diag("LOR201", "nb.ipynb", 2, 5, cell=3)
    out = render("github", [FileResult("a.py", (multi,), None), FileResult("nb.ipynb", (cell,), None)], RULES)
    (_, multi_props, _), (_, cell_props, cell_data) = (_parse_command(x) for x in out.splitlines())
    assert multi_props == {"title": "lora-lint (LOR201)", "file": "a.py", "line": "4", "endLine": "6"}
    assert cell_props == {"title": "lora-lint (LOR201)", "file": "nb.ipynb"}
    assert _unescape(cell_data) == "nb.ipynb:cell 3:2:5: LOR201 message of LOR201"


def test_github_analysis_errors_are_errors_and_empty_is_empty():
    (line,) = render("github", [FileResult("x.py", (), "bad\nnews")], RULES).splitlines()
    level, props, data = _parse_command(line)
    assert level == "error" and props["title"] == "lora-lint (LOR000)"
    assert _unescape(data) == "x.py:1:1: LOR000 could not analyse: bad\nnews"
    assert render("github", [], RULES) == ""


# --- sarif -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads(SARIF_SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _run(out: str):
    log = json.loads(out)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    return log, run


def test_sarif_is_valid_and_complete(sarif_validator, tmp_path):
    out = render("sarif", mixed_results(), RULES, source_root=str(tmp_path))
    log, run = _run(out)
    sarif_validator.validate(log)
    assert out.isascii()

    driver = run["tool"]["driver"]
    assert driver["name"] == "lora-lint" and driver["semanticVersion"] == __version__
    assert driver["informationUri"].startswith("https://")
    ids = [r["id"] for r in driver["rules"]]
    # every registered rule (also disabled ones) plus the analysis-error pseudo rule
    assert ids == sorted(set(RULES) | {ANALYSIS_ERROR_CODE})
    lor901 = driver["rules"][ids.index("LOR901")]
    assert lor901["defaultConfiguration"] == {"level": "warning", "enabled": False}
    assert lor901["help"]["markdown"] == RULES["LOR901"].docs_markdown
    assert lor901["shortDescription"]["text"] == RULES["LOR901"].summary
    assert lor901["fullDescription"]["text"] == "Why unsloth-gradient-checkpointing matters."
    assert lor901["helpUri"] == RULES["LOR901"].url
    assert lor901["name"] == "UnslothGradientCheckpointing"  # SARIF wants Pascal-case names

    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    assert run["columnKind"] == "unicodeCodePoints"
    assert len(run["results"]) == 5
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] == ("error" if result["ruleId"] == ANALYSIS_ERROR_CODE else "warning")

    by_key = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["ruleId"]): r
              for r in run["results"]}
    safe = by_key[("train.py", "LOR104")]
    loc = safe["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "train.py", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 3, "startColumn": 20, "endLine": 3, "endColumn": 36}
    (fix,) = safe["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["replacements"] == [{
        "deletedRegion": {"startLine": 3, "startColumn": 20, "endLine": 3, "endColumn": 36},
        "insertedContent": {"text": '"all-linear"'},
    }]
    notebook = by_key[("notebooks/finetune.ipynb", "LOR104")]
    assert notebook["properties"] == {"cell": 4} and "fixes" not in notebook
    assert notebook["message"]["text"] == "cell 4: message of LOR104"


def test_sarif_empty_is_valid(sarif_validator):
    log, run = _run(render("sarif", [], RULES, source_root="/repo"))
    sarif_validator.validate(log)
    assert run["results"] == []
    log, run = _run(render("sarif", [], {}, source_root="/repo"))
    sarif_validator.validate(log)
    assert run["tool"]["driver"]["rules"] == []


def test_sarif_uris_are_relative_percent_encoded_posix(sarif_validator, tmp_path):
    inside = tmp_path / "sub dir" / "ünï.py"
    outside = Path(os.path.abspath(os.sep)) / "elsewhere" / "x.py"
    names = ["./my scripts/train#1.py", "a:b.py", str(inside), str(outside)]
    results = [FileResult(n, (diag("LOR201", n, 1, 1, message="ünïcode ✓"),), None) for n in names]
    log, run = _run(render("sarif", results, RULES, source_root=str(tmp_path)))
    sarif_validator.validate(log)
    locations = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]:
                 r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]}
    assert locations["my%20scripts/train%231.py"]["uriBaseId"] == "%SRCROOT%"
    assert locations["a%3Ab.py"]["uriBaseId"] == "%SRCROOT%"
    assert locations["sub%20dir/%C3%BCn%C3%AF.py"]["uriBaseId"] == "%SRCROOT%"
    assert locations[outside.as_uri()] == {"uri": outside.as_uri()}
    assert {r["message"]["text"] for r in run["results"]} == {"ünïcode ✓"}


def test_sarif_validator_is_not_vacuous(sarif_validator):
    log, _ = _run(render("sarif", mixed_results(), RULES, source_root="/repo"))
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert not sarif_validator.is_valid(log)
    log, _ = _run(render("sarif", mixed_results(), RULES, source_root="/repo"))
    del log["runs"][0]["tool"]["driver"]["name"]
    assert not sarif_validator.is_valid(log)


def test_sarif_default_root_is_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, run = _run(render("sarif", [], RULES))
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path.cwd().as_uri() + "/"


@pytest.mark.parametrize("format_name", FORMATS)
def test_every_format_ends_with_a_newline_or_is_empty(format_name):
    out = render(format_name, mixed_results(), RULES, source_root="/repo")
    assert out.endswith("\n")
