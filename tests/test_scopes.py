"""Name resolution on the ``ast``: which calls are recognised and which values are certain.

The analysis follows Python's scoping rules itself (``scopes.py``); these cases are the ones
where a simpler lookup would recognise a call that is not the library's, or trust a value that
may have changed. Each runs the real extractor on real source text.
"""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from lora_lint_plugin.analysis.extract import extract
from lora_lint_plugin.analysis.model import LORA_CONFIG
from lora_lint_plugin.analysis.values import UNKNOWN

from .conftest import dedent


def model_of(source: str):
    text = dedent(source)
    return extract(ast.parse(text), text)


def recognised(source: str):
    return [call.name for call in model_of(source).calls]


def rank_of(source: str):
    calls = list(model_of(source).calls_with_role(LORA_CONFIG))
    assert len(calls) == 1, calls
    return calls[0].args.plain("r")


@pytest.mark.parametrize("source,expected", [
    # an import inside a function binds only there
    ("""
     def build():
         from peft import LoraConfig
         return LoraConfig(r=8)
     LoraConfig(r=8)
     """, ["LoraConfig"]),
    # a class body's names are not visible to the methods inside it
    ("""
     class Trainer:
         from peft import LoraConfig
         def build(self):
             return LoraConfig(r=8)
     """, []),
    # ...but are to the class body itself
    ("""
     class Trainer:
         from peft import LoraConfig
         config = LoraConfig(r=8)
     """, ["LoraConfig"]),
    # ``global`` sends the import to the module scope
    ("""
     def setup():
         global LoraConfig
         from peft import LoraConfig
     setup()
     LoraConfig(r=8)
     """, ["LoraConfig"]),
    # a parameter of the same name shadows the import
    ("""
     from peft import LoraConfig
     def build(LoraConfig):
         return LoraConfig(r=8)
     """, []),
    # a comprehension variable shadows it inside the comprehension only
    ("""
     from peft import LoraConfig
     made = [LoraConfig(r=8) for LoraConfig in factories]
     LoraConfig(r=4)
     """, ["LoraConfig"]),
    # star imports are not followed (names we cannot see)
    ("""
     from peft import *
     LoraConfig(r=8)
     """, []),
    # relative imports are the project's own modules
    ("""
     from .peft import LoraConfig
     LoraConfig(r=8)
     """, []),
    # aliases and attribute chains
    ("""
     import peft as p
     import unsloth
     p.LoraConfig(r=8)
     unsloth.FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
     """, ["LoraConfig", "FastLanguageModel.from_pretrained"]),
    # a lambda parameter shadows
    ("""
     from peft import get_peft_model
     apply = lambda get_peft_model: get_peft_model(model, config)
     """, []),
])
def test_calls_are_recognised_by_scope(source, expected):
    assert recognised(source) == expected


def test_walrus_in_a_comprehension_rebinds_the_enclosing_scope():
    source = """
        from peft import LoraConfig
        RANK = 8
        ranks = [(RANK := r) for r in (4, 16)]
        LoraConfig(r=RANK)
        """
    assert rank_of(source) is UNKNOWN


def test_global_assignment_inside_a_function_makes_a_module_constant_uncertain():
    source = """
        from peft import LoraConfig
        RANK = 8
        def tune():
            global RANK
            RANK = 64
        LoraConfig(r=RANK)
        """
    assert rank_of(source) is UNKNOWN


def test_nonlocal_assignment_makes_the_enclosing_value_uncertain():
    source = """
        from peft import LoraConfig
        def outer():
            rank = 8
            def bump():
                nonlocal rank
                rank = 32
            bump()
            return LoraConfig(r=rank)
        """
    assert rank_of(source) is UNKNOWN


def test_class_attribute_is_not_a_method_local():
    source = """
        from peft import LoraConfig
        rank = 16
        class Recipe:
            rank = 8
            def config(self):
                return LoraConfig(r=rank)
        """
    assert rank_of(source) == 16


@pytest.mark.parametrize("statement", [
    "for RANK in (4, 8): pass",
    "with open('f') as RANK: pass",
    "RANK += 1",
    "import RANK",
    "try:\n    pass\nexcept Exception as RANK:\n    pass",
])
def test_any_later_rebinding_before_the_use_makes_the_value_unknown(statement):
    source = "from peft import LoraConfig\nRANK = 8\n" + statement + "\nLoraConfig(r=RANK)\n"
    text = source
    calls = list(extract(ast.parse(text), text).calls_with_role(LORA_CONFIG))
    assert calls[0].args.plain("r") is UNKNOWN


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match statements need Python 3.10")
def test_match_capture_rebinds():
    source = (
        "from peft import LoraConfig\n"
        "RANK = 8\n"
        "match command:\n"
        "    case {'rank': RANK}:\n"
        "        pass\n"
        "LoraConfig(r=RANK)\n")
    calls = list(extract(ast.parse(source), source).calls_with_role(LORA_CONFIG))
    assert calls[0].args.plain("r") is UNKNOWN


def test_checking_never_imports_libcst():
    # The analysis runs on ``ast``; LibCST (~50x the cost of ast.parse with its metadata) is
    # only for applying fixes. Check a file with fixable findings, in a fresh interpreter,
    # through the engine, the flake8 plugin's entry point and the CLI's text report.
    program = dedent('''
        import io, sys, contextlib
        source = (
            "from peft import LoraConfig\\n"
            "config = LoraConfig(r=16.0, target_modules=['q_proj', 'q_proj'], bias=None)\\n")
        from lora_lint_plugin.analysis.engine import analyse_source
        analysis = analyse_source(source)
        fixable = sum(d.fix is not None for d in analysis.diagnostics)
        import ast
        from lora_lint_plugin.flake8_plugin import LoraLintPlugin
        reports = list(LoraLintPlugin(ast.parse(source), source.splitlines(True), "t.py").run())
        with open(sys.argv[1], "w") as handle:
            handle.write(source)
        from lora_lint_plugin.cli.main import main
        with contextlib.redirect_stdout(io.StringIO()):
            main(["check", "--isolated", "-j", "1", sys.argv[1]])
        print(fixable, len(reports), "libcst" in sys.modules)
        ''')
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        result = subprocess.run([sys.executable, "-c", program, f"{directory}/train.py"],
                                capture_output=True, text=True, check=True)
    fixable, reports, imported = result.stdout.split()
    assert int(fixable) >= 3 and int(reports) >= 3
    assert imported == "False"


def test_child_nodes_are_ast_children_without_the_shared_singletons():
    # The fast walk every analysed file pays for must see exactly what ast.iter_child_nodes
    # sees (but Load/Store/operators), in the same order: on the project's own sources and on
    # constructs with optional, None-holding and scalar fields.
    import ast
    from pathlib import Path

    from lora_lint_plugin.analysis.nodes import LEAVES, child_nodes

    sources = [path.read_text(encoding="utf-8")
               for path in sorted(Path(__file__).resolve().parent.parent.rglob("*.py"))]
    sources.append(dedent('''
        from . import x as y
        global g
        def f(a, /, b=1, *c, d, e=2, **k) -> int:
            nonlocal_ = {**a, 'b': b}
            async def h(): return [i async for i in c if i] or await k
            lambda q=3, *, r: q
            with open(a) as (u, v): del u
            try: pass
            except ValueError as err: raise err from None
            return f"{a!r:>{b}}" if a < b <= c else -a
    '''))
    if sys.version_info >= (3, 10):
        sources.append(dedent('''
            match a:
                case {"k": 1, **rest}: pass
                case Point(x=0, y=_) | [1, *others] if b: pass
                case None | True: pass
        '''))
    if sys.version_info >= (3, 11):
        sources.append("try:\n    pass\nexcept* ValueError as err:\n    raise err from None\n")
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            expected = [c for c in ast.iter_child_nodes(node) if not isinstance(c, LEAVES)]
            found = child_nodes(node)
            assert len(found) == len(expected) and all(a is b for a, b in zip(found, expected))
