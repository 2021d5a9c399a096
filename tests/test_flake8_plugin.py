"""The flake8 plugin through the real flake8 executable: registration, positions, noqa, options."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lora_lint_plugin import flake8_plugin
from lora_lint_plugin.flake8_plugin import LoraLintPlugin

from .conftest import flake8_codes, run_flake8, write_source

EMBEDDING_SCRIPT = """
    from peft import LoraConfig
    config = LoraConfig(r=16, target_modules=["q_proj", "embed_tokens"])
"""


def test_flake8_version_lists_the_plugin():
    result = subprocess.run([sys.executable, "-m", "flake8", "--version"],
                            capture_output=True, text=True, check=True)
    assert "lora-lint-plugin" in result.stdout


def test_reports_code_at_the_offending_literal(tmp_path):
    path = write_source(tmp_path, EMBEDDING_SCRIPT)
    # flake8 shows 1-based columns: the literal starts at 0-based column 52
    assert flake8_codes(path) == [(2, 53, "LOR101")]


def test_columns_count_characters_not_bytes(tmp_path):
    path = write_source(tmp_path, """
        from peft import LoraConfig
        s = "é€"; c = LoraConfig(target_modules=["lm_head"])
    """)
    line = path.read_text(encoding="utf-8").splitlines()[1]
    assert flake8_codes(path) == [(2, line.index('"lm_head"') + 1, "LOR101")]


def test_noqa_on_the_reported_line(tmp_path):
    path = write_source(tmp_path, """
        from peft import LoraConfig
        config = LoraConfig(
            r=16,
            target_modules=["q_proj", "embed_tokens"],  # noqa: LOR101
        )
        other = LoraConfig(target_modules=["lm_head"])  # noqa: LOR1
        third = LoraConfig(target_modules=["lm_head"])  # noqa: E501
    """)
    assert flake8_codes(path) == [(7, 36, "LOR101")]


def test_noqa_on_the_closing_line_does_not_cover_the_value(tmp_path):
    path = write_source(tmp_path, """
        from peft import LoraConfig
        config = LoraConfig(
            target_modules=["embed_tokens"],
        )  # noqa: LOR101
    """)
    assert [code for _, _, code in flake8_codes(path)] == ["LOR101"]


def test_per_file_ignores(tmp_path):
    path = write_source(tmp_path, EMBEDDING_SCRIPT, name="cpt.py")
    other = write_source(tmp_path, EMBEDDING_SCRIPT, name="train.py")
    result = run_flake8(tmp_path, "--select=LOR", "--per-file-ignores=cpt.py:LOR101")
    assert str(path) not in result.stdout
    assert f"{other}:2:" in result.stdout


def test_other_plugins_output_is_unchanged(tmp_path):
    path = write_source(tmp_path, """
        import os
        from peft import LoraConfig
        config = LoraConfig(target_modules=["lm_head"])
    """)
    with_lor = run_flake8(path, "--select=F,LOR").stdout.splitlines()
    without_lor = run_flake8(path, "--select=F").stdout.splitlines()
    assert [line for line in with_lor if " LOR" not in line] == without_lor
    assert any(" F401 " in line for line in without_lor)


def test_stdin_with_display_name(tmp_path):
    source = "from peft import LoraConfig\nLoraConfig(target_modules=['lm_head'])\n"
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select=LOR",
         "--stdin-display-name", "buffer.py", "-"],
        input=source, capture_output=True, text=True)
    assert result.stdout.startswith("buffer.py:2:28: LOR101"), result.stdout + result.stderr


def test_notebooks_passed_to_flake8_give_no_lora_findings(tmp_path):
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text('{"cells": [{"cell_type": "code", "source": ["from peft import LoraConfig\\n",'
                        ' "LoraConfig(target_modules=[\\"lm_head\\"])"]}]}', encoding="utf-8")
    result = run_flake8(notebook, "--select=LOR")
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_long_context_option_from_config_file(tmp_path):
    (tmp_path / "setup.cfg").write_text("[flake8]\nlora-lint-long-context = bogus\n", encoding="utf-8")
    path = write_source(tmp_path, EMBEDDING_SCRIPT)
    result = subprocess.run([sys.executable, "-m", "flake8", "--select=LOR", str(path)],
                            capture_output=True, text=True, cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert result.stdout.count("LOR000") == 1
    assert "long-context must be a whole number of tokens, not 'bogus'" in result.stdout


def test_bad_gpu_memory_becomes_one_lor000_per_file(tmp_path):
    path = write_source(tmp_path, EMBEDDING_SCRIPT)
    result = run_flake8(path, "--select=LOR", "--lora-lint-gpu-memory=lots")
    assert "Traceback" not in result.stderr
    assert result.stdout.count("LOR000") == 1
    assert "not a memory size: 'lots'" in result.stdout


def test_parallel_jobs_give_the_same_results(tmp_path):
    for index in range(6):
        write_source(tmp_path, EMBEDDING_SCRIPT, name=f"s{index}.py")
    serial = run_flake8(tmp_path, "--select=LOR", "--jobs=1").stdout.splitlines()
    parallel = run_flake8(tmp_path, "--select=LOR", "--jobs=2").stdout.splitlines()
    assert sorted(serial) == sorted(parallel)
    assert len(serial) == 6


def test_an_internal_error_is_one_diagnostic_not_a_crash(monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("lora_lint_plugin.analysis.engine.analyse_source", explode)
    plugin = LoraLintPlugin(None, ["from peft import LoraConfig\n", "LoraConfig()\n"], "x.py")
    reports = list(plugin.run())
    assert len(reports) == 1
    line, col, text, _ = reports[0]
    assert (line, col) == (1, 0)
    assert text.startswith("LOR000 ") and "RuntimeError: boom" in text


def test_plugin_module_does_not_import_libcst_eagerly():
    code = ("import sys, lora_lint_plugin.flake8_plugin; "
            "print('libcst' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def _modules_after_flake8(path, *options: str, isolated: bool = True) -> set:
    """The modules a fresh interpreter holds after flake8's own application checked ``path``."""
    code = ("import sys; from flake8.main.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(' '.join(sorted(sys.modules)), file=sys.stderr)")
    given = ("--isolated",) * isolated + options
    result = subprocess.run([sys.executable, "-c", code, *given, str(path)],
                            capture_output=True, text=True, check=True, cwd=os.path.dirname(path))
    return set(result.stderr.split())


def test_a_file_without_training_code_loads_no_analysis(tmp_path):
    # Editors lint on every save: a file the prefilter rejects pays for the prefilter only.
    path = write_source(tmp_path, """
        import torch
        model = torch.nn.Linear(4, 4)
    """)
    loaded = _modules_after_flake8(path)
    assert "lora_lint_plugin.flake8_plugin" in loaded
    heavy = {"lora_lint_plugin.analysis.extract", "lora_lint_plugin.rules", "lora_lint_plugin.catalog",
             "lora_lint_plugin.config.pyproject", "libcst", "pathspec", "tomllib", "tomli",
             # the text gate is asked before the engine, the ast gate and their imports load
             "lora_lint_plugin.analysis.engine", "lora_lint_plugin.analysis.prefilter",
             "lora_lint_plugin.analysis.scopes", "lora_lint_plugin.analysis.model"}
    assert "lora_lint_plugin.analysis.text_prefilter" in loaded
    assert not loaded & heavy


ATTENTION_ONLY_SCRIPT = """
    from unsloth import FastLanguageModel
    from trl import SFTConfig, SFTTrainer
    model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct-bnb-4bit")
    model = FastLanguageModel.get_peft_model(model, r=16, target_modules=["q_proj", "v_proj"])
    trainer = SFTTrainer(model=model, args=SFTConfig(output_dir="out"))
"""


def test_a_training_script_loads_only_what_its_checks_need(tmp_path):
    # No memory budget is set, so LOR403's estimator stays unloaded, and so does LOR902's
    # parameter count: flake8 drops the opt-in LOR9xx codes unless selected, so they are not
    # run. Checking never needs LibCST (fixes only) or pathspec (the CLI's globs only).
    path = write_source(tmp_path, ATTENTION_ONLY_SCRIPT)
    loaded = _modules_after_flake8(path)
    assert "lora_lint_plugin.rules.lor101_embedding_in_target_modules" in loaded  # the rules were loaded
    assert "lora_lint_plugin.catalog" in loaded  # the model was looked up
    assert not {name for name in loaded if name.startswith(("libcst", "pathspec",
                                                            "lora_lint_plugin.estimate"))}
    # nor what only some files need: launcher scripts (a second-tier value), flake8 selects
    # codes itself, applying fixes and moving an argument are for `lora-lint fix`, edits of
    # YAML configs for configs, the callers in other modules for a setup left unlinked here
    assert not loaded & {"lora_lint_plugin.analysis.launchers", "shlex", "lora_lint_plugin.config.selection",
                         "lora_lint_plugin.fixing.rounds", "lora_lint_plugin.fixing.relocation",
                         "lora_lint_plugin.fixing.yaml_edits", "lora_lint_plugin.analysis.callers",
                         # the package's own data classes (fast_dataclass) replace the module
                         "dataclasses",
                         # the second tier: no args.x, self.x, config file or os.path call here
                         "lora_lint_plugin.analysis.defaults", "lora_lint_plugin.analysis.attributes",
                         "lora_lint_plugin.analysis.config_files", "lora_lint_plugin.analysis.file_paths",
                         "lora_lint_plugin.analysis.field_options",
                         # fix builders: no finding here has a fix
                         "lora_lint_plugin.fixing.edits",
                         # flake8 hands over its tree: nothing is parsed again
                         "lora_lint_plugin.analysis.ast_parsing",
                         # no removed or unknown argument here: the version pins are not asked
                         "lora_lint_plugin.rules._versions"}
    # only the rules flake8 reports, and no rule that only judges YAML configs
    rules = {name.rsplit(".", 1)[-1][:6] for name in loaded
             if name.startswith("lora_lint_plugin.rules.lor")}
    assert "lor101" in rules and not {"lor901", "lor902", "lor903", "lor904", "lor208"} & rules
    rules = {name.rsplit(".", 1)[-1][:6] for name in _modules_after_flake8(path, "--select=LOR9")
             if name.startswith("lora_lint_plugin.rules.lor")}
    assert rules == {"lor901", "lor902", "lor903", "lor904"}


def test_a_pyproject_that_cannot_hold_the_table_loads_no_configuration_code(tmp_path):
    # Most projects' pyproject.toml never mention lora-lint, or only as a dependency: flake8
    # mode reads it as bytes and neither parses it nor imports config.pyproject on each save.
    (tmp_path / "pyproject.toml").write_text("[project]\ndependencies = ['lora-lint-plugin']\n")
    path = write_source(tmp_path, ATTENTION_ONLY_SCRIPT)
    loaded = _modules_after_flake8(path, isolated=False)
    assert "lora_lint_plugin.rules" in loaded and "lora_lint_plugin.config.discovery" in loaded
    assert not loaded & {"lora_lint_plugin.config.pyproject", "tomllib", "tomli"}
    (tmp_path / "pyproject.toml").write_text("[tool.lora-lint]\nlong-context = 4096\n")
    assert "lora_lint_plugin.config.pyproject" in _modules_after_flake8(path, isolated=False)


def test_rules_run_when_flake8_reports_their_codes(tmp_path):
    path = write_source(tmp_path, ATTENTION_ONLY_SCRIPT)
    assert "lora_lint_plugin.estimate.params" in _modules_after_flake8(path, "--extend-select=LOR902")
    assert flake8_codes(path) == [(4, 70, "LOR902")]  # --select=LOR reports the opt-in rules
    assert flake8_codes(path, "--extend-ignore=LOR902") == []


@pytest.mark.parametrize("value,expected", [("24GiB", 24 * 2**30), ("80GB", 80 * 10**9),
                                            ("1000", 1000), ("1.5 GiB", int(1.5 * 2**30))])
def test_memory_sizes(value, expected):
    from lora_lint_plugin.config.options import parse_memory_size

    assert parse_memory_size(value) == expected


def test_options_are_registered_with_prefix():
    names = []

    class Manager:
        def add_option(self, *args, **kwargs):
            names.extend(a for a in args if a.startswith("--"))
            assert kwargs.get("parse_from_config") is True

        def extend_default_ignore(self, codes):
            names.append(tuple(codes))

    flake8_plugin.LoraLintPlugin.add_options(Manager())
    assert all(name.startswith("--lora-lint-") for name in names if isinstance(name, str))
    assert ("LOR9",) in names


def test_rule_modules_load_once_from_their_files():
    """Rule modules are loaded from their files (``rules._load``): each once, also when several
    threads ask at the same time (an editor's server), and the same module an import gives."""
    code = ("import importlib, sys, threading\n"
            "from lora_lint_plugin.rules import active_rules, all_rules\n"
            "found = []\n"
            "threads = [threading.Thread(target=lambda: found.append(active_rules())) for _ in range(4)]\n"
            "[thread.start() for thread in threads]; [thread.join() for thread in threads]\n"
            "assert len(found) == 4 and all([type(rule) for rule in rules] == [type(rule) for rule in found[0]]\n"
            "                               for rules in found)\n"
            "module = sys.modules['lora_lint_plugin.rules.lor101_embedding_in_target_modules']\n"
            "assert importlib.import_module(module.__name__) is module\n"
            "import lora_lint_plugin.rules.lor101_embedding_in_target_modules as imported\n"
            "assert imported is module and module.__spec__.origin.endswith('lor101_embedding_in_target_modules.py')\n"
            "print(len(found[0]), len(all_rules()))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    running, every = map(int, result.stdout.split())
    assert running == every > 30


def test_a_files_analysis_is_freed_without_the_cyclic_collector():
    """The plugin resumes Python's cyclic collector after each file; the analysis holds no
    reference cycles (scopes <-> bindings, the resolver <-> its helpers), so all of it is
    freed when the plugin drops it and that collection has nothing of it to walk."""
    import ast
    import gc
    from pathlib import Path

    path = Path(__file__).parent / "data" / "scripts" / "peft_aliases_constants.py"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    left = []
    for _ in range(2):   # the first run may import modules and build per-process tables
        tree = ast.parse("".join(lines))
        gc.collect()
        gc.disable()
        try:
            reports = list(LoraLintPlugin(tree, lines, str(path)).run())
            left.append(gc.collect())
        finally:
            gc.enable()
        codes = [text.split()[0] for _, _, text, _ in reports]
        assert codes and "LOR000" not in codes   # analysed, and found something
    assert left[1] == 0
