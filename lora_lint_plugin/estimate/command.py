"""Estimate trainable parameters, adapter file size and training memory of each LoRA setup.

``lora-lint estimate PATH...``: one table per training setup in a Python file or notebook, or
``--output-format json``. Exit 0 when every file was read, 2 on errors (unreadable file, bad
configuration). The numbers are static estimates; every assumption is printed with them.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

from ..fast_dataclass import replace
from ..config.pyproject import ConfigError, add_config_arguments, resolve_config
from ..analysis.config_analysis import analyse_config
from ..analysis.engine import analyse_source
from .report import JSON_VERSION, file_to_dict, render_text
from .setup import SetupEstimate, estimate_file
from ..sources.files import SourceError, SourceSkipped, read_source

EXIT_OK = 0
EXIT_ERROR = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="Python files (.py), notebooks (.ipynb) or trainer configs (.yml/.yaml) "
                             "to estimate")
    parser.add_argument("--output-format", choices=("text", "json"), default="text",
                        help="text tables (default) or JSON with stable keys")
    add_config_arguments(parser)


def _estimate_path(path: str, settings) -> dict:
    """JSON-ready result of one file: setups, or an error."""
    try:
        source = read_source(path)
    except SourceSkipped as error:
        return {"path": path, "setups": [], "skipped": str(error)}
    except SourceError as error:
        return {"path": path, "setups": [], "error": str(error)}
    if source.is_yaml:
        analysis = analyse_config(source.python, settings, rule_filter=lambda code: False)
        if analysis.skipped:
            return {"path": path, "setups": [], "skipped": "not a trainer config"}
    else:
        analysis = analyse_source(source.python, settings, rule_filter=lambda code: False)
    if analysis.error:
        return {"path": path, "setups": [], "error": analysis.error}
    results = (estimate_file(analysis.model, hf_cache=settings.hf_cache, hub=settings.hub)
               if analysis.model is not None else [])
    config = getattr(analysis.model, "config", None)
    if config is not None:   # a YAML trainer config: assumptions in the tool's own keys
        results = [replace(result, assumptions=[config.spelled_assumption(text)
                                                for text in result.assumptions])
                   if isinstance(result, SetupEstimate) else result for result in results]
    data = file_to_dict(path, results)
    data["_text"] = render_text(path, results)
    if source.notebook is not None:
        for setup in data["setups"]:
            location = setup.get("location")
            if location:
                try:
                    cell_location = source.notebook.locate(location["line"])
                    location["cell"], location["line"] = cell_location.cell, cell_location.line
                except Exception:  # positions are best effort; never crash on them
                    pass
    return data


def run(args: argparse.Namespace) -> int:
    paths: List[str] = list(args.paths)
    try:
        config = resolve_config(args, paths)
    except ConfigError as error:
        print(f"lora-lint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    settings = config.settings
    files = [_estimate_path(path, settings) for path in paths]
    failed = any("error" in f for f in files)
    if getattr(args, "output_format", "text") == "json":
        for f in files:
            f.pop("_text", None)
        payload = {"version": JSON_VERSION, "files": files}
        if settings.gpu_memory is not None:
            payload["gpu_memory_bytes"] = settings.gpu_memory
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        for f in files:
            if "error" in f:
                print(f"{f['path']}: error: {f['error']}", file=sys.stderr)
            elif "skipped" in f:
                print(f"{f['path']}: skipped: {f['skipped']}")
            else:
                sys.stdout.write(f.pop("_text"))
        if settings.gpu_memory is not None:
            print(f"GPU memory budget: {settings.gpu_memory:,} bytes")
    return EXIT_ERROR if failed else EXIT_OK


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="lora-lint estimate", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
