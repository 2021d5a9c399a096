"""Latency of ``lora-lint server`` as an editor sees it, through the scripted stdio client of
the tests (the real console script, JSON-RPC over pipes):

    python benchmarks/lsp_latency.py [SCRIPT.py] [--rounds N]

* open -> publishDiagnostics: the first document of a session (rules and catalog load) and the
  median of the next ``--rounds`` opens (a new URI each time, so nothing is cached per document);
* save -> publishDiagnostics (didSave lints at once);
* codeAction (quick fixes realised with LibCST) on the first diagnostic, as editors ask on a
  cursor move, and ``source.fixAll`` (as on save), medians.

Default script: examples/finetune_llama3_unsloth.py (a typical Unsloth training script).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.lsp_client import LspClient  # noqa: E402


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def measure(script: Path, rounds: int) -> None:
    text = script.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        started = time.perf_counter()
        client = LspClient(root)
        client.initialize(root)
        ready = time.perf_counter()
        opens: List[float] = []
        saves: List[float] = []
        actions: List[float] = []
        fix_all: List[float] = []
        diagnostics = []
        for index in range(rounds + 1):
            path = root / f"train_{index}.py"
            path.write_text(text, encoding="utf-8")
            before = time.perf_counter()
            uri = client.open(path, text)
            diagnostics = client.diagnostics(uri, version=1)
            opens.append(time.perf_counter() - before)
            before = time.perf_counter()
            client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
            client.diagnostics(uri, version=1)
            saves.append(time.perf_counter() - before)
            if diagnostics:
                before = time.perf_counter()
                client.request("textDocument/codeAction", {
                    "textDocument": {"uri": uri}, "range": diagnostics[0]["range"],
                    "context": {"diagnostics": diagnostics[:1], "triggerKind": 2}})  # as on a cursor move
                actions.append(time.perf_counter() - before)
                before = time.perf_counter()
                client.request("textDocument/codeAction", {
                    "textDocument": {"uri": uri}, "range": diagnostics[0]["range"],
                    "context": {"diagnostics": [], "only": ["source.fixAll"]}})
                fix_all.append(time.perf_counter() - before)
        client.close()
    print(f"script: {script} ({len(text.splitlines())} lines, {len(diagnostics)} diagnostics)")
    print(f"server start + initialize: {_ms(ready - started)} ms")
    print(f"open -> publishDiagnostics: first {_ms(opens[0])} ms, then median {_ms(statistics.median(opens[1:]))} ms "
          f"({rounds} opens)")
    print(f"save -> publishDiagnostics: median {_ms(statistics.median(saves[1:]))} ms")
    if actions:
        print(f"codeAction (quick fixes, LibCST): first {_ms(actions[0])} ms, "
              f"then median {_ms(statistics.median(actions[1:]))} ms")
        print(f"codeAction source.fixAll (every fix round): median {_ms(statistics.median(fix_all[1:]))} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("script", nargs="?", type=Path, default=ROOT / "examples" / "finetune_llama3_unsloth.py")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    measure(args.script, max(2, args.rounds))


if __name__ == "__main__":
    main()
