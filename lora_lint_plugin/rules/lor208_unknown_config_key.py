from __future__ import annotations

from typing import Any, Iterable, List, Optional

from ..analysis.diagnostics import Diagnostic, Fix, FixSafety
from ..analysis.model import FileModel
from ..catalog import levenshtein
from ..catalog.config_keys import FormatKeys, format_keys
from ..fixing.yaml_edits import rename_key
from ._config_keys import config_document, holds_anchored_values, other_tools_name, pinned_keys, \
    plugin_not_listed, releases
from .base import YAML, Invalid, Rule, RuleContext, YamlConfig, register

AXOLOTL = "axolotl"
LLAMA_FACTORY = "llama-factory"
TRL = "trl"
TOOL_NAMES = {AXOLOTL: "axolotl", LLAMA_FACTORY: "LLaMA-Factory", TRL: "TRL"}
TRL_TYPO_DISTANCE = 2


@register
class UnknownConfigKey(Rule):
    """
    ## What it does
    Flags a top-level key of a YAML trainer config that the tool does not know, with the
    closest key it does know:

    * axolotl: any key outside its config schema (all releases listed in the catalog, plugins'
      settings included), and a plugin's setting whose plugin `plugins:` does not list;
    * LLaMA-Factory (the flat layout): any key outside its argument classes;
    * TRL (`trl sft --config recipe.yaml`): a key one or two letters away from one of TRL's (a
      likely misspelling). Other keys stay silent there: recipes are often read by a project's
      own script with settings of its own (alignment-handbook's `chat_template`,
      `dataset_mixer`).

    The key lists are read from each tool's sources, per release (see docs/catalog.md); when the
    project pins the tool (`requirements.txt`, `pyproject.toml`, ...), only the listed releases
    the pin allows count, and a pin outside them keeps the rule silent. A key
    whose value other settings take through a YAML alias or merge key (`defaults: &base`,
    `<<: *base`) is a holder of shared values and stays silent.

    ## Why is this bad?
    axolotl validates the config with its schema and keeps only the keys the schema has: a
    misspelt `lora_targt_modules` or `gradient_checkpionting` is dropped without a word, and the
    run trains with the default instead (all linear layers, no checkpointing, ...). TRL's
    command hands keys its dataclasses do not take to `accelerate launch`, and a script that reads
    the recipe itself drops them. LLaMA-Factory stops before training with
    `ValueError: Some keys are not used by the HfArgumentParser: [...]`.

    ## Example
    ```yaml
    base_model: NousResearch/Meta-Llama-3-8B-Instruct
    adapter: lora
    lora_r: 16
    lora_targt_modules: [q_proj, v_proj]
    ```

    ## How to fix
    Spell the key as the tool does (the message names the closest key, or the key another
    tool's name maps to in this one, e.g. `max_seq_length` -> axolotl's `sequence_len`), list
    the plugin that owns a setting under `plugins:`, or delete the key.

    ## Fix safety
    When exactly one key is suggested and the config does not set it already, the key is
    renamed in place (value, comments and layout kept). Safe for LLaMA-Factory (the run could
    not start as written); unsafe for axolotl and TRL, where the setting starts to take effect
    and so changes what gets trained.
    """

    code = "LOR208"
    name = "unknown-config-key"
    summary = "A YAML trainer config key the tool does not know (ignored by axolotl and TRL)"
    fix_safety = FixSafety.UNSAFE

    VALID = (
        YamlConfig("""
        base_model: NousResearch/Meta-Llama-3-8B-Instruct
        adapter: lora
        lora_r: 16
        lora_alpha: 32
        lora_target_modules: [q_proj, v_proj]
        sequence_len: 2048
        plugins:
          - axolotl.integrations.liger.LigerPlugin
        liger_rope: true
        """),
        YamlConfig("""
        model_name_or_path: Qwen/Qwen2.5-7B-Instruct
        stage: sft
        finetuning_type: lora
        lora_rank: 8
        lora_target: all
        template: qwen
        cutoff_len: 2048
        overwrite_output_dir: true
        """),
        YamlConfig("""
        # read by the project's own script (alignment-handbook style), which has these settings
        model_name_or_path: Qwen/Qwen2.5-0.5B-Instruct
        use_peft: true
        lora_r: 16
        chat_template: "{% for message in messages %}{{ message.content }}{% endfor %}"
        dataset_mixer:
          HuggingFaceH4/ultrachat_200k: 1.0
        dataset_splits: [train_sft, test_sft]
        num_processes: 8
        """),
    )
    INVALID = (
        Invalid("""
        base_model: NousResearch/Meta-Llama-3-8B-Instruct
        adapter: lora
        lora_r: 16
        lora_targt_modules: [q_proj, v_proj]  # expect: LOR208
        max_seq_length: 4096  # expect: LOR208
        liger_rope: true  # expect: LOR208
        gptq_model_v1: false  # expect: LOR208
        """, fixed="""
        base_model: NousResearch/Meta-Llama-3-8B-Instruct
        adapter: lora
        lora_r: 16
        lora_target_modules: [q_proj, v_proj]  # expect: LOR208
        sequence_len: 4096  # expect: LOR208
        liger_rope: true  # expect: LOR208
        gptq_model_v1: false  # expect: LOR208
        """, language=YAML),
        Invalid("""
        model_name_or_path: Qwen/Qwen2.5-7B-Instruct
        stage: sft
        finetuning_type: lora
        lora_rnak: 8  # expect: LOR208
        lora_target: all
        template: qwen
        """, fixed="""
        model_name_or_path: Qwen/Qwen2.5-7B-Instruct
        stage: sft
        finetuning_type: lora
        lora_rank: 8  # expect: LOR208
        lora_target: all
        template: qwen
        """, language=YAML),
        Invalid("""
        model_name_or_path: Qwen/Qwen2.5-0.5B
        use_peft: true
        lora_r: 16
        gradient_checkpointing: false
        per_device_train_bach_size: 4  # expect: LOR208
        """, fixed="""
        model_name_or_path: Qwen/Qwen2.5-0.5B
        use_peft: true
        lora_r: 16
        gradient_checkpointing: false
        per_device_train_batch_size: 4  # expect: LOR208
        """, language=YAML),
    )

    def check(self, file: FileModel, context: RuleContext) -> Iterable[Diagnostic]:
        found = config_document(file)
        if found is None:
            return
        config_format, document = found
        listed = format_keys(config_format)
        keys = pinned_keys(file, config_format, listed) if listed is not None else None
        if keys is None:
            return  # no key list, or a pinned release older or newer than the listed ones
        entries = list(document.entries.values())
        for entry in entries:
            if holds_anchored_values(entry, entries):
                continue  # e.g. `defaults: &lora {...}` merged with `<<: *lora`: used, on purpose
            message = self._message(entry.key, config_format, keys, document)
            if message is not None:
                fix = None if keys.knows(entry.key) else \
                    _rename_fix(entry, config_format, keys, document)
                yield self.diagnostic(entry.key_span, message, fix)

    def _message(self, key: str, config_format: str, keys: FormatKeys, document: object) -> Optional[str]:
        tool = TOOL_NAMES[config_format]
        if keys.knows(key):
            plugin = plugin_not_listed(key, keys, document) if config_format == AXOLOTL else None
            if plugin is None:
                return None
            return (f"'{key}' is a setting of the axolotl plugin {plugin}, which 'plugins:' does not "
                    f"list: axolotl drops the key without a word, so the setting does nothing; add "
                    f"the plugin to 'plugins:'")
        suggestions = _suggestions(key, config_format, keys)
        if config_format == TRL:
            # a recipe's own script may define other keys (alignment-handbook's chat_template,
            # dataset_mixer): only a slip of a letter or two in one of TRL's keys is reported
            suggestions = [name for name in suggestions if levenshtein(key, name) <= TRL_TYPO_DISTANCE]
            if not suggestions:
                return None
        hint = f"; did you mean {_quoted(suggestions)}?" if suggestions else ""
        if config_format == LLAMA_FACTORY:
            return (f"'{key}' is not a LLaMA-Factory argument ({releases(keys, tool)}): it stops "
                    f"before training with 'ValueError: Some keys are not used by the "
                    f"HfArgumentParser'{hint}")
        if config_format == AXOLOTL:
            return (f"'{key}' is not an axolotl config key ({releases(keys, 'axolotl')}): axolotl "
                    f"drops it without a word, so the setting does nothing{hint}")
        return (f"'{key}' is not a key of TRL's script arguments, trainer configs or ModelConfig "
                f"({releases(keys, tool)}): the setting does not reach training{hint}")


def _suggestions(key: str, config_format: str, keys: FormatKeys) -> List[str]:
    """This tool's name for another tool's key, else the closest keys by spelling."""
    translated = other_tools_name(key, config_format)
    if translated is not None and keys.knows(translated):
        return [translated]
    return keys.closest(key)


def _quoted(names: Iterable[str]) -> str:
    return " or ".join(f"'{name}'" for name in names)


def _rename_fix(entry: Any, config_format: str, keys: FormatKeys, document: Any) -> Optional[Fix]:
    """Rename the key to the one suggestion, unless the config already sets that key."""
    from ..fixing.edits import make_fix  # loaded with the first fix
    suggestions = _suggestions(entry.key, config_format, keys)
    if len(suggestions) != 1 or suggestions[0] in document:
        return None
    return make_fix(FixSafety.SAFE if config_format == LLAMA_FACTORY else FixSafety.UNSAFE,
                    f"rename {entry.key} to {suggestions[0]}",
                    rename_key(entry.key_span, entry.key, suggestions[0]))
