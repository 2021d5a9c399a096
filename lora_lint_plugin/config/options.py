"""The rule settings' declarations and their parsing: what flake8 asks for at its start, for the
plugin's options (every flake8 run, whether or not a file holds training code), without the
``Settings`` data class (``settings.py``), which the analysis needs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, Mapping, Tuple

DEFAULT_LONG_CONTEXT = 8192

# a pattern, compiled by re on first use: the plugin module (every flake8 run) compiles nothing
_SIZE = r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$"
_UNITS = {
    "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}


def parse_memory_size(text: str) -> int:
    """``"24GiB"`` -> 25769803776, ``"80GB"`` -> 80000000000, ``"1000"`` -> 1000 bytes.

    Raises ValueError with a readable message on anything else.
    """
    match = re.match(_SIZE, str(text), re.IGNORECASE)
    if not match:
        raise ValueError(f"not a memory size: {text!r} (examples: 24GiB, 80GB, 16000000000)")
    number, unit = match.groups()
    factor = _UNITS[(unit or "B").lower()]
    return int(float(number) * factor)


def parse_flag(text: object, name: str) -> bool:
    """``true``/``false`` (also ``yes``/``no``, ``1``/``0``, any case); ValueError otherwise."""
    if isinstance(text, bool):
        return text
    word = str(text).strip().lower()
    if word in ("true", "yes", "1", "on"):
        return True
    if word in ("false", "no", "0", "off"):
        return False
    raise ValueError(f"{name} must be true or false, not {text!r}")


def parse_token_count(text: object) -> int:
    """A positive whole number of tokens (``8192``, ``"80_000"``); ValueError otherwise."""
    try:
        value = int(str(text).strip().replace("_", ""))
    except ValueError:
        raise ValueError(f"long-context must be a whole number of tokens, not {text!r}") from None
    if value <= 0:
        raise ValueError(f"long-context must be positive, not {value}")
    return value


def parse_gpu_memory(text: object) -> int:
    size = parse_memory_size(str(text))
    if size <= 0:
        raise ValueError("must be larger than zero")
    return size


def parse_bool(text: object) -> bool:
    return parse_flag(text, "the value")


# -- every rule setting, declared once ------------------------------------------------------------

class SettingSpec:
    """One rule setting: its ``Settings`` field and its name in every layer that can set it:
    ``[tool.lora-lint]`` key ``key``, the command line's ``--key``, flake8's ``--lora-lint-key``.

    A plain class, not a data class: every flake8 run makes these at import and never compares
    or prints them, and building a data class costs ~0.15 M instructions."""

    __slots__ = ("field", "key", "parse", "toml_types", "expected", "metavar", "help")

    def __init__(self, field: str, key: str, parse: Callable[[Any], Any], toml_types: Tuple[type, ...],
                 expected: str, metavar: str, help: str) -> None:
        self.field = field
        self.key = key
        self.parse = parse            # text or TOML value -> value; ValueError with the reason
        self.toml_types = toml_types  # what the TOML table may hold
        self.expected = expected      # said when the TOML value has another type
        self.metavar = metavar
        self.help = help

    @property
    def flake8_option(self) -> str:
        return f"--lora-lint-{self.key}"

    @property
    def flake8_dest(self) -> str:
        return "lora_lint_" + self.field

    @property
    def is_switch(self) -> bool:
        """An on/off setting: ``--key``/``--no-key`` on the command line."""
        return self.toml_types == (bool,)


SETTING_SPECS: Tuple[SettingSpec, ...] = (
    SettingSpec("long_context", "long-context", parse_token_count, (int, str),
                "a positive whole number of tokens", "TOKENS",
                f"sequence length from which LOR401/LOR402 apply (default {DEFAULT_LONG_CONTEXT})"),
    SettingSpec("gpu_memory", "gpu-memory", parse_gpu_memory, (int, str),
                'a size such as "24GiB"', "SIZE",
                "GPU memory budget for LOR403, e.g. 24GiB or 80GB (default: off)"),
    SettingSpec("resolve_defaults", "resolve-defaults", parse_bool, (bool,), "true or false", "BOOL",
                "read argparse/dataclass/class/environment defaults and the config files the "
                "program reads as values (true or false; "
                "default true)"),
    SettingSpec("hf_cache", "hf-cache", parse_bool, (bool,), "true or false", "BOOL",
                "read models' config.json from local model directories and the Hugging Face "
                "cache (true or false; default true; never the network)"),
    SettingSpec("hub", "hub", parse_bool, (bool,), "true or false", "BOOL",
                "fetch a model's config.json from the Hugging Face Hub when it is not on disk "
                "(true or false; default false; needs huggingface_hub)"),
)
SETTING_KEYS = tuple(spec.key for spec in SETTING_SPECS)

if TYPE_CHECKING:
    from typing_extensions import TypeAlias

SettingsLayer: TypeAlias = "Tuple[Tuple[str, Any], ...]"   # (Settings field, parsed value) pairs


def parse_layer(raw: Mapping[str, Any], where: str, from_toml: bool = False) -> SettingsLayer:
    """The settings one source sets: ``raw`` maps keys (``long-context``) to the values written
    there (None or "" = not set). ValueError names the key and ``where``."""
    parsed = []
    for spec in SETTING_SPECS:
        value = raw.get(spec.key)
        if value is None or value == "":
            continue
        if from_toml and (not isinstance(value, spec.toml_types)
                          or (isinstance(value, bool) and bool not in spec.toml_types)):
            raise ValueError(f"'{spec.key}' in {where} must be {spec.expected}, not {value!r}")
        try:
            parsed.append((spec.field, spec.parse(value)))
        except ValueError as error:
            raise ValueError(f"'{spec.key}' in {where}: {error}") from None
    return tuple(parsed)


def flake8_layer(options: Any) -> SettingsLayer:
    """The rule settings flake8's ``--lora-lint-*`` options (command line or ``[flake8]``) set."""
    raw = {spec.key: getattr(options, spec.flake8_dest, None) for spec in SETTING_SPECS}
    return parse_layer(raw, "flake8's options")
