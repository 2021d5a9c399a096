"""What the file does with chat templates and chat tokens (LOR301, LOR302).

* ``chat_signals(file)``: the chat signals that say the data is chat-formatted, without the
  chat-token literals of tokens the file adds to the tokenizer itself (``add_special_tokens``
  / ``add_tokens``): those are the file's own format, not a chat template of the model;
  without a custom template text that holds no chat token (an Alpaca-style
  text with ``### Instruction:`` / ``### Response:`` headings given to Unsloth's
  ``apply_chat_template`` / ``get_chat_template``): plain text, which neither model knows;
  then the conversation normalisers (``standardize_sharegpt``) do not count either;
  and without ``apply_chat_template`` called after ``trainer.train()`` in the same scope
  (prompts for the trained model: inference, not the training data).
* ``chat_signals_for_model(file, model_id)``: the same, without chat-token literals that the
  model's tokenizer does not have as tokens (``[INST]`` / ``<s>`` text written for Llama 3):
  for that model they are plain text of a format of the file's own, which its Instruct
  sibling does not know either. Only when the tokenizer's tokens are recorded.
* ``untrained_tokens_reach_unsloth(file, before)``: whether Unsloth's check at
  ``SFTTrainer(...)`` certainly meets a Llama-3 chat token whose embedding row is untrained
  in the base checkpoint: the chat template last set before the trainer (Unsloth's
  ``get_chat_template`` / ``apply_chat_template``) is one that uses those tokens, or a string
  written before the trainer (data text, a template) holds one. True / False / None (unknown).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, FrozenSet, Iterable, List, Optional, Sequence

from ..analysis.diagnostics import Span
from ..analysis.extract import CHAT_TOKEN_LITERALS
from ..analysis.model import FileModel, Signal
from ..analysis.values import Value

__all__ = ["chat_signals", "chat_signals_for_model", "template_facts", "untrained_tokens_reach_unsloth"]


@lru_cache(maxsize=None)
def template_facts() -> dict:
    """``catalog/data/chat_templates.json`` (its ``source`` says where each fact comes from)."""
    from ..catalog import _data_text

    return json.loads(_data_text("chat_templates.json"))


def _untrained_tokens() -> FrozenSet[str]:
    return frozenset(template_facts()["untrained_chat_tokens"])


def _strings(value: Any) -> Optional[List[str]]:
    """Every string a resolved value holds (nested sequences and mapping values included);
    None when part of it is unknown."""
    if not isinstance(value, Value):
        return None
    if isinstance(value.python, str):
        return [value.python]
    if value.is_sequence:
        parts: Sequence[Any] = value.items
    elif value.is_mapping:
        parts = [entry for _, entry in value.entries]
    else:
        return None
    found = [_strings(part) for part in parts]
    if any(strings is None for strings in found):
        return None
    return [string for strings in found if strings is not None for string in strings]


def added_tokens(file: FileModel) -> Optional[FrozenSet[str]]:
    """Token strings the file adds to its tokenizer; None when some addition is not known
    (also when it only resizes the embeddings: the names come from somewhere we cannot see)."""
    def compute() -> Optional[FrozenSet[str]]:
        tokens: List[str] = []
        named = [addition for addition in file.token_additions
                 if addition.detail in ("add_tokens", "add_special_tokens", "add_new_tokens")]
        if not named and file.token_additions:
            return None  # rows resized for tokens added elsewhere (tokenizer keywords, a config)
        for addition in named:
            for value in addition.values:
                strings = _strings(value)
                if strings is None and not (isinstance(value, Value) and
                                            isinstance(value.python, (bool, int))):
                    return None  # ``special_tokens=True`` is a flag, anything else unknown
                tokens.extend(strings or ())
        return frozenset(tokens)
    return file.derived("added_tokens", compute)


def _inside_token_addition(file: FileModel, span: Span) -> bool:
    return any(addition.span.contains(span) for addition in file.token_additions)


def chat_signals(file: FileModel) -> List[Signal]:
    """The file's chat signals without chat-token literals of tokens it adds itself."""
    def compute() -> List[Signal]:
        added = added_tokens(file)
        # Data normalised to conversations and then rendered with a plain-text template of
        # the file's own is plain text too.
        plain_rendering = any(_plain_text_template(signal) for signal in file.chat_signals)
        kept = []
        for signal in file.chat_signals:
            if plain_rendering and signal.detail in _CONVERSATION_NORMALISERS:
                continue
            if signal.kind == "chat-token-literal" and (
                    added is None or signal.detail in added or _inside_token_addition(file, signal.span)):
                continue  # the file's own tokens (or tokens it adds that we cannot read)
            if signal.kind == "apply-chat-template-after-training" or _plain_text_template(signal):
                continue
            kept.append(signal)
        return kept
    return file.derived("chat_signals", compute)


def chat_signals_for_model(file: FileModel, model_id: Any) -> List[Signal]:
    """``chat_signals(file)`` as seen by the model ``model_id``: a chat-token literal its
    tokenizer is known not to have (another family's chat marker) is text, not its chat format."""
    signals = chat_signals(file)
    if not isinstance(model_id, str) or not any(s.kind == "chat-token-literal" for s in signals):
        return signals
    from ..catalog.identify import existing_tokens

    tokens = existing_tokens(model_id)
    if tokens is None:
        return signals  # the tokenizer's tokens are not recorded: any literal may be one
    return [signal for signal in signals
            if signal.kind != "chat-token-literal" or signal.detail in tokens]


# Markers of a model's special tokens in a template text (besides CHAT_TOKEN_LITERALS).
_SPECIAL_TOKEN_MARKERS = ("<|", "|>", "<s>", "</s>", "[INST]", "<start_of_turn>", "<bos>", "<eos>")


# Unsloth functions that only reshape a dataset into role/content conversations.
_CONVERSATION_NORMALISERS = ("standardize_sharegpt", "standardize_data_formats")


def _plain_text_template(signal: Signal) -> bool:
    """A template function or ``chat_template=`` argument given a template *text* of the
    file's own (not a template name) that holds no special token: a plain-text format such as
    Alpaca's."""
    if signal.kind not in ("unsloth-chat-function", "chat-template-argument") or not signal.values:
        return False
    strings = _strings(signal.values[0])
    if not strings:
        return False
    text = "\n".join(strings)
    if "\n" not in text and "{" not in text:
        return False   # a template name ("llama-3", "chatml"): a chat template
    return not any(marker in text for marker in (*CHAT_TOKEN_LITERALS, *_SPECIAL_TOKEN_MARKERS))


def _template_has_untrained_tokens(signal: Signal) -> Optional[bool]:
    """Whether the template an Unsloth template function sets uses the untrained tokens."""
    facts = template_facts()
    if not signal.values:
        return bool(facts["default_template_has_untrained_tokens"].get(signal.detail, False))
    strings = _strings(signal.values[0])
    if strings is None:
        return None
    named = set(facts["templates_with_untrained_tokens"])
    return any(text in named or _holds_untrained_token(text) for text in strings)


def _holds_untrained_token(text: str) -> bool:
    return any(token in text for token in _untrained_tokens())


def _before(span: Span, limit: Span) -> bool:
    return (span.end_line, span.end_col) <= (limit.line, limit.col)


def untrained_tokens_reach_unsloth(file: FileModel, before: Span) -> Optional[bool]:
    """Unsloth's untrained-token check at the trainer written at ``before`` meets a Llama-3
    chat token: True, False, or None when the template set last is not known."""
    template: Optional[bool] = None  # no template set by the file: the checkpoint's own
    setters: Iterable[Signal] = sorted(
        (signal for signal in file.chat_signals
         if signal.kind == "unsloth-chat-function" and signal.detail in
         template_facts()["default_template_has_untrained_tokens"] and _before(signal.span, before)),
        key=lambda signal: (signal.span.line, signal.span.col))
    for signal in setters:
        template = _template_has_untrained_tokens(signal)  # the last one set wins
    if template:
        return True
    for signal in chat_signals(file):
        if signal.kind == "chat-token-literal" and signal.detail in _untrained_tokens() \
                and _before(signal.span, before):
            return True  # data text (or a template) written before the trainer holds one
    return template


def adds_only_existing_tokens(file: FileModel, model_id: Any) -> bool:
    """Every token the file adds is one the tokenizer of ``model_id`` already has (catalog data
    ``tokenizer_tokens.json``): the additions then add no embedding rows. False when an
    addition is not known or the tokenizer is not recorded."""
    added = added_tokens(file)
    if not added or not isinstance(model_id, str):
        return False
    from ..catalog.identify import existing_tokens

    existing = existing_tokens(model_id)
    return existing is not None and added <= existing
