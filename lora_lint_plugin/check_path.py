"""The generator of ``bytecode.CHECK_PATH``: the modules a process runs from the check path's
bundle, in the order an import runs them to their end.

``ROOTS`` are the modules whose imports (at module level, with themselves) make the check
path: what every analysed Python file runs (the engine, the model's extraction, the rules'
registry) and what nearly every training script needs as well (its model looked up in the
catalog; the shared helpers the rules that every script loads import). A module only some
files need is left out: it is imported when first needed, as before. ``python -m
lora_lint_plugin.check_path`` rewrites the list in ``bytecode.py`` from them, and a test fails
when it is stale.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Tuple

PACKAGE = "lora_lint_plugin"
ROOTS: Tuple[str, ...] = (
    "analysis.engine",
    "config.discovery",
    "analysis.extract",
    "analysis.provenance",
    "rules",
    "rules._common",
    "rules._vocabulary",
    "rules._model_names",
    "rules._training",
    "catalog.hf_config",
    "catalog.identify",
    "catalog.json_index",
)
LIST_FILE = Path(__file__).with_name("bytecode.py")
_BEGIN = "# BEGIN CHECK PATH\n"
_END = "# END CHECK PATH\n"


def computed_check_path() -> Tuple[str, ...]:
    """The modules an import of ``ROOTS`` runs in a fresh interpreter, in the order it finishes
    them (``-X importtime`` reports each module when it has run to its end); neither the
    package itself nor ``bytecode`` (imported before the bundle is read)."""
    roots = ", ".join(f"{PACKAGE}.{root}" for root in ROOTS)
    folder = str(Path(__file__).resolve().parent.parent)
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    environment["PYTHONPATH"] = folder
    finished = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {roots}"],
                              capture_output=True, text=True, check=True, env=environment,
                              cwd=folder).stderr
    names = [line.rpartition("|")[2].strip() for line in finished.splitlines()
             if line.startswith("import time:")]
    return tuple(name[len(PACKAGE) + 1:] for name in names
                 if name.startswith(PACKAGE + ".") and name != f"{PACKAGE}.bytecode")


def list_source(names: Tuple[str, ...]) -> str:
    rows = "".join(f'    "{name}",\n' for name in names)
    return f"CHECK_PATH: Tuple[str, ...] = (\n{rows})\n"


def written_list(text: str) -> str:
    return text.split(_BEGIN, 1)[1].split(_END, 1)[0]


def main() -> None:
    text = LIST_FILE.read_text(encoding="utf-8")
    before, rest = text.split(_BEGIN, 1)
    after = rest.split(_END, 1)[1]
    LIST_FILE.write_text(f"{before}{_BEGIN}{list_source(computed_check_path())}{_END}{after}",
                         encoding="utf-8")


if __name__ == "__main__":
    main()
