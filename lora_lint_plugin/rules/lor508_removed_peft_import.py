from __future__ import annotations

import ast
import os
from typing import Any, Dict, Iterator, List, Optional

from ..analysis.diagnostics import Diagnostic, Span
from ..analysis.model import FileModel, ImportRecord
from ._common import peft_fact
from ._versions import removal_against_pins
from .base import Rule, register

# Handlers that catch an ImportError: the file was written to survive the missing name.
_CATCHES_IMPORT_ERROR = frozenset({"ImportError", "ModuleNotFoundError", "Exception",
                                   "BaseException"})


def _guarded(file: FileModel, node: ast.AST) -> bool:
    """The import sits in a ``try`` whose handlers catch ImportError (or everything)."""
    scopes = file.scopes
    if scopes is None:
        return True   # the structure is unknown: say nothing
    for ancestor in scopes.ancestors(node):
        if isinstance(ancestor, ast.Try):
            for handler in ancestor.handlers:
                caught = handler.type
                names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
                if caught is None or any(isinstance(name, ast.Name) and name.id in
                                         _CATCHES_IMPORT_ERROR for name in names):
                    return True
    return False


def _local_peft(path: Optional[str]) -> bool:
    """A ``peft`` module or regular package of the project itself (a vendored copy beside the
    script or above it) may be imported instead of PEFT; a directory named ``peft`` without
    ``__init__.py`` (examples, notes) is a namespace portion, which an installed PEFT wins over."""
    if path is None:
        return False
    from ..sources.project import directories_up_to_root

    for directory in directories_up_to_root(os.path.dirname(os.path.abspath(path)), 4):
        if os.path.isfile(os.path.join(directory, "peft.py")) or \
                os.path.isfile(os.path.join(directory, "peft", "__init__.py")):
            return True
    return False


@register
class RemovedPeftImport(Rule):
    """
    ## What it does
    Flags `from peft import prepare_model_for_int8_training` (also from `peft.utils` and
    `peft.utils.other`): PEFT removed the function in 0.10.0. It had been a deprecated alias of
    `prepare_model_for_kbit_training` since 0.4.0, forwarding every argument to it. The facts,
    read from PEFT's tagged sources, are in `catalog/data/peft_lora_config.json`
    (`peft_removed_names`).

    The check follows the PEFT version the code states it runs with, as LOR505 does for TRL
    (docs/versions.md): with no pin it is reported (users install the current PEFT) and the
    message says that nothing is pinned; a pin whose every version has the removal
    (`peft>=0.11.0`) is named in the message; a pin that also allows older versions is named as
    breaking on upgrade; a pin older than 0.10 (`peft==0.3.0`), or one that cannot be placed
    among releases (a commit of PEFT's repository), keeps it silent.

    Not reported: an import inside a `try` whose handler catches `ImportError` (the code
    expects the name to be missing), and a project with its own `peft` module or package beside
    the file or in a directory above it (a vendored copy is what gets imported).

    ## Why is this bad?
    The script stops at its imports with `ImportError: cannot import name
    'prepare_model_for_int8_training' from 'peft'`. Tutorials from 2023 (alpaca-lora and its
    copies) still spell it this way.

    ## Example
    ```python
    from peft import LoraConfig, get_peft_model, prepare_model_for_int8_training
    model = prepare_model_for_int8_training(model)
    ```

    ## How to fix
    Import and call `prepare_model_for_kbit_training` instead (the same function since PEFT
    0.4), or pin the PEFT release the code was written for.

    ## Fix safety
    No automatic fix: the import and every use of the name would have to change together, and
    under a pin that allows PEFT 0.3 the new name does not exist.
    """

    code = "LOR508"
    name = "removed-peft-import"
    summary = "name imported from peft that current PEFT no longer has (ImportError)"
    TRIGGERS = {"imports": ("peft",)}  # only imports from peft

    VALID = (
        """
        from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
        model = prepare_model_for_kbit_training(model)
        """,
        """
        from peft import LoraConfig, get_peft_model
        try:
            from peft import prepare_model_for_int8_training
        except ImportError:
            prepare_model_for_int8_training = None
        """,
        """
        # /// script
        # dependencies = ["peft==0.3.0"]
        # ///
        from peft import LoraConfig, get_peft_model, prepare_model_for_int8_training
        """,
    )

    INVALID = (
        """
        from peft import (
            LoraConfig,
            get_peft_model,
            prepare_model_for_int8_training,  # expect: LOR508
        )
        model = prepare_model_for_int8_training(model)
        """,
        """
        # /// script
        # dependencies = ["peft>=0.11.0"]
        # ///
        from peft import LoraConfig, get_peft_model
        from peft.utils import prepare_model_for_int8_training  # expect: LOR508
        model = get_peft_model(prepare_model_for_int8_training(model), LoraConfig(r=8))
        """,
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        if file.config is not None:
            return
        removed: Dict[str, Any] = peft_fact("peft_removed_names")["names"]
        found: List[Diagnostic] = []
        for record in file.imports:
            if record.package == "peft" and isinstance(record.node, ast.ImportFrom):
                found.extend(self._removed_names(file, record, removed))
        # Only now, when there is something to say, is the project around the file read.
        if found and not _local_peft(file.path):
            yield from found

    def _removed_names(self, file: FileModel, record: ImportRecord,
                       removed: Dict[str, Any]) -> Iterator[Diagnostic]:
        node: ast.ImportFrom = record.node
        for alias in node.names:
            change = removed.get(alias.name)
            if change is None or node.module not in change["modules"] or _guarded(file, node):
                continue
            status = removal_against_pins(file, "peft", change["removed"])
            if status.silent:
                continue
            yield self.diagnostic(
                self._span(file, alias, record.span),
                f"peft has no {alias.name} since PEFT {change['removed']}: this import raises "
                f"'ImportError: cannot import name '{alias.name}' from '{node.module}''; use "
                f"{change['replacement']} (the same function since PEFT "
                f"{change['replacement_since']}){status.pin_note('do not have it')}")

    @staticmethod
    def _span(file: FileModel, alias: ast.alias, fallback: Span) -> Span:
        if getattr(alias, "lineno", None) is None or file.lines is None:
            return fallback   # Python 3.9: an alias has no position
        return file.lines.span(alias)
