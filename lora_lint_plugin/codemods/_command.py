"""The shared machinery of lora-lint's codemod commands.

A command is a ``CodemodCommand`` working on the whole module: it hands the module's code to
the lora-lint engine, applies the chosen rules' fixes with ``fixes.fix_source`` (node
replacements by identity, re-parsed, repeated until stable) and returns the re-parsed result.
Nothing to change -> ``SkipFile``, so LibCST reports the file as skipped and never rewrites
it. Fixes that were held back (unsafe without ``--unsafe-fixes``, or, for commands that ask
for it, findings without an automatic fix) become codemod warnings, which LibCST prints under
the file name.

The class is abstract (``ABC`` as a direct base) so ``python -m libcst.tool list`` does not
show it; the concrete commands live in their own modules at top level, because LibCST's
process pool instantiates the class by import path in each worker.
"""

from __future__ import annotations

import argparse
import functools
import os
from abc import ABC
from typing import Callable, ClassVar, Dict, FrozenSet, Iterable, List, Optional, Tuple

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext, SkipFile

from ..analysis.diagnostics import Diagnostic, FixSafety
from ..config.options import parse_layer
from ..config.settings import Settings, layered_settings


class LoraLintFixCommand(CodemodCommand, ABC):
    """Apply lora-lint fixes of a set of rules to one module.

    Subclasses set ``DESCRIPTION``, ``CODES`` (the rule codes the command may fix; empty =
    every rule), ``ALWAYS_UNSAFE`` (apply unsafe fixes without ``--unsafe-fixes``, for
    commands whose whole purpose is one deliberate rewrite) and ``WARN_UNFIXED`` (warn about
    findings of the selected rules that have no automatic fix).
    """

    DESCRIPTION: str = "Apply lora-lint fixes."
    CODES: ClassVar[Tuple[str, ...]] = ()
    ALWAYS_UNSAFE: ClassVar[bool] = False
    WARN_UNFIXED: ClassVar[bool] = False

    def __init__(self, context: CodemodContext, select: Optional[str] = None,
                 ignore: Optional[str] = None, unsafe_fixes: bool = False,
                 long_context: Optional[str] = None) -> None:
        super().__init__(context)
        # add_args already rejected bad values on the command line; this ValueError is for
        # programmatic use (transform_module, CodemodTest).
        self.codes = selected_codes(type(self).CODES, select, ignore)
        self.unsafe = bool(unsafe_fixes) or type(self).ALWAYS_UNSAFE
        self.settings = _settings(long_context)

    @classmethod
    def add_args(cls, arg_parser: argparse.ArgumentParser) -> None:
        scope = ", ".join(cls.CODES) if cls.CODES else "every rule"
        arg_parser.add_argument(
            "--select", metavar="CODES", default=None, type=_selector_type(cls.CODES),
            help=f"Comma-separated rule codes or prefixes whose fixes to apply (among {scope}; "
                 "default: the rules enabled by default; LOR for every one, opt-in LOR9xx "
                 "included).")
        arg_parser.add_argument(
            "--ignore", metavar="CODES", default=None, type=_selector_type(cls.CODES),
            help="Comma-separated rule codes or prefixes whose fixes not to apply.")
        if not cls.ALWAYS_UNSAFE:
            arg_parser.add_argument(
                "--unsafe-fixes", action="store_true", default=False,
                help="Also apply unsafe fixes (they change what is trained, e.g. LOR101 "
                     "removes embedding modules from target_modules).")
        arg_parser.add_argument(
            "--long-context", metavar="TOKENS", default=None, type=_checked(_settings),
            help="Sequence length from which the long-context rules apply (default 8192).")

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        from ..analysis.versions import library_versions
        from ..fixing.fixes import fix_source
        from ..linting import analyse

        filename = self.context.filename
        path = filename if filename is not None and os.path.isfile(filename) else None
        versions = functools.lru_cache(maxsize=1)(lambda: library_versions(path))
        outcome = fix_source(tree.code,
                             lambda text: analyse(text, self.settings, self.codes, versions=versions,
                                                  path=path),
                             unsafe=self.unsafe)
        if outcome.error is not None and not outcome.changed:
            # fix_source keeps the diagnostics only when a fix broke the code (an analysis
            # error leaves none): that is a bug to report as a failure, not a skip.
            if outcome.remaining:
                raise FixFailed(outcome.error)
            raise SkipFile(f"lora-lint could not analyse this file: {outcome.error}")
        for message in self._held_back(outcome.remaining):
            self.warn(message)
        if not outcome.changed:
            raise SkipFile("no lora-lint fix to apply")
        # Keep the input's encoding: LibCST writes ``Module.bytes`` back to disk.
        return cst.parse_module(outcome.source).with_changes(encoding=tree.encoding)

    def _held_back(self, remaining: Iterable[Diagnostic]) -> List[str]:
        messages = []
        for diagnostic in remaining:
            where = f"{diagnostic.code} line {diagnostic.line}"
            fix = diagnostic.fix
            if fix is not None and fix.safety == FixSafety.UNSAFE and not self.unsafe:
                messages.append(f"{where}: unsafe fix not applied ({fix.description}); "
                                "pass --unsafe-fixes to apply it")
            elif fix is None and type(self).WARN_UNFIXED:
                messages.append(f"{where}: no automatic fix, change it by hand: "
                                f"{diagnostic.message}")
        return messages


class FixFailed(RuntimeError):
    """A fix produced code that does not parse; the file is left untouched."""


def selected_codes(candidates: Tuple[str, ...], select: Optional[str],
                   ignore: Optional[str]) -> FrozenSet[str]:
    """The rule codes to fix: ``candidates`` (all registered rules when empty) narrowed by
    ``select`` (default: rules enabled by default) and ``ignore``, with the CLI's semantics
    (``selection.RuleSelection``: prefixes, the longest prefix wins, opt-in rules only when
    selected explicitly).

    Raises ValueError for a malformed selector or one that matches none of the candidates, so
    a typo such as ``--select LOR31`` is reported instead of fixing nothing.
    """
    from ..rules import all_rules
    from ..config.selection import RuleSelection, parse_selectors

    pool = [rule for rule in all_rules() if not candidates or rule.code in candidates]
    names = list(candidates) if candidates else [rule.code for rule in pool]
    selectors: Dict[str, Tuple[str, ...]] = {}
    for option, text in (("--select", select), ("--ignore", ignore)):
        if text is None:
            continue
        selectors[option] = parse_selectors([text.replace(" ", ",")], option)
        for selector in selectors[option]:
            if not any(code.startswith(selector) for code in names):
                raise ValueError(f"{option} {selector}: no rule of this command matches "
                                 f"(it fixes {', '.join(names) or 'no rule yet'})")
    selection = RuleSelection(select=selectors.get("--select"),
                              ignore=selectors.get("--ignore", ()))
    return selection.enabled_codes(pool)


def _selector_type(candidates: Tuple[str, ...]) -> Callable[[str], str]:
    """An argparse ``type``: check a selector now, so a typo is a usage error, not a failure
    repeated for every file."""
    return _checked(lambda text: selected_codes(candidates, text, None))


def _checked(check: Callable[[str], object]) -> Callable[[str], str]:
    def validate(text: str) -> str:
        try:
            check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return text
    return validate


def _settings(long_context: Optional[str]) -> Settings:
    return layered_settings(parse_layer({"long-context": long_context}, "--long-context"))
