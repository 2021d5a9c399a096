"""A scripted LSP client for the tests: starts ``lora-lint server`` as a subprocess and speaks
JSON-RPC to it with ``Content-Length`` framing, as an editor does.

A reader thread collects every message; ``request`` waits for its response, ``wait_for`` for a
notification matching a predicate. Every wait has a timeout, so a hung server fails the test
instead of hanging it.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any, Callable, Dict, List, Optional

SCRIPT = Path(sys.executable).with_name("lora-lint")
TIMEOUT = 30.0


def server_command() -> List[str]:
    return [str(SCRIPT), "server"] if SCRIPT.exists() else [sys.executable, "-m", "lora_lint_plugin", "server"]


def _read_message(stream: IO[bytes]) -> Optional[Dict[str, Any]]:
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        name, _, value = line.decode("ascii").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    if length is None:
        return None
    return json.loads(stream.read(length).decode("utf-8"))


class LspClient:
    def __init__(self, cwd: Path, capabilities: Optional[Dict[str, Any]] = None) -> None:
        self.process = subprocess.Popen(server_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, cwd=cwd, env=dict(os.environ))
        self._messages: "queue.Queue[Optional[Dict[str, Any]]]" = queue.Queue()
        self.notifications: List[Dict[str, Any]] = []
        self._next_id = 0
        self._reader = threading.Thread(target=self._read_all, daemon=True)
        self._reader.start()
        self.capabilities = capabilities if capabilities is not None else {}

    def _read_all(self) -> None:
        assert self.process.stdout is not None
        while True:
            message = _read_message(self.process.stdout)
            self._messages.put(message)
            if message is None:
                return

    def send(self, message: Dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def _next(self, deadline: float) -> Dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no message from the server in time")
        try:
            message = self._messages.get(timeout=remaining)
        except queue.Empty:
            raise TimeoutError("no message from the server in time") from None
        if message is None:
            raise EOFError(f"the server closed its output: {self.stderr()}")
        if "id" in message and "method" in message:  # a request from the server: accept it
            self.send({"id": message["id"], "result": None})
        return message

    def request(self, method: str, params: Any, timeout: float = TIMEOUT) -> Any:
        self._next_id += 1
        request_id = self._next_id
        self.send({"id": request_id, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while True:
            message = self._next(deadline)
            if message.get("id") == request_id and "method" not in message:
                assert "error" not in message, message["error"]
                return message.get("result")
            if "method" in message and "id" not in message:
                self.notifications.append(message)

    def wait_for(self, method: str, predicate: Callable[[Dict[str, Any]], bool] = lambda p: True,
                 timeout: float = TIMEOUT) -> Dict[str, Any]:
        """The params of the first (already received or coming) notification ``method`` that
        matches ``predicate``; the notifications before it are consumed."""
        for index, message in enumerate(self.notifications):
            if message["method"] == method and predicate(message["params"]):
                del self.notifications[:index + 1]
                return message["params"]
        self.notifications.clear()
        deadline = time.monotonic() + timeout
        while True:
            message = self._next(deadline)
            if message.get("method") == method and "id" not in message and predicate(message["params"]):
                return message["params"]

    def diagnostics(self, uri: str, version: Optional[int] = None, timeout: float = TIMEOUT) -> List[Dict[str, Any]]:
        params = self.wait_for("textDocument/publishDiagnostics",
                               lambda p: p["uri"] == uri and (version is None or p.get("version") == version),
                               timeout)
        return params["diagnostics"]

    def initialize(self, root: Path) -> Dict[str, Any]:
        result = self.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(),
                                             "capabilities": self.capabilities})
        self.notify("initialized", {})
        return result

    def open(self, path: Path, text: str, language: str = "python", version: int = 1) -> str:
        uri = path.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": language, "version": version, "text": text}})
        return uri

    def close(self) -> int:
        """shutdown, exit; the server's exit status."""
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            return self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()

    def stderr(self) -> str:
        """What the server wrote on stderr (only once it has exited)."""
        stream = self.process.stderr
        if self.process.poll() is None or stream is None or stream.closed:
            return ""
        return stream.read().decode("utf-8", "replace")


def apply_edits(text: str, edits: List[Dict[str, Any]]) -> str:
    """Apply LSP ``TextEdit``s (UTF-16 positions) to ``text``, as an editor does."""
    import re

    lines = re.split(r"(?<=\n)", text)

    def offset(position: Dict[str, int]) -> int:
        before = sum(len(line) for line in lines[:position["line"]])
        line = lines[position["line"]] if position["line"] < len(lines) else ""
        units = 0
        for index, char in enumerate(line):
            if units >= position["character"]:
                return before + index
            units += 2 if ord(char) > 0xFFFF else 1
        return before + len(line)

    located = sorted(((offset(e["range"]["start"]), offset(e["range"]["end"]), e["newText"]) for e in edits),
                     reverse=True)
    for start, end, new in located:
        text = text[:start] + new + text[end:]
    return text
