"""The typed model of the training code in one file: what the rules look at.

The extractor (``extract.py``) builds it from the ``ast`` tree; rules are pure functions of it.
A ``FileModel`` holds every recognised call (``CallSite``) and the ``TrainingSetup``s formed by
linking them through variables: loader -> LoRA -> trainer (+ its arguments).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

from ..fast_dataclass import dataclass, field
from .diagnostics import Span
from .positions import SourceLines
from .values import OBJECT, UNKNOWN, Resolved, Value, _Unknown

if TYPE_CHECKING:   # versions.py imports ``packaging``: only when a rule asks for versions
    from typing import Protocol

    from typing_extensions import TypeAlias

    from .versions import LibraryVersions


class _Absent:
    """The argument is certainly not passed (so the callee's default applies)."""

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT = _Absent()
ArgumentValue: TypeAlias = "Union[Value, _Unknown, _Absent]"

# Roles of recognised calls.
MODEL_LOAD = "model_load"          # FastLanguageModel.from_pretrained, AutoModel*.from_pretrained
LORA_CONFIG = "lora_config"        # peft.LoraConfig(...)
UNSLOTH_PEFT = "unsloth_peft"      # FastLanguageModel.get_peft_model(model, r=..., ...)
PEFT_JOIN = "peft_join"            # peft.get_peft_model(model, config)
PEFT_LOAD = "peft_load"            # PeftModel.from_pretrained(model, path): already adapted
TRAINER = "trainer"                # SFTTrainer, UnslothTrainer, transformers.Trainer
TRAINING_ARGS = "training_args"    # TrainingArguments, SFTConfig, UnslothTrainingArguments
PASS_THROUGH = "pass_through"      # prepare_model_for_kbit_training(model): returns its model
QUANTIZATION = "quantization"      # transformers.BitsAndBytesConfig: how the base weights load

# Trainers that run plain supervised fine-tuning. Preference and RL trainers (DPOTrainer,
# GRPOTrainer, ...) train differently: advice and memory models written for supervised runs do
# not apply to them as they are.
SUPERVISED_TRAINERS = frozenset({"SFTTrainer", "UnslothTrainer", "Trainer"})


if TYPE_CHECKING:   # a Protocol class costs ~0.3 M instructions to create; only mypy reads it
    class ValueSource(Protocol):
        """What resolves and locates an argument's expressions when they are first read (the
        file's ``resolve.Resolver``)."""

        def resolve(self, node: Optional[Any]) -> Resolved: ...

        def span(self, node: Any) -> Span: ...


class Argument:
    """One argument of a call: its resolved value and where it is written.

    An argument made by ``deferred`` resolves its expression when ``value`` is first read, and
    locates itself when ``span`` or ``value_span`` is first read: rules and links read a few
    arguments of each call, and resolving and locating every argument of every recognised call
    up front was a fifth of the analysis on code that builds many LoRA configs. Names and
    ``Arguments.complete`` are known without it (a ``**mapping`` is resolved up front: it says
    which names are passed). The resolver caches its answers per binding and function, so a
    value read late is the one read early would have been."""

    __slots__ = ("name", "node", "_value", "_span", "_value_span", "_expression", "_source",
                 "_unread")

    name: str
    node: Any           # ast.keyword (``**mapping`` included) or the positional expression

    def __init__(self, name: str, value: Resolved, span: Span, node: Any = None,
                 value_span: Optional[Span] = None) -> None:
        self.name = name
        self.node = node
        self._value = value
        self._span: Optional[Span] = span
        self._value_span = value_span
        self._expression: Any = None
        self._source: Optional[ValueSource] = None
        self._unread = False

    @classmethod
    def deferred(cls, name: str, node: Any, expression: Any, source: ValueSource) -> Argument:
        """The argument ``node`` (a keyword or a positional expression) whose value is
        ``source.resolve(expression)``, resolved and located on first read."""
        argument = cls.__new__(cls)
        argument.name = name
        argument.node = node
        argument._value = UNKNOWN
        argument._span = argument._value_span = None
        argument._expression = expression
        argument._source = source
        argument._unread = True
        return argument

    @property
    def value(self) -> Resolved:
        if self._unread:
            self._value = self._deferred_source().resolve(self._expression)
            self._unread = False
        return self._value

    @property
    def is_resolved(self) -> bool:
        """The value has been read (or was given): reading it costs nothing."""
        return not self._unread

    @property
    def span(self) -> Span:
        """The whole ``name=value`` (or the positional expression)."""
        span = self._span
        if span is None:
            span = self._span = self._deferred_source().span(self.node)
        return span

    @property
    def value_span(self) -> Optional[Span]:
        """The value expression written in the call (None for ``**mapping``)."""
        if self._value_span is None and self._source is not None:
            self._value_span = self._source.span(self._expression)
        return self._value_span

    def _deferred_source(self) -> ValueSource:
        source = self._source
        assert source is not None, "only a deferred argument has no span or value yet"
        return source

    @property
    def report_span(self) -> Span:
        """Where a diagnostic about this value points: the literal if it is one, else the argument."""
        value = self.value
        if isinstance(value, Value) and value.literal:
            return value.span
        return self.span

    def __repr__(self) -> str:
        shown = "<not read yet>" if self._unread else repr(self._value)
        return f"Argument(name={self.name!r}, value={shown}, span={self.span!r})"


@dataclass(frozen=True, eq=False)
class Arguments:
    """The arguments of one call by parameter name.

    ``complete`` is False when ``*args`` or an unresolvable ``**kwargs`` may supply names we
    cannot see; then a missing name is UNKNOWN rather than ABSENT.
    """

    by_name: Dict[str, Argument]
    complete: bool

    def get(self, name: str) -> Optional[Argument]:
        return self.by_name.get(name)

    def read_all(self) -> Arguments:
        """These arguments with every value read now (the ones resolved in a context the
        resolver leaves afterwards: read later, they would be read outside it)."""
        for argument in self.by_name.values():
            argument.value
        return self

    def value(self, name: str) -> ArgumentValue:
        argument = self.by_name.get(name)
        if argument is not None:
            return argument.value
        return ABSENT if self.complete else UNKNOWN

    def plain(self, name: str, default: Any = UNKNOWN) -> Any:
        """The plain value; ``default`` when certainly absent; UNKNOWN when unknowable.

        A call result (an object, not a constant) is UNKNOWN here; use ``value`` for links.
        """
        value = self.value(name)
        if isinstance(value, Value):
            return UNKNOWN if value.kind == OBJECT else value.python
        if value is ABSENT:
            return default
        return UNKNOWN

    def __contains__(self, name: str) -> bool:
        return name in self.by_name


@dataclass(eq=False)
class CallSite:
    """A recognised call of PEFT, Unsloth, TRL or transformers."""

    role: str
    name: str            # canonical callee, e.g. "LoraConfig", "FastLanguageModel.get_peft_model"
    library: str         # "peft" | "unsloth" | "trl" | "transformers"
    node: Any            # ast.Call
    span: Span           # the whole call
    head_span: Span      # the callee expression: where "missing argument" diagnostics point
    args: Arguments
    # links filled in by the extractor
    model: Optional["CallSite"] = None        # the call that produced the model argument
    config: Optional["CallSite"] = None       # LoraConfig behind get_peft_model / peft_config=
    training_args: Optional["CallSite"] = None
    # A loader standing for the loads on the branches of an ``if`` (same class, same model
    # id): those calls. Its arguments are the ones all of them agree on; others are unknown.
    alternatives: Tuple["CallSite", ...] = ()

    @property
    def is_unsloth(self) -> bool:
        return self.library == "unsloth"


@dataclass(eq=False)
class TrainingSetup:
    """One training run: the model loaded, the LoRA applied to it and the trainer that runs it."""

    model_load: Optional[CallSite] = None
    lora: Optional[CallSite] = None          # LoraConfig or Unsloth get_peft_model
    adapter_call: Optional[CallSite] = None  # get_peft_model / Unsloth get_peft_model
    trainer: Optional[CallSite] = None
    training_args: Optional[CallSite] = None
    model_id: Optional[Value] = None         # resolved model name and where it is written

    @property
    def model_revision(self) -> Optional[str]:
        """The loader's ``revision=`` (default ``"main"``); None when not known statically."""
        if self.model_load is None:
            return "main"
        revision = self.model_load.args.plain("revision", "main")
        return revision if isinstance(revision, str) and revision else None

    @property
    def uses_unsloth_api(self) -> bool:
        return any(call is not None and call.is_unsloth
                   for call in (self.model_load, self.lora, self.trainer))


@dataclass(frozen=True)
class Signal:
    """A textual hint in the file (chat template use, token additions, ...)."""

    kind: str
    span: Span
    detail: str = ""
    # Resolved arguments that matter to the signal: the chat template an Unsloth template
    # function sets (empty when not passed), the tokens a token addition adds.
    values: Tuple[Any, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class ImportRecord:
    package: str   # top-level package name
    span: Span
    # The ast Import/ImportFrom node; ``statement`` is the same node when it sits directly in
    # the module body alone on its lines (else None): what a fix may move.
    node: Any = field(default=None, compare=False)
    statement: Any = field(default=None, compare=False)
    top_level: bool = True   # not inside a function or class body (runs at import time)
    # (qualified name, local name) pairs the import binds, e.g. ("unsloth.UnslothTrainer",
    # "UnslothTrainer") for ``from unsloth import UnslothTrainer``; empty for ``*`` imports.
    names: Tuple[Tuple[str, str], ...] = field(default=(), compare=False)
    body_index: Optional[int] = None   # position of ``statement`` in the module body


@dataclass(frozen=True)
class TokenizerSource:
    """Where a tokenizer the embeddings are resized to is loaded from: the resolved path or
    id (a ``Value``, or unknown) and the expression's text."""

    value: Any
    text: str


@dataclass(eq=False)
class FileModel:
    """Everything the rules know about one file."""

    calls: List[CallSite] = field(default_factory=list)
    setups: List[TrainingSetup] = field(default_factory=list)
    imports: List[ImportRecord] = field(default_factory=list)
    chat_signals: List[Signal] = field(default_factory=list)
    token_additions: List[Signal] = field(default_factory=list)
    # the tokenizers ``resize_token_embeddings(len(tokenizer))`` sizes the embeddings to
    resizing_tokenizers: List[TokenizerSource] = field(default_factory=list)
    gradient_checkpointing_calls: List[Signal] = field(default_factory=list)
    lines: Optional[SourceLines] = None   # the analysed text
    # The module's ``scopes.ScopeIndex``: where names are bound (fixes that move code ask it).
    scopes: Any = field(default=None, repr=False, compare=False)
    # Reads the library versions the file or its project pins (see ``library_versions``).
    versions_source: Optional[Callable[[], LibraryVersions]] = field(default=None, repr=False,
                                                                     compare=False)
    # Set when the file is a YAML trainer config (``yaml_setup.ConfigDialect``: the tool, its
    # key names, what it offers); None for Python code.
    config: Any = field(default=None, repr=False, compare=False)
    # The file on disk, when there is one: what the program around it does is read from there.
    path: Optional[str] = field(default=None, repr=False, compare=False)
    _setup_index: Any = field(default=None, repr=False, compare=False)
    _call_index: Any = field(default=None, repr=False, compare=False)
    _role_index: Any = field(default=None, repr=False, compare=False)   # ``calls_with_role``
    _unsloth_imported: Any = field(default=None, repr=False, compare=False)
    _derived: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def derived(self, key: str, compute: Callable[[], Any]) -> Any:
        """A fact computed from the whole file once, however many setups ask for it."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    @property
    def library_versions(self) -> LibraryVersions:
        """The versions of TRL, PEFT, ... the file or its project pins (``analysis.versions``).

        Read on first use, so only a rule that needs them (a removed argument was found) pays
        for reading project files.
        """
        from .versions import NO_VERSIONS

        source = self.versions_source
        return self.derived("library_versions", source) if source is not None else NO_VERSIONS

    def segment(self, span: Span) -> str:
        """The source text of ``span`` (what a fix copies, e.g. an argument's value)."""
        return self.lines.segment(span) if self.lines is not None else ""

    def call_at(self, node: Any) -> Optional[CallSite]:
        """The recognised call whose ``ast.Call`` node is ``node``, if any."""
        if self._call_index is None or self._call_index[0] != len(self.calls):
            self._call_index = (len(self.calls), {id(call.node): call for call in self.calls})
        return self._call_index[1].get(id(node))

    def calls_with_role(self, *roles: str) -> Iterator[CallSite]:
        """The calls of any of ``roles``, in the file's order. What rules ask, per file: one
        list per role (or set of roles) is built once."""
        if self._role_index is None or self._role_index[0] != len(self.calls):
            by_role: Dict[Any, List[CallSite]] = {}
            for call in self.calls:
                by_role.setdefault(call.role, []).append(call)
            self._role_index = (len(self.calls), by_role)
        by_roles = self._role_index[1]
        key: Any = roles[0] if len(roles) == 1 else roles
        found = by_roles.get(key)
        if found is None and len(roles) > 1:
            found = by_roles[key] = [call for call in self.calls if call.role in roles]
        return iter(found or ())

    @property
    def imports_unsloth(self) -> bool:
        if self._unsloth_imported is None or self._unsloth_imported[0] != len(self.imports):
            self._unsloth_imported = (len(self.imports), any(
                record.package == "unsloth" for record in self.imports))   # asked per rule
        return self._unsloth_imported[1]

    @property
    def unsloth_may_be_active(self) -> bool:
        """The file imports Unsloth, or the program around it may have (``analysis.program``:
        read from disk on first use, so only a rule that needs it pays)."""
        return self.imports_unsloth or self.unsloth_in_program

    @property
    def unsloth_in_program(self) -> bool:
        """Another module of the program around the file may import Unsloth before the file's
        code runs (``analysis.program``: read from disk on first use)."""
        from .program import unsloth_may_be_active

        text = self.lines.source if self.lines is not None else ""
        return self.derived("unsloth_in_program", lambda: unsloth_may_be_active(self.path, text))

    def setup_of(self, call: CallSite) -> Optional[TrainingSetup]:
        """The first setup ``call`` belongs to (an index built once: rules ask per call)."""
        if self._setup_index is None or self._setup_index[0] is not self.setups:
            index: Dict[int, TrainingSetup] = {}
            for setup in self.setups:
                for member in (setup.model_load, setup.lora, setup.adapter_call, setup.trainer,
                               setup.training_args):
                    if member is not None:
                        index.setdefault(id(member), setup)
                        for alternative in member.alternatives:
                            index.setdefault(id(alternative), setup)
            self._setup_index = (self.setups, index)
        return self._setup_index[1].get(id(call))
