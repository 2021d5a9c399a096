"""The analysis of a YAML trainer config (Axolotl, LLaMA-Factory, TRL's CLI): the rules that
apply to a config, on the ``FileModel`` ``yaml_setup.py`` builds from it.

Apart from ``engine.py`` because a flake8 run never reads YAML, and a flake8 process started
per save pays for every module it loads; the CLI and the language server import it for their
YAML files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, List, Optional

from ..config.settings import Settings
from .diagnostics import Diagnostic
from .engine import CONFIG_SPELLED_CODES, Analysis, deduplicate

if TYPE_CHECKING:
    from .versions import LibraryVersions

# The rules that judge YAML trainer configs: those about the LoRA settings, the model, chat
# formatting, memory, the embedding learning rate and removed TRL settings. Rules about Python
# call order, Unsloth's API or how a script links its objects do not apply to a config.
YAML_RULE_CODES = frozenset({
    "LOR101", "LOR102", "LOR103", "LOR104", "LOR105", "LOR106", "LOR107", "LOR109", "LOR110",
    "LOR111", "LOR201", "LOR202", "LOR203", "LOR204", "LOR208", "LOR301", "LOR401", "LOR402",
    "LOR403", "LOR501", "LOR505",
})


def analyse_config(text: str, settings: Optional[Settings] = None,
                   rule_filter: Optional[Callable[[str], bool]] = None,
                   versions: Optional[Callable[[], "LibraryVersions"]] = None) -> Analysis:
    """Analyse a YAML file: silent (``skipped``) unless its keys identify a trainer config
    (``sources.config_formats``); one ``error`` when such a config is not valid YAML."""
    from ..sources.config_formats import config_format

    guessed = config_format(text)
    if guessed is None:
        return Analysis(skipped=True)
    try:
        return _analyse_config(text, guessed, settings or Settings(), rule_filter, versions)
    except RecursionError:
        return Analysis(error="the document is nested too deeply to read")


def _analyse_config(text: str, guessed: str, settings: Settings,
                    rule_filter: Optional[Callable[[str], bool]],
                    versions: Optional[Callable[[], "LibraryVersions"]]) -> Analysis:
    from dataclasses import replace

    from ..fixing.yaml_edits import is_yaml_fix
    from ..sources.config_formats import format_of_keys
    from .yaml_document import YamlError, parse_config
    from .yaml_setup import config_model, trainer_config_facts
    from ..rules import RuleContext, active_rules

    facts = trainer_config_facts()
    try:
        document = parse_config(text, facts[guessed]["semantics"])
        config_format = format_of_keys(frozenset(document.keys())) if document else None
        if document is not None and config_format is not None \
                and facts[config_format]["semantics"] != facts[guessed]["semantics"]:
            document = parse_config(text, facts[config_format]["semantics"])
    except YamlError as error:
        return Analysis(error=error.describe())
    if document is None or config_format is None:
        return Analysis(skipped=True)
    file_model = config_model(document, config_format, text)
    file_model.versions_source = versions
    context = RuleContext(settings)
    diagnostics: List[Diagnostic] = []
    for rule in active_rules(lambda code: code in YAML_RULE_CODES and
                             (rule_filter is None or rule_filter(code))):
        if rule.code in file_model.config.silenced:
            continue
        for found in rule.check(file_model, context):
            message = found.message if rule.code in CONFIG_SPELLED_CODES \
                else file_model.config.spelled(found.message)
            # only text edits on the YAML apply here (no LibCST edit of Python code does)
            fix = found.fix if is_yaml_fix(found.fix) else None
            diagnostics.append(replace(found, message=message, fix=fix))
    return Analysis(diagnostics=deduplicate(diagnostics), model=file_model)
