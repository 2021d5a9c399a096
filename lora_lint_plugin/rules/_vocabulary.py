"""Vocabulary extension: the embeddings resized to a tokenizer that is not the model's own.

``model.resize_token_embeddings(len(tokenizer))`` with ``tokenizer`` loaded from another path
than the model (Chinese-LLaMA's merged tokenizer: Llama-2's 32,000 rows become 55,296) adds as
many rows as that tokenizer has beyond the model's vocabulary: a number the file does not show,
often tens of thousands. Training the whole embedding matrices is then the method, not an
oversight: "train the Instruct model" or ``trainable_token_indices`` for a handful of chat
tokens does not apply, so the embedding rules stay silent. A tokenizer loaded from the same
id or expression as the model is its own; one whose source cannot be compared may be another.
"""

from __future__ import annotations

import ast
from typing import Any, Optional

from ..analysis.model import FileModel, TokenizerSource, TrainingSetup
from ..analysis.values import Value


def extends_vocabulary(file: FileModel, setup: Optional[TrainingSetup]) -> bool:
    """True when the file resizes the embeddings to a tokenizer not known to be the model's."""
    if not file.resizing_tokenizers:
        return False
    model_id = setup.model_id if setup is not None else None
    loader = setup.model_load if setup is not None else None
    argument = loader.args.get("model_name") if loader is not None else None
    model_text = _text(argument.node) if argument is not None else None
    return any(not _is_models_own(source, model_id, model_text)
               for source in file.resizing_tokenizers)


def _is_models_own(source: TokenizerSource, model_id: object, model_text: Optional[str]) -> bool:
    """The tokenizer is loaded from the model's id (both resolved and equal) or from the same
    expression (``from_pretrained(args.model_path)`` for both)."""
    if isinstance(source.value, Value) and isinstance(model_id, Value) \
            and isinstance(source.value.python, str) and isinstance(model_id.python, str):
        return source.value.python == model_id.python
    return model_text is not None and source.text == model_text


def _text(node: Any) -> Optional[str]:
    """The expression an argument passes, normalised as ``ast.unparse`` writes it."""
    if isinstance(node, ast.keyword):
        node = node.value
    return ast.unparse(node) if isinstance(node, ast.expr) else None
