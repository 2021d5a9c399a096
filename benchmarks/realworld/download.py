"""Download the real-world benchmark files, each at the commit the manifest pins.

    python benchmarks/realworld/download.py DIR [--manifest PATH]

Writes every manifest entry to DIR/<owner>/<name>/<path> from GitHub's raw file service
(https://raw.githubusercontent.com/<owner>/<name>/<commit>/<path>). Files already present
are kept. Entries of category "project-file" (requirements.txt, pyproject.toml, ... around
the scored files) are fetched too but not scored: lora-lint reads their version pins.
``--git OWNER/NAME=GITDIR`` reads that repository's entries from a local clone instead
(``git show COMMIT:PATH``), e.g. where the raw-file service cannot be reached. Standard
library only. The files belong to their authors: keep them out of this
repository.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
RAW_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"
ATTEMPTS = 3


def raw_url(entry: Dict[str, str]) -> str:
    """The raw-file address of one manifest entry (the path is percent-encoded, '/' kept)."""
    return RAW_URL.format(repo=entry["repo"], commit=entry["commit"],
                          path=urllib.parse.quote(entry["path"], safe="/"))


def local_path(directory: Path, entry: Dict[str, str]) -> Path:
    return directory / entry["repo"] / entry["path"]


def fetch(url: str) -> bytes:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                return response.read()
        except urllib.error.HTTPError:
            raise   # 404 and friends do not get better by retrying
        except OSError:
            if attempt == ATTEMPTS:
                raise
            time.sleep(2 * attempt)
    raise AssertionError("unreachable")


def from_clone(git_dir: str, entry: Dict[str, str]) -> bytes:
    """The file of ``entry`` at its pinned commit, read from a local clone of its repository."""
    result = subprocess.run(["git", "--git-dir", git_dir, "show", f"{entry['commit']}:{entry['path']}"],
                            capture_output=True)
    if result.returncode != 0:
        raise OSError(result.stderr.decode("utf-8", "replace").strip())
    return result.stdout


def download(directory: Path, entries: List[Dict[str, str]],
             clones: Optional[Dict[str, str]] = None) -> int:
    """Fetch the missing files; return the number that could not be fetched."""
    failures = 0
    for entry in entries:
        target = local_path(directory, entry)
        if target.exists():
            continue
        clone = (clones or {}).get(entry["repo"])
        url = f"{clone}:{entry['commit']}:{entry['path']}" if clone else raw_url(entry)
        try:
            data = from_clone(clone, entry) if clone else fetch(url)
        except OSError as error:
            print(f"failed: {url}: {error}", file=sys.stderr)
            failures += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        print(f"fetched {entry['repo']}/{entry['path']}")
    return failures


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--manifest", type=Path, default=HERE / "manifest.json")
    parser.add_argument("--git", action="append", default=[], metavar="OWNER/NAME=GITDIR",
                        help="read this repository's files from a local clone")
    options = parser.parse_args(argv)
    clones = dict(item.split("=", 1) for item in options.git)
    entries = json.loads(options.manifest.read_text(encoding="utf-8"))
    failures = download(options.directory, entries, clones)
    print(f"{len(entries) - failures} of {len(entries)} files in {options.directory}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
