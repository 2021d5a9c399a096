"""What YAML that is not a trainer config costs lora-lint, next to reading and parsing it.

    python benchmarks/yaml_prefilter.py [PATH...] [--repeat N]

PATHs are YAML files or directories searched for ``*.yml``/``*.yaml``; without PATHs a corpus
of everyday repository YAML (GitHub workflows, docker-compose files, Kubernetes manifests,
pre-commit configs, mkdocs and conda files, 100 of each kind, 600 files) is written to a
temporary directory. Each file is classified once by lora-lint (trainer config or not); then,
for the same files and in the same run, three workloads are timed (best of ``--repeat``):

* ``read``: open, read and decode the file (the floor any tool pays);
* ``safe_load``: read + ``yaml.load`` with libyaml's ``CSafeLoader`` (what any YAML-aware
  tool pays to look inside);
* ``lora-lint``: what ``lora-lint check`` does per file, without output: ``read_source`` +
  ``config_analysis.analyse_config`` (the key prefilter; parsing and rules only for trainer configs).

Prints one table: per group (other YAML, trainer configs), files, time per file, and the ratio
of lora-lint to ``read`` and to ``safe_load``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml  # noqa: E402

from lora_lint_plugin.analysis.config_analysis import analyse_config  # noqa: E402
from lora_lint_plugin.sources.config_formats import config_format  # noqa: E402
from lora_lint_plugin.sources.files import read_source  # noqa: E402

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TEMPLATES: Dict[str, str] = {
    "workflow.yml": """\
name: CI {n}
on:
  push:
    branches: [main]
  pull_request:
jobs:
  test:
    runs-on: ${{{{ matrix.os }}}}
    strategy:
      matrix:
        os: [ubuntu-latest, macos-latest, windows-latest]
        python-version: ["3.9", "3.10", "3.11", "3.12"]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{{{ matrix.python-version }}}}
      - run: pip install -e .[test]
      - run: pytest -q --cov
      - name: upload coverage
        uses: codecov/codecov-action@v4
        with:
          token: ${{{{ secrets.CODECOV_TOKEN }}}}
""",
    "docker-compose.yml": """\
services:
  trainer{n}:
    image: axolotlai/axolotl:main-latest
    command: accelerate launch -m axolotl.cli.train /configs/lora.yml
    environment:
      - HF_TOKEN=${{HF_TOKEN}}
      - WANDB_PROJECT=run-{n}
    volumes:
      - ./configs:/configs
      - ./outputs:/outputs
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: all
              capabilities: [gpu]
  redis:
    image: redis:7
    ports: ["6379:6379"]
""",
    "job.yaml": """\
apiVersion: batch/v1
kind: Job
metadata:
  name: finetune-{n}
  labels: {{app: trainer, run: "{n}"}}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: train
          image: ghcr.io/example/trainer:1.{n}
          args: ["--config", "/etc/train/config.yaml"]
          resources:
            limits:
              nvidia.com/gpu: 8
              memory: 512Gi
          volumeMounts:
            - name: config
              mountPath: /etc/train
      volumes:
        - name: config
          configMap:
            name: train-config-{n}
""",
    "pre-commit-config.yaml": """\
repos:
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v4.6.0
    hooks:
      - id: trailing-whitespace
      - id: end-of-file-fixer
      - id: check-yaml
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.{n}.0
    hooks:
      - id: ruff
        args: [--fix]
      - id: ruff-format
""",
    "mkdocs.yml": """\
site_name: Project {n}
theme:
  name: material
  features: [navigation.tabs, search.highlight]
nav:
  - Home: index.md
  - Guide:
      - Install: install.md
      - Training: training.md
  - API: api.md
plugins:
  - search
  - mkdocstrings:
      handlers:
        python:
          options: {{show_source: false}}
markdown_extensions:
  - admonition
  - pymdownx.superfences
""",
    "environment.yml": """\
name: train-{n}
channels: [conda-forge, pytorch, nvidia]
dependencies:
  - python=3.11
  - pytorch=2.4
  - pytorch-cuda=12.1
  - pip
  - pip:
      - transformers>=4.44
      - peft>=0.12
      - trl>=0.10
      - datasets
      - accelerate
""",
}


def everyday_corpus(directory: Path, per_kind: int = 100) -> List[str]:
    paths = []
    for name, template in _TEMPLATES.items():
        for n in range(per_kind):
            path = directory / f"{n:03d}-{name}"
            path.write_text(template.format(n=n), encoding="utf-8")
            paths.append(str(path))
    return paths


def yaml_files(paths: Sequence[str]) -> List[str]:
    found: List[str] = []
    for path in paths:
        if os.path.isdir(path):
            found.extend(str(p) for p in sorted(Path(path).rglob("*"))
                         if p.suffix.lower() in (".yml", ".yaml") and p.is_file())
        else:
            found.append(path)
    return found


def _read(path: str) -> object:
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def _safe_load(path: str) -> object:
    try:
        return yaml.load(_read(path), Loader=LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return None


def _lora_lint(path: str) -> object:
    return analyse_config(read_source(path).python)


WORKLOADS: Tuple[Tuple[str, Callable[[str], object]], ...] = (
    ("read", _read), ("safe_load", _safe_load), ("lora-lint", _lora_lint))


def best_time(work: Callable[[str], object], files: Sequence[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for path in files:
            work(path)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(list(argv) or None)
    with tempfile.TemporaryDirectory() as scratch:
        files = yaml_files(args.paths) if args.paths else everyday_corpus(Path(scratch))
        groups: Dict[str, List[str]] = {"other YAML": [], "trainer configs": []}
        for path in files:
            text = str(_read(path))
            groups["trainer configs" if config_format(text) else "other YAML"].append(path)
        for path in files:   # warm the page cache and lora-lint's lazy imports
            _lora_lint(path)
            _safe_load(path)
        print(f"libyaml C loader: {'yes' if LOADER is not yaml.SafeLoader else 'no'}; "
              f"best of {args.repeat} runs")
        print(f"{'group':<16} {'files':>6} {'read':>10} {'safe_load':>10} {'lora-lint':>10} "
              f"{'/read':>7} {'/safe_load':>10}   (time per file)")
        for group, members in groups.items():
            if not members:
                continue
            times = {name: best_time(work, members, args.repeat) / len(members)
                     for name, work in WORKLOADS}
            print(f"{group:<16} {len(members):>6} "
                  + " ".join(f"{times[name] * 1e6:>8.1f}us" for name, _ in WORKLOADS)
                  + f" {times['lora-lint'] / times['read']:>6.2f}x"
                  + f" {times['lora-lint'] / times['safe_load']:>9.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
