"""``model.resize_token_embeddings(len(tokenizer))``: where the tokenizer is loaded from, for
the rules that ask whether new tokens were added (``FileModel.resizing_tokenizers``).

Imported at the first ``resize_token_embeddings`` call (5 % of the real-world training
files): a flake8 process started per save pays for every module it loads.
"""

from __future__ import annotations

import ast
from typing import List, Optional

from .model import TokenizerSource
from .resolve import Resolver
from .scopes import assigned_expression


def resizing_tokenizers(resolver: Resolver, node: ast.Call) -> List[TokenizerSource]:
    """``model.resize_token_embeddings(len(tokenizer))``: where each tokenizer ``tokenizer``
    may be is loaded from (``LlamaTokenizer.from_pretrained(path)``: the resolved ``path``
    and its text); nothing when the tokenizer's loads are not all in sight."""
    size = node.args[0] if len(node.args) == 1 and not node.keywords else None
    if not isinstance(size, ast.Call) or not isinstance(size.func, ast.Name) \
            or size.func.id != "len" or len(size.args) != 1 \
            or not isinstance(size.args[0], ast.Name):
        return []
    name = size.args[0]
    bindings, _ = resolver.index.lookup(resolver.index.scope_of(name), name.id)
    sources: List[TokenizerSource] = []
    for binding in bindings:
        value = assigned_expression(binding.node, binding.statement)
        source = _tokenizer_source(value) if isinstance(value, ast.Call) else None
        if source is None:
            return []
        sources.append(TokenizerSource(resolver.resolve(source), ast.unparse(source)))
    return sources


def _tokenizer_source(call: ast.Call) -> Optional[ast.expr]:
    """The path or id ``SomeTokenizer.from_pretrained(source, ...)`` loads; None for any other
    call (a tokenizer class is named ``*Tokenizer`` or ``*TokenizerFast``)."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr != "from_pretrained":
        return None
    owner = func.value.attr if isinstance(func.value, ast.Attribute) else \
        func.value.id if isinstance(func.value, ast.Name) else ""
    if not owner.endswith(("Tokenizer", "TokenizerFast")):
        return None
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    return next((keyword.value for keyword in call.keywords
                 if keyword.arg == "pretrained_model_name_or_path"), None)
