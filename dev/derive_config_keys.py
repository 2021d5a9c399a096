"""Derive the top-level keys each YAML trainer accepts, per tool version, from the tools' sources.

Reads the sources *statically* (``ast``; nothing is imported or executed) and writes
``lora_lint_plugin/catalog/data/config_keys.json``:

* axolotl: the fields (and pydantic aliases) of ``AxolotlInputConfig``
  (``axolotl/utils/schemas/config.py``) and of all its bases; separately, per plugin package,
  the fields of the class each plugin's ``get_input_args()`` names (merged into the schema when
  the config lists the plugin). axolotl validates the YAML with pydantic and keeps only
  ``model_dump()``: any other key is dropped without a word.
* LLaMA-Factory: the ``init`` fields of every dataclass in the ``_*_ARGS`` lists of
  ``llamafactory/hparams/parser.py`` (train, inference, evaluation, Megatron variants) and of
  their bases, transformers' ``Seq2SeqTrainingArguments``/``TrainingArguments`` included.
  ``HfArgumentParser.parse_dict(allow_extra_keys=False)`` raises on any other key.
* TRL: the ``init`` fields of the dataclasses each ``trl/scripts/<command>.py`` hands to
  ``TrlParser`` (``make_parser``), with transformers' ``TrainingArguments``, plus ``env``
  (exported by the parser) and the options of ``accelerate launch`` (the ``trl`` command forwards
  keys the dataclasses do not take to it).

Transformers' ``TrainingArguments`` differ between majors, and LLaMA-Factory and TRL accept
both 4.x and 5.x: a key counts as known when one of the given transformers sources has it.

A source is a directory, a wheel (``.whl``), an sdist (``.tar.gz``) or ``GITDIR@REF`` (a bare
git repository and a tag or commit); ``=LABEL`` after it names the version when the tree does
not say it. Usage::

    python dev/derive_config_keys.py \\
        --axolotl /m/axolotl.git@v0.12.0 --axolotl /m/axolotl.git@v0.18.0 \\
        --axolotl DIR/axolotl-0.21.0-py3-none-any.whl \\
        --llamafactory /m/LLaMA-Factory.git@v0.9.3 --llamafactory DIR/llamafactory-0.9.5-py3-none-any.whl \\
        --trl /m/trl.git@v0.20.0 --trl DIR/trl-1.16.0.tar.gz \\
        --transformers DIR/transformers-4.57.6-py3-none-any.whl --transformers DIR/transformers-5.23.0.tar.gz \\
        --accelerate SITE_PACKAGES/accelerate=1.16.0 \\
        -o lora_lint_plugin/catalog/data/config_keys.json
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

ClassRef = Tuple[str, str]  # (module, class name)


# -- reading a source tree --------------------------------------------------------------------

@dataclass
class SourceTree:
    """The Python files of one package, keyed by dotted module name; never imported."""

    package: str
    description: str  # where it came from, for the data file's source note
    version: Optional[str]
    modules: Dict[str, str] = field(default_factory=dict)
    _parsed: Dict[str, Optional[ast.Module]] = field(default_factory=dict)

    def tree(self, module: str) -> Optional[ast.Module]:
        if module not in self._parsed:
            text = self.modules.get(module)
            try:
                self._parsed[module] = ast.parse(text) if text is not None else None
            except SyntaxError:
                self._parsed[module] = None
        return self._parsed[module]

    def is_package(self, module: str) -> bool:
        return any(name.startswith(module + ".") for name in self.modules)


def _files_of(spec: str) -> Tuple[Dict[str, str], str, Optional[str]]:
    """(path -> text of every .py and version file, description, commit) for a source spec."""
    path = Path(spec.split("@", 1)[0])
    if "@" in spec and (path / "HEAD").exists():
        ref = spec.split("@", 1)[1]
        commit = _git(path, "rev-parse", ref + "^{commit}").strip()
        names = _git(path, "ls-tree", "-r", "--name-only", commit).splitlines()
        wanted = [n for n in names if n.endswith(".py") or n in ("VERSION", "pyproject.toml", "setup.py")]
        texts = {n: _git(path, "show", f"{commit}:{n}") for n in wanted}
        named = f" ({ref})" if ref != commit else ""
        return texts, f"{_remote_name(path)}@{commit}{named}", commit
    texts = {}
    if path.is_dir():
        for file in path.rglob("*"):
            if file.suffix == ".py" or file.name in ("VERSION", "METADATA", "PKG-INFO"):
                texts[str(file.relative_to(path))] = file.read_text(encoding="utf-8", errors="replace")
    elif path.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.endswith((".py", "METADATA")):
                    texts[name] = archive.read(name).decode("utf-8", "replace")
    elif path.name.endswith(".tar.gz"):
        with tarfile.open(path) as archive:
            for member in archive.getmembers():
                if member.isfile() and member.name.endswith((".py", "PKG-INFO", "VERSION")):
                    handle = archive.extractfile(member)
                    if handle is not None:
                        texts[member.name] = io.TextIOWrapper(handle, "utf-8", "replace").read()
    else:
        raise SystemExit(f"unknown source {spec}")
    origin = " (PyPI)" if path.suffix == ".whl" or path.name.endswith(".tar.gz") else ""
    return texts, path.name + origin, None


def _git(git_dir: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(git_dir), *args], check=True,
                          capture_output=True, text=True).stdout


def _remote_name(git_dir: Path) -> str:
    # mirrors are stored as .../<owner>+<name>/repo
    parent = git_dir.parent.name if git_dir.name == "repo" else git_dir.name
    return parent.replace("+", "/")


def _version_of(texts: Dict[str, str]) -> Optional[str]:
    for name, text in sorted(texts.items(), key=lambda item: item[0].count("/")):
        base = name.rsplit("/", 1)[-1]
        if base in ("METADATA", "PKG-INFO"):
            found = re.search(r"^Version: (\S+)", text, re.M)
            if found:
                return found.group(1)
        if base == "VERSION":
            return text.strip()
    for name, text in texts.items():
        if name.endswith("extras/env.py") or name.endswith("__init__.py") and name.count("/") <= 2:
            found = re.search(r"^(?:__version__|VERSION)\s*=\s*[\"']([^\"']+)", text, re.M)
            if found:
                return found.group(1)
    return None


def load_tree(spec: str, package: str) -> SourceTree:
    label = None
    if "=" in spec:
        spec, label = spec.rsplit("=", 1)
    texts, description, _commit = _files_of(spec)
    modules = {}
    for name, text in texts.items():
        if not name.endswith(".py"):
            continue
        parts = name[:-3].split("/")
        if package not in parts:
            continue
        parts = parts[parts.index(package):]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = text
    if not modules:
        raise SystemExit(f"no package {package!r} in {spec}")
    return SourceTree(package, description, label or _version_of(texts), modules)


# -- classes and their fields -----------------------------------------------------------------

class Resolver:
    """Finds class definitions across trees, following imports and re-exports."""

    def __init__(self, trees: Sequence[SourceTree]) -> None:
        self.trees = list(trees)
        self.unresolved: Set[str] = set()

    def _tree_for(self, module: str) -> Optional[SourceTree]:
        for tree in self.trees:
            if module == tree.package or module.startswith(tree.package + "."):
                return tree
        return None

    def find_class(self, module: str, name: str, depth: int = 0) -> Optional[Tuple[SourceTree, str, ast.ClassDef]]:
        tree = self._tree_for(module)
        if tree is None or depth > 12:
            return None
        parsed = tree.tree(module)
        if parsed is not None:
            for statement in _top_level(parsed):
                if isinstance(statement, ast.ClassDef) and statement.name == name:
                    return tree, module, statement
            # imports at the top, then anywhere (TRL imports inside make_parser), then
            # ``Base = A`` / ``Base = B`` chosen by a condition (the first that resolves)
            statements = list(_top_level(parsed)) + [s for s in ast.walk(parsed)
                                                     if isinstance(s, ast.ImportFrom)]
            for statement in statements:
                if isinstance(statement, ast.ImportFrom):
                    for alias in statement.names:
                        if (alias.asname or alias.name) == name:
                            source = _absolute(module, statement, tree.is_package(module))
                            found = self.find_class(source, alias.name, depth + 1)
                            if found is not None:
                                return found
            for statement in _top_level(parsed):
                if isinstance(statement, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == name for t in statement.targets):
                    dotted = _dotted(statement.value)
                    if dotted is not None and dotted != name:
                        found = self.find_class(*self._base_ref(tree, module, dotted), depth=depth + 1)
                        if found is not None:
                            return found
        # a lazily importing package (transformers): the one module of the tree defining it
        owners = [m for m in tree.modules if _defines_class(tree, m, name)]
        if len(owners) == 1:
            return tree, owners[0], _class_def(tree, owners[0], name)
        return None

    def fields(self, ref: ClassRef, dataclass_only: bool) -> Set[str]:
        """Field names (and aliases) of a class and its bases; ``dataclass_only``: only the
        ``init`` fields of classes decorated as dataclasses (what ``HfArgumentParser`` sees)."""
        found = self.find_class(*ref)
        if found is None:
            self.unresolved.add(".".join(ref))
            return set()
        tree, module, node = found
        names: Set[str] = set()
        for base in node.bases:
            dotted = _dotted(base)
            if dotted is None or dotted in ("BaseModel", "object", "Generic") or dotted.startswith("typing."):
                continue
            names |= self.fields(self._base_ref(tree, module, dotted), dataclass_only)
        if dataclass_only and not any(_is_dataclass_decorator(d) for d in node.decorator_list):
            return names
        for statement in node.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                key = statement.target.id
                if key.startswith("_") or key == "model_config" or _is_class_var(statement.annotation):
                    continue
                if dataclass_only and _init_false(statement.value):
                    continue
                names.add(key)
                names |= _aliases(statement.value)
        return names

    def _base_ref(self, tree: SourceTree, module: str, dotted: str) -> ClassRef:
        if "." in dotted:  # transformers.TrainingArguments
            head, _, name = dotted.rpartition(".")
            parsed = tree.tree(module)
            imported = _module_alias(parsed, head) if parsed is not None else None
            return imported or head, name
        return module, dotted


def _top_level(module: ast.Module) -> Iterator[ast.stmt]:
    """Statements of a module, including those inside top-level if/try blocks."""
    pending = list(module.body)
    while pending:
        statement = pending.pop(0)
        yield statement
        if isinstance(statement, ast.If):
            pending.extend(statement.body + statement.orelse)
        elif isinstance(statement, ast.Try):
            pending.extend(statement.body + statement.orelse + statement.finalbody)
            for handler in statement.handlers:
                pending.extend(handler.body)


def _defines_class(tree: SourceTree, module: str, name: str) -> bool:
    text = tree.modules.get(module, "")
    return f"class {name}(" in text or f"class {name}:" in text


def _class_def(tree: SourceTree, module: str, name: str) -> ast.ClassDef:
    parsed = tree.tree(module)
    assert parsed is not None
    return next(s for s in _top_level(parsed) if isinstance(s, ast.ClassDef) and s.name == name)


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    keep = len(parts) - node.level + (1 if is_package else 0)
    base = parts[:keep]
    return ".".join(base + ([node.module] if node.module else []))


def _module_alias(parsed: ast.Module, name: str) -> Optional[str]:
    for statement in _top_level(parsed):
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if (alias.asname or alias.name) == name:
                    return alias.name
    return None


def _dotted(node: ast.expr) -> Optional[str]:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    if isinstance(node, ast.Subscript):  # Generic[T], BaseModel subclasses with parameters
        return _dotted(node.value)
    return None


def _is_dataclass_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    dotted = _dotted(target)
    return dotted is not None and dotted.rsplit(".", 1)[-1] == "dataclass"


def _is_class_var(annotation: ast.expr) -> bool:
    dotted = _dotted(annotation)
    return dotted is not None and dotted.rsplit(".", 1)[-1] == "ClassVar"


def _keyword(call: ast.Call, name: str) -> Optional[ast.expr]:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _init_false(value: Optional[ast.expr]) -> bool:
    if not isinstance(value, ast.Call):
        return False
    init = _keyword(value, "init")
    return isinstance(init, ast.Constant) and init.value is False


def _aliases(value: Optional[ast.expr]) -> Set[str]:
    """pydantic ``Field(alias=..., validation_alias=...)`` names: accepted as keys too."""
    if not isinstance(value, ast.Call):
        return set()
    names = set()
    for keyword in ("alias", "validation_alias"):
        node = _keyword(value, keyword)
        if node is None:
            continue
        for constant in ast.walk(node):
            if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                names.add(constant.value)
    return names


# -- per tool ---------------------------------------------------------------------------------

def axolotl_keys(tree: SourceTree) -> dict:
    resolver = Resolver([tree])
    keys = resolver.fields(("axolotl.utils.schemas.config", "AxolotlInputConfig"), dataclass_only=False)
    plugins: Dict[str, List[str]] = {}
    for module in sorted(tree.modules):
        if not module.startswith("axolotl.integrations."):
            continue
        for dotted in _returned_strings(tree, module, "get_input_args"):
            owner, _, name = dotted.rpartition(".")
            plugin_keys = resolver.fields((owner, name), dataclass_only=False) - keys
            package = ".".join(module.split(".")[:3])
            plugins.setdefault(package, [])
            plugins[package] = sorted(set(plugins[package]) | plugin_keys)
    return {"keys": sorted(keys), "plugin_keys": plugins, "unresolved": sorted(resolver.unresolved)}


def _returned_strings(tree: SourceTree, module: str, function: str) -> Iterator[str]:
    parsed = tree.tree(module)
    if parsed is None:
        return
    for node in ast.walk(parsed):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Return) and isinstance(inner.value, ast.Constant) \
                        and isinstance(inner.value.value, str):
                    yield inner.value.value


def llamafactory_keys(tree: SourceTree, transformers: Sequence[SourceTree]) -> dict:
    module = "llamafactory.hparams.parser"
    parsed = tree.tree(module)
    if parsed is None:
        raise SystemExit(f"{module} not found")
    classes = []
    for statement in _top_level(parsed):
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.List) and any(
                isinstance(t, ast.Name) and re.fullmatch(r"_[A-Z_]*ARGS", t.id) for t in statement.targets):
            classes += [e.id for e in statement.value.elts if isinstance(e, ast.Name)]
    keys: Set[str] = set()
    unresolved: Set[str] = set()
    for transformers_tree in transformers:  # the key is known with either transformers major
        resolver = Resolver([tree, transformers_tree])
        for name in dict.fromkeys(classes):
            keys |= resolver.fields((module, name), dataclass_only=True)
        unresolved |= resolver.unresolved
    return {"keys": sorted(keys), "argument_classes": list(dict.fromkeys(classes)),
            "unresolved": sorted(unresolved)}


def trl_keys(tree: SourceTree, transformers: Sequence[SourceTree], launcher: Sequence[str]) -> dict:
    commands: Dict[str, List[str]] = {}
    for module in sorted(tree.modules):
        if module.startswith("trl.scripts.") and not module.rsplit(".", 1)[-1].startswith("_"):
            classes = _parser_classes(tree, module)
            if classes:
                commands[module.rsplit(".", 1)[-1]] = classes
    keys: Set[str] = {"env"}  # exported to the environment by TrlParser
    unresolved: Set[str] = set()
    for transformers_tree in transformers:
        resolver = Resolver([tree, transformers_tree])
        for command, classes in commands.items():
            for name in classes:
                keys |= resolver.fields((f"trl.scripts.{command}", name), dataclass_only=True)
        unresolved |= resolver.unresolved
    return {"keys": sorted(keys), "commands": commands, "launcher_keys": list(launcher),
            "unresolved": sorted(unresolved)}


def _parser_classes(tree: SourceTree, module: str) -> List[str]:
    """Class names of the tuple passed to TrlParser (directly or through a local name)."""
    parsed = tree.tree(module)
    if parsed is None:
        return []
    tuples: Dict[str, List[str]] = {}
    for node in ast.walk(parsed):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    tuples[target.id] = [e.id for e in node.value.elts if isinstance(e, ast.Name)]
    for node in ast.walk(parsed):
        if isinstance(node, ast.Call) and _dotted(node.func) in ("TrlParser", "trl.TrlParser") and node.args:
            argument = node.args[0]
            if isinstance(argument, ast.Tuple):
                return [e.id for e in argument.elts if isinstance(e, ast.Name)]
            if isinstance(argument, ast.Name) and argument.id in tuples:
                return tuples[argument.id]
    return []


def accelerate_launch_options(path: Path) -> List[str]:
    """Long options of ``accelerate launch`` (commands/launch.py), without the dashes."""
    parsed = ast.parse((path / "commands" / "launch.py").read_text(encoding="utf-8"))
    options = set()
    for node in ast.walk(parsed):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "add_argument":
            for argument in node.args:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str) \
                        and argument.value.startswith("--"):
                    options.add(argument.value[2:])
    return sorted(options - {"help"})


# -- assembling the data file -----------------------------------------------------------------

# Format names as lora-lint's YAML front end spells them.
FORMATS = {
    "axolotl": {
        "how": "fields and pydantic aliases of AxolotlInputConfig (axolotl/utils/schemas/config.py) "
               "and its bases; plugin_keys: fields of the class each integration's get_input_args() "
               "names, merged when the config lists the plugin",
    },
    "llama-factory": {
        "how": "init fields of the dataclasses in the _*_ARGS lists of llamafactory/hparams/parser.py "
               "and their bases (transformers' Seq2SeqTrainingArguments/TrainingArguments)",
    },
    "trl": {
        "how": "init fields of the dataclasses each trl/scripts/<command>.py passes to TrlParser, with "
               "transformers' TrainingArguments; 'env'; launcher_keys: options of accelerate launch, "
               "to which the trl command forwards the keys the dataclasses do not take",
    },
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--axolotl", action="append", default=[])
    parser.add_argument("--llamafactory", action="append", default=[])
    parser.add_argument("--trl", action="append", default=[])
    parser.add_argument("--transformers", action="append", default=[])
    parser.add_argument("--accelerate", help="accelerate package directory, =VERSION after it")
    parser.add_argument("-o", "--output", type=Path, required=True)
    options = parser.parse_args(argv)

    transformers = [load_tree(spec, "transformers") for spec in options.transformers]
    transformers_note = ", ".join(f"transformers {t.version} ({t.description})" for t in transformers)
    launcher: List[str] = []
    accelerate_note = ""
    if options.accelerate:
        directory, _, version = options.accelerate.partition("=")
        launcher = accelerate_launch_options(Path(directory))
        accelerate_note = f"; launcher_keys from accelerate {version} commands/launch.py"

    formats: Dict[str, dict] = {name: dict(facts, versions=[]) for name, facts in FORMATS.items()}
    for spec in options.axolotl:
        tree = load_tree(spec, "axolotl")
        formats["axolotl"]["versions"].append(
            {"version": tree.version, "source": tree.description, **axolotl_keys(tree)})
    for spec in options.llamafactory:
        tree = load_tree(spec, "llamafactory")
        formats["llama-factory"]["versions"].append(
            {"version": tree.version, "source": f"{tree.description}; {transformers_note}",
             **llamafactory_keys(tree, transformers)})
    for spec in options.trl:
        tree = load_tree(spec, "trl")
        formats["trl"]["versions"].append(
            {"version": tree.version, "source": f"{tree.description}; {transformers_note}{accelerate_note}",
             **trl_keys(tree, transformers, launcher)})
    data = {
        "source": "derived statically (ast, nothing imported) by dev/derive_config_keys.py from the "
                  "sources named per version; keys are the top-level keys of a YAML config; "
                  "a key is known to a format when one of its versions has it",
        "formats": formats,
    }
    options.output.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    for name, facts in formats.items():
        for entry in facts["versions"]:
            extra = sum(len(v) for v in entry.get("plugin_keys", {}).values())
            print(f"{name} {entry['version']}: {len(entry['keys'])} keys"
                  + (f" (+{extra} plugin keys)" if extra else "")
                  + (f"; unresolved {entry['unresolved']}" if entry["unresolved"] else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
