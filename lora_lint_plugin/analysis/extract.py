"""Extraction: from an ``ast`` module to the typed ``FileModel``.

Calls are recognised by qualified name (import aliases and shadowing followed through
``scopes.ScopeIndex``, with the semantics of LibCST's ``QualifiedNameProvider``), their
arguments resolved with ``Resolver``, and the calls linked through variables into training
setups: loader -> LoRA -> trainer.

The analysis runs on the standard library's ``ast`` (the tree flake8 has already built), not
on LibCST: parsing and resolving LibCST metadata costs ~50x ``ast.parse``. LibCST is used
only to apply fixes (``fixes.py``), on files that have one.
"""

from __future__ import annotations

import ast
import functools
import re
from typing import TYPE_CHECKING, AbstractSet, Any, Callable, Dict, FrozenSet, Iterator, List, Optional, \
    Sequence, Set, Tuple

from ..fast_dataclass import replace
from .model import (
    LORA_CONFIG,
    MODEL_LOAD,
    PASS_THROUGH,
    PEFT_JOIN,
    PEFT_LOAD,
    TRAINER,
    TRAINING_ARGS,
    UNSLOTH_PEFT,
    Argument,
    Arguments,
    CallSite,
    FileModel,
    ImportRecord,
    Signal,
    TrainingSetup,
)
from .callees import LOADER_METHODS, Classified, classify, linking_facts
from .diagnostics import Span
from .modules import ProjectModules
from .positions import SourceLines
from .resolve import Resolver
from .scopes import SIMPLE, ScopeIndex, assigned_expression, import_binding
from .values import MAPPING, OBJECT, UNKNOWN, CallResult, Resolved, Value, same_value

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import TypeAlias

    from .callers import ForeignCallers
    from .foreign_modules import ForeignModule
    from .launchers import LauncherOptions

# A model is followed through at most this many variables and calls (cycles end here).
MAX_HOPS = 20
# A name bound on more branches than this is not followed branch by branch.
MAX_BRANCHES = 8
# Calls read again inside the local-function calls that return them, at most, per file.
MAX_CONTEXTS = 64
# ``return`` expressions followed to the calls behind them (``_origin_of_returns``), per file:
# functions returning calls of other functions, eight ``return``s each, would otherwise fan out.
MAX_RETURNS_FOLLOWED = 256

# Trainer subclasses imported from project modules are looked for only among callees named
# like one (``WeightedLossTrainer``): following every imported callee into the project's
# modules would parse them on dense code, and trainer classes are named so by convention.
_TRAINER_SUFFIX = "Trainer"

# The calls of local functions a value was returned through (``CallResult.via``).
Context: TypeAlias = "Tuple[ast.Call, ...]"

# Keyword spellings that mean the same parameter.
KEYWORD_ALIASES = {"pretrained_model_name_or_path": "model_name"}

CHAT_TOKEN_LITERALS = ("<|eot_id|>", "<|start_header_id|>", "<|im_start|>", "<|im_end|>",
                       "<start_of_turn>", "<end_of_turn>", "[INST]", "<|assistant|>",
                       "<|user|>")
# ``if False:``, ``if 0:``, ``if True: ... else:``: a condition written as a literal, how code is
# parked where no run takes it (Unsloth's notebooks park their AutoPeftModel cells so). A text
# without a match has no such branch, and its ``if`` statements are not looked at. The pattern
# is ``if[\s(]+(?:False|True|None|[0-9.'"])``, found by this one and ``_has_literal_condition``:
# compiling the whole of it cost 3.5x as much, ~0.35 M instructions more per process (issue 13).
_LITERAL_CONDITION_START = re.compile(r"if[\s(]+[FTN0-9.'\"]")
# The tokens' first characters (``collect`` tests them: a string without one holds none of the
# tokens; tests/test_text_scans.py checks the list).
CHAT_TOKEN_FIRST_CHARACTERS = "<["
UNSLOTH_CHAT_FUNCTIONS = ("get_chat_template", "standardize_sharegpt",
                          "train_on_responses_only", "standardize_data_formats",
                          "apply_chat_template")
# Unsloth functions that set the tokenizer's chat template: position of ``chat_template``.
UNSLOTH_TEMPLATE_SETTERS = {"get_chat_template": 1, "apply_chat_template": 2}
TOKEN_ADDING_METHODS = ("add_tokens", "add_special_tokens", "resize_token_embeddings",
                        "add_new_tokens")
# The methods ``_note_method_call`` notes a call of (any other method call says nothing).
_NOTED_METHODS = frozenset(("apply_chat_template", "train", "gradient_checkpointing_enable",
                            *TOKEN_ADDING_METHODS))
# The libraries whose functions ``_note_signal_call`` looks at (most calls: ``torch.*``).
_SIGNAL_ROOTS = ("unsloth.", "trl.")


def parked_calls(index: ScopeIndex) -> Set[ast.Call]:
    """The calls in branches no run takes: the body of ``if False:`` / ``if 0:`` or the
    ``else`` of ``if True:``. Only literal conditions; anything else may run. Found from the
    file's ``if`` statements, once per file (most files have no such branch)."""
    parked: Set[ast.Call] = set()
    constant = ast.Constant
    for statement in index.of_kind(ast.If):
        test = statement.test
        if type(test) is not constant:
            continue
        pending: List[ast.AST] = list(statement.orelse if test.value else statement.body)
        while pending:
            node = pending.pop()
            if type(node) is ast.Call:
                parked.add(node)
            pending.extend(ast.iter_child_nodes(node))
    return parked


def _has_literal_condition(source: str) -> bool:
    """Does ``source`` hold ``if`` and a literal condition (``_LITERAL_CONDITION_START``)?"""
    found = _LITERAL_CONDITION_START.search(source)
    while found is not None:
        literal = found.end() - 1
        if source[literal] not in "FTN" or source.startswith(("False", "True", "None"), literal):
            return True
        found = _LITERAL_CONDITION_START.search(source, found.start() + 1)
    return False


@functools.lru_cache(maxsize=None)
def _positional_names(name: str, library: str) -> Tuple[str, ...]:
    """The parameter names of a callee's positional arguments (``data/linking.json``; once
    per callee)."""
    known = linking_facts().positional_parameters
    if name in known:
        return known[name]
    if name.endswith(".from_pretrained"):
        if library == "unsloth":  # every Unsloth loader takes FastLanguageModel's parameters
            return known["FastLanguageModel.from_pretrained"]
        return known["from_pretrained"]
    if name.endswith(".get_peft_model"):
        return known["FastLanguageModel.get_peft_model"]
    return ()


class Extractor:
    """Collects recognised calls, imports and signals of one module; ``build()`` links them."""

    def __init__(self, tree: ast.Module, lines: SourceLines, resolve_defaults: bool = True,
                 launchers: Optional[Callable[[], LauncherOptions]] = None,
                 modules: Optional[ProjectModules] = None) -> None:
        self.tree = tree
        self.lines = lines
        # where a node is written (the lines' own method: one call less per call site)
        self.span: Callable[[ast.AST], Span] = lines.span
        self.index = ScopeIndex(tree)
        self.resolver = Resolver(lines, self.index, resolve_defaults, launchers, modules)
        self.model = FileModel(lines=lines, scopes=self.index)
        self._pending: List[Tuple[ast.Call, str, str, str]] = []
        # ``tokenizer.apply_chat_template(...)`` calls (with their index in chat_signals) and
        # ``trainer.train()`` calls: a template applied after training in the same scope is
        # inference, not the training data's format.
        self._template_calls: List[Tuple[ast.Call, int]] = []
        self._train_calls: List[ast.Call] = []
        self._body_index = {id(statement): i for i, statement in enumerate(tree.body)}
        self._merged: Dict[Tuple[int, ...], Optional[CallSite]] = {}
        self._contextual: Dict[Tuple[int, ...], CallSite] = {}
        self._imported: Dict[Tuple[int, Optional[int]], Optional[CallSite]] = {}
        self._returns_followed = 0   # ``return`` expressions read by ``_origin_of_returns``
        self._modules = modules
        self._callers: Optional[ForeignCallers] = None
        self._classes: Optional[Set[str]] = None   # ``_class_names``
        self._parked: AbstractSet[ast.Call] = parked_calls(self.index) \
            if _has_literal_condition(lines.source) \
            else frozenset()
        # ``f(chat_template=...)``: a keyword is written out (non-ASCII names are normalised)
        self._template_keywords = "chat_template" in lines.source or not lines.source.isascii()

    # -- collection ------------------------------------------------------------------------
    def collect(self) -> None:
        visit_call, visit_string = self._visit_call, self._visit_string
        imports = {ast.Import: self._visit_import, ast.ImportFrom: self._visit_import_from}
        call_class, constant_class, str_class = ast.Call, ast.Constant, str
        parked = self._parked
        for node in self.index.calls_constants_imports:  # ``ast.parse`` makes no subclasses
            kind = type(node)
            if kind is call_class:
                if node not in parked:   # no rule looks at a call no run makes
                    visit_call(node)  # type: ignore[arg-type]
            elif kind is constant_class:
                value = node.value  # type: ignore[attr-defined]
                if type(value) is str_class and ("<" in value or "[" in value):
                    visit_string(node)  # type: ignore[arg-type]  # (most strings end here)
            else:
                visit = imports.get(kind)
                if visit is not None:
                    visit(node)  # type: ignore[operator]

    def _visit_import(self, node: ast.Import) -> None:
        statement, top_level, index = self._import_placement(node)
        for alias in node.names:
            package = alias.name.split(".")[0]
            local, qualified = import_binding(alias)
            names: Tuple[Tuple[str, str], ...] = ((qualified, local),)
            self.model.imports.append(ImportRecord(package, self.span(node), node,
                                                   statement, top_level, names, index))

    def _visit_import_from(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        module = node.module
        package = module.split(".")[0]
        names: Tuple[Tuple[str, str], ...] = ()
        if not any(alias.name == "*" for alias in node.names):
            bound = (import_binding(alias, module) for alias in node.names)
            names = tuple((qualified, local) for local, qualified in bound)
        statement, top_level, index = self._import_placement(node)
        self.model.imports.append(ImportRecord(package, self.span(node), node,
                                               statement, top_level, names, index))

    def _import_placement(self, node: ast.stmt) -> Tuple[Optional[ast.stmt], bool, Optional[int]]:
        """(the import itself when it is a module-level statement alone on its lines, else
        None; not inside a def/class; its index in the module body)."""
        parent = self.index.parent(node)
        statement, index = None, None
        if parent is self.tree:
            body = self.tree.body
            index = self._body_index[id(node)]
            alone = (index == 0 or _last_line(body[index - 1]) < node.lineno) and \
                (index + 1 == len(body) or body[index + 1].lineno > _last_line(node))
            statement = node if alone else None
            if statement is None:
                index = None
            return statement, True, index
        for ancestor in self.index.ancestors(node):
            if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                     ast.Lambda)):
                return None, False, None
        return None, True, None

    def _visit_string(self, node: ast.Constant) -> None:
        """A string holding a chat token (``collect`` passes only strings holding one of the
        tokens' first characters: most strings end there, without a search for every token)."""
        text = node.value
        if not isinstance(text, str) or isinstance(self.index.parent(node), ast.JoinedStr):
            return  # literal text inside an f-string
        for token in CHAT_TOKEN_LITERALS:
            if token in text:
                self.model.chat_signals.append(
                    Signal("chat-token-literal", self.span(node), token))
                return

    def _visit_call(self, node: ast.Call) -> None:
        func: Any = node.func
        kind = type(func)
        index = self.index
        # Each check below is made only for the callees it can answer for (most calls: none).
        # Only a callee whose root name an import binds has qualified names (most do not).
        if kind is ast.Name:
            names: Sequence[str] = index.imported_names(func) \
                if func.id in index.imported_locals else ()
            found = self._classified(node, names) if names else None
            # a trainer class of this file, or one imported from a project module
            if found is None and (func.id.endswith(_TRAINER_SUFFIX) if names
                                  else func.id in self._class_names()):
                from .trainer_subclasses import subclassed_trainer  # rare (14 % of scripts)

                found = subclassed_trainer(self.resolver, func)
        elif kind is ast.Attribute:
            root = func.value
            while type(root) is ast.Attribute:
                root = root.value
            names = index.imported_names(func) if type(root) is ast.Name \
                and root.id in index.imported_locals else ()
            if names:
                found = self._classified(node, names)
            elif func.attr in LOADER_METHODS:
                from .loader_variables import loader_from_variable  # rare (1 % of scripts)

                found = loader_from_variable(self.resolver, func)
            else:
                found = None
        else:
            found = None
        if found is not None:
            self._pending.append((node, *found))
        elif kind is ast.Attribute and func.attr in _NOTED_METHODS:
            self._note_method_call(node)
        if self._template_keywords:
            for keyword in node.keywords:
                if keyword.arg == "chat_template":
                    self.model.chat_signals.append(Signal(
                        "chat-template-argument", self.span(keyword),
                        values=(self.resolver.resolve(keyword.value),)))

    def _classified(self, node: ast.Call, names: Sequence[str]) -> Optional[Classified]:
        """What the first modelled one of a callee's qualified names is; on the way, the
        Unsloth and TRL functions that say how chats are formatted."""
        for qualified in names:
            found = classify(qualified)
            if found is not None:
                return found
            if qualified.startswith(_SIGNAL_ROOTS):
                self._note_signal_call(node, qualified)
        return None

    def _class_names(self) -> Set[str]:
        """The names of the file's ``class`` statements (a name bound by one of them is one)."""
        if self._classes is None:
            self._classes = {node.name for node in self.index.of_kind(ast.ClassDef)}
        return self._classes

    def _note_signal_call(self, node: ast.Call, qualified_name: str) -> None:
        """A call of Unsloth or TRL (``_SIGNAL_ROOTS``) that says how chats are formatted."""
        parts = qualified_name.split(".")
        if parts[0] == "unsloth" and parts[-1] in UNSLOTH_CHAT_FUNCTIONS:
            self.model.chat_signals.append(
                Signal("unsloth-chat-function", self.span(node), parts[-1],
                       self._template_argument(node, UNSLOTH_TEMPLATE_SETTERS.get(parts[-1]))))
        elif parts[0] == "trl" and parts[-1] in ("setup_chat_format", "clone_chat_template"):
            self.model.chat_signals.append(
                Signal("trl-chat-format", self.span(node), parts[-1]))

    def _note_method_call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Attribute):
            return
        method = node.func.attr
        if method == "apply_chat_template":
            self._template_calls.append((node, len(self.model.chat_signals)))
            self.model.chat_signals.append(Signal("apply-chat-template", self.span(node)))
        elif method == "train" and self._is_trainer(node.func.value):
            self._train_calls.append(node)
        elif method in TOKEN_ADDING_METHODS:
            arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
            self.model.token_additions.append(Signal(
                "token-addition", self.span(node), method,
                tuple(self.resolver.resolve(argument) for argument in arguments)))
            if method == "resize_token_embeddings":
                from .resized_tokenizers import resizing_tokenizers  # rare (5 % of scripts)

                self.model.resizing_tokenizers.extend(resizing_tokenizers(self.resolver, node))
        elif method == "gradient_checkpointing_enable":
            self.model.gradient_checkpointing_calls.append(Signal("gc-enable", self.span(node)))

    def _is_trainer(self, receiver: ast.expr) -> bool:
        """``receiver`` is a name bound to a modelled trainer call (``trainer = SFTTrainer(...)``)."""
        if not isinstance(receiver, ast.Name):
            return False
        binding = self.resolver.binding_for(receiver)
        value = assigned_expression(binding.node, binding.statement) if binding else None
        if not isinstance(value, ast.Call):
            return False
        return any((classify(name) or ("",))[0] == TRAINER
                   for name in self.index.imported_names(value.func))

    def _mark_templates_after_training(self) -> None:
        """``apply_chat_template`` after ``trainer.train()`` in the same scope formats prompts
        for the trained model (inference): it says nothing about the training data."""
        trained = [(self._scope_of(call), (call.lineno, call.col_offset)) for call in self._train_calls]
        for node, index in self._template_calls:
            scope, place = self._scope_of(node), (node.lineno, node.col_offset)
            if any(scope is train_scope and start < place for train_scope, start in trained):
                signal = self.model.chat_signals[index]
                self.model.chat_signals[index] = Signal("apply-chat-template-after-training",
                                                        signal.span)

    def _scope_of(self, node: ast.AST) -> ast.AST:
        """The function, lambda or class whose body holds ``node``, or the module."""
        for ancestor in self.index.ancestors(node):
            if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                return ancestor
        return self.tree

    def _template_argument(self, node: ast.Call, position: Optional[int]) -> Tuple[Any, ...]:
        """(the resolved ``chat_template`` argument,), or () when it is not passed."""
        if position is None:
            return ()
        for keyword in node.keywords:
            if keyword.arg == "chat_template":
                return (self.resolver.resolve(keyword.value),)
            if keyword.arg is None:
                return (UNKNOWN,)  # ``**options`` may hold it
        if any(isinstance(argument, ast.Starred) for argument in node.args):
            return (UNKNOWN,)
        if len(node.args) > position:
            return (self.resolver.resolve(node.args[position]),)
        return ()

    # -- building --------------------------------------------------------------------------
    def build(self) -> FileModel:
        self.collect()
        self._mark_templates_after_training()
        by_node: Dict[ast.Call, CallSite] = {}
        for node, role, name, library in self._pending:
            site = CallSite(role=role, name=name, library=library, node=node,
                            span=self.span(node), head_span=self.span(node.func),
                            args=self._arguments(node, _positional_names(name, library)))
            by_node[node] = site
            self.model.calls.append(site)
        self._by_node = by_node
        for site in self.model.calls:
            self._link(site)
        self.model.setups = self._setups()
        return self.model

    def _arguments(self, node: ast.Call, positional: Sequence[str]) -> Arguments:
        by_name: Dict[str, Argument] = {}
        complete = True
        index = 0
        deferred, resolver, starred = Argument.deferred, self.resolver, ast.Starred
        for expression in node.args:
            if type(expression) is starred:
                complete = False
                index = len(positional)  # later positionals can no longer be placed
                continue
            if index < len(positional):
                key = positional[index]
                by_name[key] = deferred(key, expression, expression, resolver)
            else:
                complete = False
            index += 1
        aliases = KEYWORD_ALIASES
        for keyword in node.keywords:
            name = keyword.arg
            if name is None:  # ``**mapping``
                span = self.span(keyword)
                mapping = resolver.resolve(keyword.value)
                if isinstance(mapping, Value) and mapping.kind == MAPPING:
                    for key, value in mapping.entries:
                        key = aliases.get(key, key)
                        by_name.setdefault(key, Argument(key, value, span, keyword))
                else:
                    complete = False
                continue
            key = aliases.get(name, name)
            by_name[key] = deferred(key, keyword, keyword.value, resolver)
        return Arguments(by_name, complete)

    def origin(self, argument: Optional[Argument]) -> Optional[CallSite]:
        """The recognised call whose result flows into ``argument`` (through variables)."""
        if argument is None:
            return None
        return self._origin_of_argument(argument, hops=0)

    def _origin_of_argument(self, argument: Argument, hops: int,
                            context: Context = ()) -> Optional[CallSite]:
        if isinstance(argument.value, Value):
            return self._origin_of_value(argument.value, hops, context)
        written = argument.node.value if isinstance(argument.node, ast.keyword) else argument.node
        if not isinstance(written, ast.expr) or isinstance(argument.node, ast.keyword) \
                and argument.node.arg is None:
            return None
        return self._imported_object(written) or self._origin_of_branches(written, hops, context)

    def _origin_of_expression(self, expression: Optional[ast.expr], hops: int,
                              context: Context) -> Optional[CallSite]:
        if expression is None:
            return None
        value = self.resolver.resolve(expression)
        if isinstance(value, Value):
            return self._origin_of_value(value, hops, context)
        return self._imported_object(expression) or \
            self._origin_of_branches(expression, hops, context)

    def _origin_of_branches(self, expression: ast.expr, hops: int,
                            context: Context) -> Optional[CallSite]:
        """The call behind a name the branches of an ``if`` bind differently: the one call all
        of them lead to (``model = prepare_model_for_kbit_training(model)`` on one branch
        only), or one loader standing for several that load the same model with the same
        class (``_merged_loader``); None when any branch is unknown or they differ. A branch
        that gives ``None`` (``LoraConfig(...) if use_lora else None``) passes nothing: the
        link holds for the runs that pass something."""
        if hops > MAX_HOPS:
            return None
        values = self.resolver.possible_values(expression)
        if not values or len(values) > MAX_BRANCHES:
            return None
        origins: List[CallSite] = []
        for value in values:
            if value.kind != OBJECT and value.python is None:
                continue
            site = self._origin_of_value(value, hops + 1, context)
            if site is None:
                return None
            if site not in origins:
                origins.append(site)
        if not origins:
            return None
        return origins[0] if len(origins) == 1 else self._merged_loader(origins)

    def _merged_loader(self, loads: List[CallSite]) -> Optional[CallSite]:
        """One loader standing for ``loads`` (``merged_loaders.py``), made once per set."""
        from .merged_loaders import merged_loader  # rare (8 % of scripts): loaded then

        return merged_loader(self.resolver, loads, self._merged)

    def _origin_of_value(self, value: object, hops: int, context: Context = ()) -> Optional[CallSite]:
        """The recognised call behind ``value``; ``context``: the calls of local functions the
        value was returned through so far (the site's arguments are read in them)."""
        if not isinstance(value, Value) or value.kind != OBJECT or hops > MAX_HOPS:
            return None
        result: CallResult = value.python
        context = (*context, *result.via)
        site = self._by_node.get(result.call)
        if site is None:
            imported = self._imported_loader(result)
            if imported is not None:
                return imported
            returned = self._origin_of_returns(result, hops, context)
            if returned is not None:
                return returned
            return self._origin_of_expression(self._returned_model(result), hops + 1, context)
        if site.role == MODEL_LOAD and site.is_unsloth and result.index not in (None, 0):
            return None  # the tokenizer half of ``model, tokenizer = ...``
        if site.role in (UNSLOTH_PEFT, PEFT_JOIN, PEFT_LOAD) and result.index not in (None, 0):
            return None
        if site.role == PASS_THROUGH:
            model = site.args.get("model")
            return self._origin_of_argument(model, hops + 1, context) if model is not None else None
        return self._in_context(site, context) if context else site

    def _in_context(self, site: CallSite, context: Context) -> CallSite:
        """A loader or LoRA config inside a local function, as the calls in ``context`` run it:
        its arguments read with the function's parameters bound to that call's arguments
        (``def load(name): return AutoModelForCausalLM.from_pretrained(name)`` called as
        ``load("org/x")``, whatever else ``load`` is called with). The copy stands for the
        call (``alternatives``); ``site`` itself when nothing changes."""
        if site.role not in (MODEL_LOAD, LORA_CONFIG) or site.library == "trl" \
                or site.alternatives:
            return site
        key = (id(site), *(id(call) for call in context))
        if key not in self._contextual:
            if len(self._contextual) >= MAX_CONTEXTS:
                return site
            arguments = self.resolver.resolve_in_calls(
                context, lambda: self._arguments(site.node, _positional_names(
                    site.name, site.library)).read_all())   # read in the context, not later
            if arguments is None or _same_arguments(arguments, site.args):
                self._contextual[key] = site
            else:
                self._contextual[key] = replace(site, args=arguments, alternatives=(site,))
        return self._contextual[key]

    def _origin_of_returns(self, result: CallResult, hops: int,
                           context: Context) -> Optional[CallSite]:
        """The call behind what a local function (or method of ``self``) returns when its
        ``return`` statements give different values that lead to one call (``model`` bound
        on the branches of an ``if``, one of them a pass-through: ``_origin_of_branches``),
        read in the call it came through."""
        call: ast.Call = result.call
        function = self.resolver.functions.definition(call.func)
        expressions = self.resolver.functions.uses.returned(function) if function is not None else None
        if not expressions or len(expressions) > MAX_BRANCHES or hops > MAX_HOPS \
                or self._returns_followed + len(expressions) > MAX_RETURNS_FOLLOWED \
                or any(self.resolver.functions.definition(outer.func) is function
                       for outer in context):
            return None   # a function returning calls of itself, or a fan of them: unknown
        self._returns_followed += len(expressions)
        origins: List[CallSite] = []
        for expression in expressions:
            if result.index is not None:
                if not isinstance(expression, ast.Tuple) or result.index >= len(expression.elts) \
                        or any(isinstance(item, ast.Starred) for item in expression.elts):
                    return None
                expression = expression.elts[result.index]
            site = self._origin_of_expression(expression, hops + 1, (*context, call))
            if site is None:
                return None
            if site not in origins:
                origins.append(site)
        return origins[0] if len(origins) == 1 else self._merged_loader(origins)

    def _imported_loader(self, result: CallResult) -> Optional[CallSite]:
        """``model = load_model("org/x")`` where ``load_model`` is a function of another module
        of the project that returns what a model loader there returns (``modules.py``): a
        loader standing for that call, located here, whose one known argument is the model id
        (the others are unknown, never absent: none of them is written in this file)."""
        key = (id(result.call), result.index)
        if key not in self._imported:
            found = self.resolver.imports.returned_call(result.call, result.index, _foreign_loader)
            site: Optional[CallSite] = None
            model_id = self.resolver.imports.here(found[1], result.call) if found else UNKNOWN
            if found is not None and isinstance(model_id, Value) \
                    and isinstance(model_id.python, str):
                call, span = result.call, self.span(result.call)
                _, name, library = found[0]
                site = _standing_loader(name, library, call, span, self.span(call.func), model_id)
            self._imported[key] = site
        return self._imported[key]

    def _imported_object(self, expression: ast.expr) -> Optional[CallSite]:
        """``from model import model`` where the project's ``model.py`` binds ``model`` at its
        top level to what a model loader returns (directly, or through a function it imports):
        a loader standing at this use, whose one known argument is the model id (read there,
        located here, never rewritten)."""
        if not isinstance(expression, ast.Name) or self._modules is None:
            return None
        key = (id(expression), None)
        if key in self._imported:
            return self._imported[key]
        self._imported[key] = None
        statement = self._import_reaching(expression)
        if statement is None:
            return None
        alias = next((alias for alias in statement.names
                      if (alias.asname or alias.name) == expression.id), None)
        found = self.resolver.imports.imported_from(statement, alias) if alias else None
        if found is None or len(found[0].top_level(found[1])) != 1:
            return None
        module, name = found
        value = module.resolver.resolve(module.read_of(name))
        if not isinstance(value, Value) or value.kind != OBJECT:
            return None
        from .callers import loader_behind  # only when a model object comes from another module

        loaded = loader_behind(module, value.python, _foreign_loader)
        model_id = self.resolver.imports.here(loaded[1], expression) if loaded else UNKNOWN
        if loaded is None or not isinstance(model_id, Value) or not isinstance(model_id.python, str):
            return None
        _, loader_name, library = loaded[0]
        span = self.span(expression)
        self._imported[key] = _standing_loader(loader_name, library, expression, span, span,
                                               model_id)
        return self._imported[key]

    def _import_reaching(self, name: ast.Name) -> Optional[ast.ImportFrom]:
        """The module-level ``from ... import`` that binds ``name`` where it is read at module
        level, when no other binding of it comes before (``model = prepare(model)`` reads the
        import); None otherwise."""
        index = self.index
        scope = index.scope_of(name)
        bindings, holder = index.lookup(scope, name.id)
        imports = [binding for binding in bindings if isinstance(binding.node, ast.ImportFrom)]
        if holder is not scope or scope is not index.module_scope or len(imports) != 1 \
                or index.parent(imports[0].node) is not self.tree:
            return None
        statement: ast.ImportFrom = imports[0].node   # type: ignore[assignment]
        use = (name.lineno, name.col_offset)
        for binding in bindings:
            if binding is imports[0]:
                continue
            place: Any = binding.statement
            if binding.kind != SIMPLE or not isinstance(place, ast.stmt) \
                    or (place.lineno, place.col_offset) < use and _last_line(place) < name.lineno:
                return None   # bound again before this use (or in a way not followed)
        return statement if _last_line(statement) < name.lineno else None

    def _returned_model(self, result: CallResult) -> Optional[ast.expr]:
        """The argument a call lora-lint does not model returns unchanged, when it is one of
        the pass-through calls of ``data/linking.json`` (``model.to(device)``,
        ``setup_chat_format(model, tokenizer)[0]``, ``accelerator.prepare(model, ...)``,
        ``torch.compile(model)``); None otherwise."""
        call: ast.Call = result.call
        facts = linking_facts()
        func = call.func
        if isinstance(func, ast.Attribute):
            if func.attr in facts.self_returning_methods and result.index is None:
                return func.value
            if self._is_preparing_method(func):
                return _prepared_argument(call, result.index)
        for qualified in self.index.imported_names(func):
            fact = facts.pass_through(qualified)
            if fact is not None:
                if result.index != fact.result_index:
                    return None
                return _argument_expression(call, fact.model_position, fact.model_keyword)
        return None

    def _is_preparing_method(self, func: ast.Attribute) -> bool:
        """``func`` is ``accelerator.prepare`` on an object made by ``Accelerator(...)``."""
        if func.attr not in _preparing_method_names():
            return False   # (most methods: the object they are called on is not resolved)
        facts = linking_facts()
        owner = self.resolver.resolve(func.value)
        if not isinstance(owner, Value) or owner.kind != OBJECT or owner.python.index is not None:
            return False
        return any(facts.prepares(name, func.attr)
                   for name in self.index.imported_names(owner.python.call.func))

    def _link(self, site: CallSite) -> None:
        if site.role in (UNSLOTH_PEFT, PEFT_JOIN, PEFT_LOAD, TRAINER):
            site.model = self.origin(site.args.get("model"))
        if site.role == PEFT_JOIN or site.role == MODEL_LOAD and site.library == "trl":
            # trl's value-head loaders apply a LoRA config themselves: from_pretrained(...,
            # peft_config=LoraConfig(...))
            config = self.origin(site.args.get("peft_config"))
            site.config = config if config is not None and config.role == LORA_CONFIG else None
        if site.role == TRAINER:
            config = self.origin(site.args.get("peft_config"))
            site.config = config if config is not None and config.role == LORA_CONFIG else None
            args = self.origin(site.args.get("args"))
            site.training_args = args if args is not None and args.role == TRAINING_ARGS else None
        if site.role == PASS_THROUGH:
            use_gc = site.args.plain("use_gradient_checkpointing", True)
            if use_gc is not False:
                self.model.gradient_checkpointing_calls.append(
                    Signal("prepare-model-for-kbit-training", site.span))

    def _setups(self) -> List[TrainingSetup]:
        """Training setups: one per trainer, then one per LoRA call (or LoRA-applying loader)
        no trainer reached, then one per loader, LoRA config or training arguments left over."""
        self._used: Set[int] = set()
        setups = [self._trainer_setup(trainer) for trainer in self.model.calls_with_role(TRAINER)]
        setups.extend(self._adapter_setups())
        setups.extend(self._leftover_setups())
        for setup in setups:
            setup.model_id = self._model_id(setup)
            if setup.lora is not None and setup.model_id is None:
                self._link_through_callers(setup)
        return setups

    def _link_through_callers(self, setup: TrainingSetup) -> None:
        """A setup inside a function whose model, or model id, is a parameter that only other
        modules of the project pass (``callers.py``): the loader there, or the id they pass."""
        loader = setup.model_load
        if loader is not None:
            argument = loader.args.get("model_name")
            written = _written(argument) if argument is not None and not loader.alternatives \
                else None
        else:
            site = _chain_start(setup)
            argument = site.args.get("model") if site is not None else None
            written = _written(argument) if argument is not None else None
        callers = self._foreign_callers() if written is not None else None
        if callers is None or written is None:
            return   # (a LoRA config no call takes: nothing a caller could pass)
        if loader is not None:
            value = callers.value(written)
            if argument is not None and isinstance(value, Value) and isinstance(value.python, str):
                given = Argument("model_name", value, argument.span, argument.node,
                                 argument.value_span)
                setup.model_load = replace(loader, args=Arguments(
                    {**loader.args.by_name, "model_name": given}, loader.args.complete),
                    alternatives=(loader,))
        else:
            found = callers.loader(written, _foreign_loader)
            if found is not None:   # found: written was given
                (_, name, library), model_id = found
                span = self.span(written)
                setup.model_load = _standing_loader(name, library, written, span, span, model_id)
        setup.model_id = self._model_id(setup)

    def _foreign_callers(self) -> Optional[ForeignCallers]:
        """Callers in other modules, for a Python file on disk (a notebook is not imported)."""
        modules = self._modules
        if modules is None or modules.path is None or not modules.path.endswith(".py"):
            return None
        if self._callers is None:
            from .callers import ForeignCallers  # only for a setup left unlinked in this file

            self._callers = ForeignCallers(modules.path, self.resolver, modules)
        return self._callers

    def _use(self, site: CallSite) -> None:
        self._used.add(id(site))
        self._used.update(id(alternative) for alternative in site.alternatives)

    def _trainer_setup(self, trainer: CallSite) -> TrainingSetup:
        setup = TrainingSetup(trainer=trainer, training_args=trainer.training_args)
        self._use(trainer)
        if trainer.training_args is not None:
            self._use(trainer.training_args)
        self._follow_model(setup, trainer.model)
        if trainer.config is not None and setup.lora is None:
            setup.lora = trainer.config
            self._use(trainer.config)
        return setup

    def _adapter_setups(self) -> Iterator[TrainingSetup]:
        for role in (UNSLOTH_PEFT, PEFT_JOIN, PEFT_LOAD, MODEL_LOAD):
            for site in self.model.calls_with_role(role):
                if id(site) not in self._used and (role != MODEL_LOAD or site.config is not None):
                    setup = TrainingSetup()
                    self._follow_model(setup, site)
                    yield setup

    def _leftover_setups(self) -> Iterator[TrainingSetup]:
        for role in (LORA_CONFIG, MODEL_LOAD, TRAINING_ARGS):
            for site in self.model.calls_with_role(role):
                if id(site) in self._used:
                    continue
                self._use(site)
                if role == LORA_CONFIG:
                    yield TrainingSetup(lora=site)
                elif role == MODEL_LOAD:
                    yield TrainingSetup(model_load=site)
                else:
                    yield TrainingSetup(training_args=site)

    def _follow_model(self, setup: TrainingSetup, site: Optional[CallSite]) -> None:
        """Fill ``setup`` from the chain of calls the model went through, back to its loader."""
        hops = 0
        while site is not None and hops < MAX_HOPS:
            hops += 1
            self._use(site)
            if site.role == MODEL_LOAD:
                setup.model_load = site
                self._take_config(setup, site)
                return
            if site.role == UNSLOTH_PEFT:
                setup.lora = setup.lora or site
                setup.adapter_call = setup.adapter_call or site
            elif site.role == PEFT_JOIN:
                setup.adapter_call = setup.adapter_call or site
                self._take_config(setup, site)
            site = site.model

    def _take_config(self, setup: TrainingSetup, site: CallSite) -> None:
        """The LoRA config ``site`` applies (``get_peft_model(model, config)``, a value-head
        loader's ``peft_config=``), unless the setup has one already."""
        if site.config is not None:
            setup.lora = setup.lora or site.config
            self._use(site.config)

    def _model_id(self, setup: TrainingSetup) -> Optional[Value]:
        candidates = []
        if setup.model_load is not None:
            candidates.append(setup.model_load.args.value("model_name"))
        if setup.trainer is not None:
            candidates.append(setup.trainer.args.value("model"))
        for value in candidates:
            if isinstance(value, Value) and isinstance(value.python, str):
                return value
        return None


@functools.lru_cache(maxsize=1)
def _preparing_method_names() -> FrozenSet[str]:
    """The names of the preparing methods (``prepare`` of ``accelerate.Accelerator.prepare``)."""
    return frozenset(method for _, _, method in linking_facts().preparing_methods)


def _foreign_loader(module: ForeignModule, call: ast.Call,
                    index: Optional[int]) -> Optional[Tuple[Classified, Resolved]]:
    """(what it is, its model id) when ``call``, a call in another module of the project, is a
    model loader whose model the caller receives (element ``index`` of its result: Unsloth's
    loaders return ``(model, tokenizer)``); None otherwise. TRL's value-head loaders, which
    apply a LoRA config themselves, are not followed."""
    names = module.index.imported_names(call.func)
    classified = next((found for found in map(classify, names) if found is not None), None)
    if classified is None or classified[0] != MODEL_LOAD or classified[2] == "trl":
        return None
    if index not in ((None, 0) if classified[2] == "unsloth" else (None,)):
        return None
    positional = _positional_names(classified[1], classified[2])
    position = positional.index("model_name") if "model_name" in positional else len(call.args)
    expression = _argument_expression(call, position, "model_name")
    for keyword in call.keywords:
        if KEYWORD_ALIASES.get(keyword.arg or "") == "model_name":
            expression = keyword.value
    if any(keyword.arg is None for keyword in call.keywords):
        expression = None   # ``**kwargs`` may hold it
    return classified, module.resolver.resolve(expression)


def _standing_loader(name: str, library: str, node: ast.AST, span: Span, head_span: Span,
                     model_id: Resolved) -> CallSite:
    """A model loader standing, at ``node`` of this file, for one read elsewhere (a function or
    an object of another module, a caller's argument): its one known argument is the model id;
    the others are unknown, never absent (none of them is written in this file)."""
    return CallSite(role=MODEL_LOAD, name=name, library=library, node=node, span=span,
                    head_span=head_span, args=Arguments({"model_name": Argument(
                        "model_name", model_id, span, node, span)}, False))


def _written(argument: Argument) -> Optional[ast.expr]:
    """The expression an argument is written as (None for ``**mapping``)."""
    node = argument.node
    if isinstance(node, ast.keyword):
        return node.value if node.arg is not None else None
    return node if isinstance(node, ast.expr) and not isinstance(node, ast.Starred) else None


def _chain_start(setup: TrainingSetup) -> Optional[CallSite]:
    """The first call of the chain the setup's model went through (the one given the model
    from elsewhere): the trainer's or the LoRA call's model, back through the calls it links."""
    site = setup.trainer or setup.adapter_call
    for _ in range(MAX_HOPS):
        if site is None or site.model is None:
            return site
        site = site.model
    return None


def _same_arguments(first: Arguments, second: Arguments) -> bool:
    if first.complete != second.complete or first.by_name.keys() != second.by_name.keys():
        return False
    for name, argument in first.by_name.items():
        value, other = argument.value, second.by_name[name].value
        if isinstance(value, Value) != isinstance(other, Value):
            return False
        if isinstance(value, Value) and isinstance(other, Value) and not same_value(value, other):
            return False
    return True


def _prepared_argument(call: ast.Call, index: Optional[int]) -> Optional[ast.expr]:
    """What ``prepare(a, b, ...)`` returns at ``index`` (the object itself for one argument)."""
    if any(isinstance(argument, ast.Starred) for argument in call.args):
        return None
    if index is None:
        return call.args[0] if len(call.args) == 1 else None
    return call.args[index] if index < len(call.args) else None


def _argument_expression(call: ast.Call, position: int, keyword: str) -> Optional[ast.expr]:
    """The expression passed as parameter ``keyword`` (at ``position``) of ``call``."""
    for written in call.keywords:
        if written.arg == keyword:
            return written.value
    if position < len(call.args) and not any(isinstance(argument, ast.Starred)
                                             for argument in call.args[:position + 1]):
        return call.args[position]
    return None


def extract(tree: ast.Module, source: str, resolve_defaults: bool = True,
            launchers: Optional[Callable[[], LauncherOptions]] = None,
            path: Optional[str] = None) -> FileModel:
    """Build the ``FileModel`` of a module from its ``ast`` and its text (``resolve_defaults``:
    the resolver's second tier, see ``resolve.py``; ``launchers``: what the project's launcher
    scripts pass to the file, read only if a value is asked for, see ``launchers.py``;
    ``path``: the file on disk, whose project modules are read when a value is imported from
    one, see ``modules.py``)."""
    modules = ProjectModules(path, resolve_defaults) if path else None
    return Extractor(tree, SourceLines(source), resolve_defaults, launchers, modules).build()


__all__ = ["Extractor", "extract"]


def _last_line(statement: ast.stmt) -> int:
    return statement.end_lineno if statement.end_lineno is not None else statement.lineno
