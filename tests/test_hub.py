"""The opt-in Hub look-up against a local HTTP server that answers as the Hugging Face Hub does.

The server listens on 127.0.0.1 only; ``HF_ENDPOINT`` points ``huggingface_hub`` at it and
``HF_TOKEN`` is the credential it checks. It records every request, so the tests also show that
nothing is fetched unless the look-up is asked for.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from .conftest import write_source
from .test_hf_config import PRIVATE, TYPO_SCRIPT, SCRIPT, estimate, llama_lora_count, lor_codes, run

pytest.importorskip("huggingface_hub")

COMMIT = "1111111111111111111111111111111111111111"
TOKEN = "hf_test_token_for_the_local_server"
BODY = json.dumps(PRIVATE).encode()


class FakeHub(BaseHTTPRequestHandler):
    """``/<org>/<name>/resolve/<revision>/config.json`` for one private repository."""

    requests: List[Tuple[str, str, str]] = []

    def _answer(self, with_body: bool) -> None:
        self.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
        if self.path != "/acme/private-bot/resolve/main/config.json":
            self.send_response(404)
            self.send_header("X-Error-Code", "RepoNotFound")
            self.end_headers()
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.send_response(401)
            self.send_header("X-Error-Code", "GatedRepo")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("ETag", '"0123abcd"')
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        if with_body:
            self.wfile.write(BODY)

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(True)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hub() -> Iterator[str]:
    FakeHub.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def hub_env(monkeypatch: pytest.MonkeyPatch, endpoint: str, token: str = TOKEN) -> None:
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setenv("HF_TOKEN", token)
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)


def test_hub_lookup_fetches_config_json_into_the_cache(tmp_path: Path, hub: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    hub_env(monkeypatch, hub)
    cache = tmp_path / "hub-cache"
    path = write_source(tmp_path, SCRIPT.format(model="acme/private-bot", extra=""))
    # Not asked: no request at all, the model stays unknown.
    assert "not in lora-lint's catalog" in estimate(path, cwd=tmp_path, cache=cache)["skipped"]
    assert lor_codes(run("check", "--isolated", str(path), cwd=tmp_path, cache=cache)) == []
    assert FakeHub.requests == []
    setup = estimate(path, "--hub", cwd=tmp_path, cache=cache)
    assert setup["trainable_parameters"]["total"] == llama_lora_count(PRIVATE, 8)
    cached = cache / "models--acme--private-bot" / "snapshots" / COMMIT / "config.json"
    assert setup["model"]["config_path"] == str(cached)
    assert json.loads(cached.read_text()) == PRIVATE
    assert (cache / "models--acme--private-bot" / "refs" / "main").read_text() == COMMIT
    files = [(path, auth) for _, path, auth in FakeHub.requests if "/resolve/" in path]
    assert {path for path, _ in files} == {"/acme/private-bot/resolve/main/config.json"}
    assert all(auth == f"Bearer {TOKEN}" for _, auth in files)
    # Cached now: later runs read it without the Hub (and without --hub).
    FakeHub.requests.clear()
    typo = write_source(tmp_path, TYPO_SCRIPT.format(model="acme/private-bot"), "typo.py")
    assert lor_codes(run("flake8", str(typo), cwd=tmp_path, cache=cache)) == ["LOR103"]
    assert FakeHub.requests == []


def test_hub_switches_and_failures_are_quiet(tmp_path: Path, hub: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    hub_env(monkeypatch, hub)
    typo = write_source(tmp_path, TYPO_SCRIPT.format(model="acme/private-bot"))
    result = run("flake8", "--lora-lint-hub=true", str(typo), cwd=tmp_path,
                 cache=tmp_path / "c1")
    assert lor_codes(result) == ["LOR103"] and result.stderr == ""
    (tmp_path / "pyproject.toml").write_text("[tool.lora-lint]\nhub = true\n")
    assert lor_codes(run("check", str(typo), cwd=tmp_path, cache=tmp_path / "c2")) == ["LOR103"]
    # A wrong token (401) and an unknown repository (404): silent, and estimate says why.
    hub_env(monkeypatch, hub, token="hf_wrong")
    assert lor_codes(run("check", str(typo), cwd=tmp_path, cache=tmp_path / "c3")) == []
    skipped = estimate(typo, "--hub", cwd=tmp_path, cache=tmp_path / "c3")["skipped"]
    assert "could not be fetched from the Hub" in skipped
    other = write_source(tmp_path, TYPO_SCRIPT.format(model="acme/no-such-bot"), "other.py")
    result = run("check", "--select", "LOR1,LOR904", str(other), cwd=tmp_path,
                 cache=tmp_path / "c3")
    assert lor_codes(result) == ["LOR904"] and "could not be fetched" in result.stdout
    # Local paths are never sent to the Hub.
    FakeHub.requests.clear()
    local = write_source(tmp_path, TYPO_SCRIPT.format(model="./models/bot"), "local.py")
    run("check", str(local), cwd=tmp_path, cache=tmp_path / "c3")
    assert FakeHub.requests == []
