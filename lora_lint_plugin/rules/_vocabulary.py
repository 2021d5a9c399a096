"""Vocabulary extension: the embeddings resized to a tokenizer that is not the model's own.

``model.resize_token_embeddings(len(tokenizer))`` with ``tokenizer`` loaded from another path
than the model (Chinese-LLaMA's merged tokenizer: Llama-2's 32,000 rows become 55,296) adds as
many rows as that tokenizer has beyond the model's vocabulary: a number the file does not show,
often tens of thousands. Training the whole embedding matrices is then the method, not an
oversight: "train the Instruct model" or ``trainable_token_indices`` for a handful of chat
tokens does not apply, so the embedding rules stay silent. A tokenizer loaded from the model's
id or from the same expression as its loader is the model's own; one whose source cannot be
compared may be another. The model is the setup's loader, or, for a LoRA call linked to none,
any loader of the file.
"""

from __future__ import annotations

import ast
from typing import Any, List, Optional, Set

from ..analysis.model import MODEL_LOAD, FileModel, TokenizerSource, TrainingSetup
from ..analysis.values import Value


def extends_vocabulary(file: FileModel, setup: Optional[TrainingSetup]) -> bool:
    """True when the file resizes the embeddings to a tokenizer not known to be the model's."""
    if not file.resizing_tokenizers:
        return False
    ids: Set[str] = set()
    texts: Set[str] = set()
    if setup is not None and setup.model_id is not None and isinstance(setup.model_id.python, str):
        ids.add(setup.model_id.python)
    loads: List[Any] = [setup.model_load] if setup is not None and setup.model_load is not None \
        else list(file.calls_with_role(MODEL_LOAD))
    for load in loads:
        argument = load.args.get("model_name")
        if argument is None:
            continue
        if isinstance(argument.value, Value) and isinstance(argument.value.python, str):
            ids.add(argument.value.python)
        text = _text(argument.node)
        if text is not None:
            texts.add(text)
    return any(not _is_models_own(source, ids, texts) for source in file.resizing_tokenizers)


def _is_models_own(source: TokenizerSource, ids: Set[str], texts: Set[str]) -> bool:
    """The tokenizer is loaded from the model's id (both resolved and equal) or from the same
    expression (``from_pretrained(args.model_path)`` for both)."""
    if isinstance(source.value, Value) and isinstance(source.value.python, str) and ids:
        return source.value.python in ids
    return source.text in texts


def _text(node: Any) -> Optional[str]:
    """The expression an argument passes, normalised as ``ast.unparse`` writes it."""
    if isinstance(node, ast.keyword):
        node = node.value
    return ast.unparse(node) if isinstance(node, ast.expr) else None
