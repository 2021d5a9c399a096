"""Rules declare what a file must have before they can report (``TRIGGERS``); a run imports
only the rule modules a file can trigger. The table the run reads is generated from the rules'
own declarations, and skipping a rule must never change what is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from lora_lint_plugin import rules
from lora_lint_plugin.analysis.engine import analyse_source
from lora_lint_plugin.config.settings import Settings
from lora_lint_plugin.rules import all_rules, example_language, example_source, triggers

from .conftest import dedent, write_source
from .test_flake8_plugin import _modules_after_flake8

SCRIPTS = sorted((Path(__file__).parent / "data" / "scripts").glob("*.py"))


def test_the_table_in_rules_init_is_the_rules_own_declarations():
    written = triggers.written_table(triggers.REGISTRY.read_text(encoding="utf-8"))
    assert written == triggers.table_source(), \
        "stale: run `python -m lora_lint_plugin.rules.triggers`"
    assert rules.TRIGGERS == triggers.declared_triggers()
    assert {"LOR102", "LOR403", "LOR503", "LOR508"} <= set(rules.TRIGGERS)


def test_an_unknown_trigger_kind_is_refused(monkeypatch):
    rule = rules.rule_by_code("LOR102")
    monkeypatch.setattr(rule, "TRIGGERS", {"keywords": ("modules_to_save",)})
    with pytest.raises(ValueError, match="unknown trigger kinds"):
        triggers.declared_triggers()


def _python_sources():
    for rule in all_rules():
        for example in (*rule.VALID, *rule.INVALID):
            if example_language(example) == "python":
                yield dedent(example_source(example)), dict(rule.EXAMPLE_SETTINGS)
    for path in SCRIPTS:
        yield path.read_text(encoding="utf-8"), {}
        yield path.read_text(encoding="utf-8"), {"gpu_memory": 8 * 10**9}


def test_skipping_the_rules_a_file_cannot_trigger_changes_no_diagnostic(monkeypatch):
    sources = list(_python_sources())
    assert len(sources) > 150
    gated = [analyse_source(source, Settings(**settings)).diagnostics for source, settings in sources]
    monkeypatch.setattr(rules, "TRIGGERS", {})
    every_rule = [analyse_source(source, Settings(**settings)).diagnostics for source, settings in sources]
    assert gated == every_rule
    assert sum(map(len, gated)) > 150


def test_a_trigger_the_file_has_runs_the_rule():
    source = dedent("""
        from peft import LoraConfig
        config = LoraConfig(r=8, target_modules=["q_proj"], modules_to_save=["embed_tokens"])
    """)
    file_model = analyse_source(source).model
    assert rules.may_report("LOR102", file_model, Settings())
    assert rules.may_report("LOR508", file_model, Settings())
    assert not rules.may_report("LOR503", file_model, Settings())  # no peft_config
    assert not rules.may_report("LOR403", file_model, Settings())
    assert rules.may_report("LOR403", file_model, Settings(gpu_memory=10**9))
    assert rules.may_report("LOR101", file_model, Settings())  # no triggers: always
    # any one trigger is enough: LOR301 needs chat signals or assistant-only loss
    file_model = analyse_source(dedent("""
        from trl import SFTConfig, SFTTrainer
        trainer = SFTTrainer(model=model, args=SFTConfig(assistant_only_loss=True))
    """)).model
    assert rules.may_report("LOR301", file_model, Settings())
    assert not rules.may_report("LOR302", file_model, Settings())


UNSLOTH_SCRIPT = """
    from unsloth import FastLanguageModel
    from trl import SFTConfig, SFTTrainer
    model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct-bnb-4bit")
    model = FastLanguageModel.get_peft_model(model, r=16, target_modules=["q_proj", "v_proj"])
    trainer = SFTTrainer(model=model, args=SFTConfig(output_dir="out"))
"""


def test_a_flake8_run_imports_no_rule_the_file_cannot_trigger(tmp_path):
    # No modules_to_save, LoraConfig, added tokens, chat format, memory budget,
    # embedding_learning_rate, peft_config or peft import here: those rules' modules (and the
    # chat helpers) stay unloaded.
    path = write_source(tmp_path, UNSLOTH_SCRIPT)
    loaded = {name.rsplit(".", 1)[-1][:6] for name in _modules_after_flake8(path)
              if name.startswith("lora_lint_plugin.rules.")}
    assert {"lor101", "lor103", "lor201", "lor507"} <= loaded
    assert not loaded & {"lor102", "lor108", "lor110", "lor111", "lor207", "lor209", "lor301",
                         "lor302", "lor403", "lor502", "lor503", "lor504", "lor508", "lor509",
                         "lor510", "_chat", "_chat_"}
    (tmp_path / "setup.cfg").write_text("[flake8]\nlora-lint-gpu-memory = 8GB\n")
    path.write_text(path.read_text() + "from peft import LoraConfig\n"
                    "trainer = SFTTrainer(model=model, peft_config=LoraConfig(modules_to_save=['score']))\n"
                    "text = tokenizer.apply_chat_template(messages, tokenize=False)\n"
                    "from transformers import AutoModelForCausalLM, Trainer\n"
                    "model = AutoModelForCausalLM.from_pretrained('m', load_in_4bit=True)\n"
                    "trainer = Trainer(model=model, tokenizer=tokenizer)\n")
    loaded = {name.rsplit(".", 1)[-1][:6] for name in _modules_after_flake8(path, isolated=False)
              if name.startswith("lora_lint_plugin.rules.lor")}
    assert {"lor102", "lor108", "lor110", "lor209", "lor301", "lor302", "lor403", "lor503", "lor504",
            "lor508", "lor509", "lor510"} <= loaded


PEFT_SCRIPT = """
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained("meta-llama/Meta-Llama-3-8B-Instruct")
    model = get_peft_model(model, LoraConfig(r=16, target_modules=["q_proj", "v_proj"]))
"""


def test_a_script_without_unsloth_loads_no_unsloth_rule(tmp_path):
    path = write_source(tmp_path, PEFT_SCRIPT)
    loaded = {name.rsplit(".", 1)[-1][:6] for name in _modules_after_flake8(path)
              if name.startswith("lora_lint_plugin.rules.lor")}
    assert {"lor101", "lor110", "lor508"} <= loaded
    assert not loaded & {"lor108", "lor205", "lor506"}


@pytest.mark.parametrize("code, facts", [("LOR509", "transformers_removed_loader_keywords"),
                                         ("LOR510", "transformers_removed_trainer_keywords")])
def test_a_rule_about_removed_keywords_is_triggered_by_exactly_the_keywords_in_the_data(code, facts):
    from lora_lint_plugin.rules._common import peft_fact

    assert rules.TRIGGERS[code] == {"arguments": tuple(peft_fact(facts)["keywords"])}
