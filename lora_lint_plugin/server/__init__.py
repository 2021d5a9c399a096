"""``lora-lint server``: a Language Server (LSP over standard input and output) for editors.

Diagnostics with links to each rule's page, quick fixes, "disable for this line" and
``source.fixAll.lora-lint``, for Python files, Jupyter notebooks and YAML trainer configs, with
the configuration the CLI would use. Built on pygls and lsprotocol, the optional ``lsp`` extra
(``pip install "lora-lint-plugin[lsp]"``); nothing else in lora-lint imports them.

Modules: ``documents`` (what is linted, as a ``sources.Source``), ``configuration`` (the nearest
``pyproject.toml``, reloaded on change), ``lint`` (the one lint path and the one fix path, never
raising), ``positions`` and ``diagnostics`` (LSP positions in UTF-16), ``notebook_text``
(positions in a notebook's JSON text), ``actions`` (code actions), ``app`` (the pygls wiring).
"""

from __future__ import annotations

import sys

INSTALL_HINT = 'pip install "lora-lint-plugin[lsp]"'


def missing_dependency() -> str:
    """The missing module's name when the ``lsp`` extra is not installed, else ""."""
    try:
        import lsprotocol.types  # noqa: F401
        import pygls.lsp.server  # noqa: F401
    except ImportError as error:
        return error.name or "pygls"
    return ""


def run() -> int:
    """The ``lora-lint server`` command: serve until the client exits (exit status 2 without
    the ``lsp`` extra)."""
    missing = missing_dependency()
    if missing:
        sys.stderr.write(f"lora-lint: the language server needs the 'lsp' extra ({missing} is not "
                         f"installed): {INSTALL_HINT}\n")
        return 2
    from .app import serve

    serve()
    return 0
