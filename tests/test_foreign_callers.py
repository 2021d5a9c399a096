"""A function's parameter read at its callers in the project's other modules
(``analysis/callers.py``).

Real multi-file projects on disk, checked through the ``lora-lint`` console script and flake8
(subprocesses). The finding used throughout is LOR103 (a target module the model does not
have): it appears only when the LoRA setup is linked to a loader with a known model id.
"""

from __future__ import annotations

from pathlib import Path

from .test_cli import check_json, lora_lint
from .test_project_modules import LLAMA, lor103, project

HELPER_TAKING_A_NAME = """
    from transformers import AutoModelForCausalLM
    from peft import LoraConfig, get_peft_model

    def load_with_lora(model_name, four_bit=True):
        model = AutoModelForCausalLM.from_pretrained(model_name, load_in_4bit=four_bit)
        return get_peft_model(model, LoraConfig(r=8, target_modules=["c_attn"]))

    def load_from_arguments(args):
        model = AutoModelForCausalLM.from_pretrained(args.model)
        return get_peft_model(model, LoraConfig(r=8, target_modules=["c_attn"]))
"""

HELPER_TAKING_A_MODEL = """
    from peft import LoraConfig, get_peft_model

    def add_lora(model):
        return get_peft_model(model, LoraConfig(r=8, target_modules=["c_attn"]))
"""


def test_a_model_id_passed_by_the_only_caller_in_another_module(tmp_path: Path) -> None:
    """``load_with_lora(args.model)`` in ``train.py`` (imported inside ``main``): the argparse
    default there, and ``load_from_arguments(args)``: ``args.model`` read there. The message
    says where the value comes from."""
    root = project(tmp_path, {
        "training/model.py": HELPER_TAKING_A_NAME,
        "training/train.py": f"""
            import argparse

            def main():
                parser = argparse.ArgumentParser()
                parser.add_argument("--model", default={LLAMA})
                args = parser.parse_args()
                from training.model import load_with_lora, load_from_arguments
                model = load_with_lora(args.model)
                other = load_from_arguments(args)

            main()
        """,
    })
    found = lor103(root, "training/model.py")
    assert [row for row, _ in found] == [6, 10]
    for _, message in found:
        assert "meta-llama/Meta-Llama-3-8B" in message
        assert "(default of --model, passed by train.py line" in message


def test_a_model_loaded_by_the_caller(tmp_path: Path) -> None:
    """``add_lora(model)`` where the caller loaded ``model`` (directly, or through a function
    of the helper's own module whose ``return`` ends a ``with`` block), by name or through the
    module (``import helpers as h``; ``h.add_lora(model)``)."""
    root = project(tmp_path, {
        "direct/helpers.py": HELPER_TAKING_A_MODEL,
        "direct/train.py": f"""
            from transformers import AutoModelForCausalLM
            from helpers import add_lora

            model = AutoModelForCausalLM.from_pretrained({LLAMA})
            model = add_lora(model)
        """,
        "through_module/helpers.py": HELPER_TAKING_A_MODEL,
        "through_module/train.py": f"""
            from transformers import AutoModelForCausalLM
            import helpers as h

            h.add_lora(AutoModelForCausalLM.from_pretrained({LLAMA}))
        """,
        "package/app/__init__.py": "",
        "package/app/model.py": f"""
            from contextlib import nullcontext
            from unsloth import FastLanguageModel

            def load_base_model():
                with nullcontext():
                    model, tokenizer = FastLanguageModel.from_pretrained(model_name={LLAMA})
                    return model, tokenizer

            def setup_peft_model(model):
                with nullcontext():
                    return FastLanguageModel.get_peft_model(model, r=8, target_modules=["c_attn"])
        """,
        "package/app/__main__.py": """
            from app.model import load_base_model, setup_peft_model

            model, tokenizer = load_base_model()
            model = setup_peft_model(model)
        """,
    })
    found = lor103(root, "direct/helpers.py")
    assert [row for row, _ in found] == [4]
    assert "meta-llama/Meta-Llama-3-8B" in found[0][1]
    assert "(model passed by train.py line 5)" in found[0][1]
    assert [row for row, _ in lor103(root, "through_module/helpers.py")] == [4]
    assert [row for row, _ in lor103(root, "package/app/model.py")] == [11]


def test_callers_that_do_not_decide_leave_the_setup_unlinked(tmp_path: Path) -> None:
    """Callers that disagree, a function also handed elsewhere, a ``*`` import of its module,
    a caller that passes nothing known, no caller, a function its own module calls (read
    there, as before), a method: silent."""
    gpt2 = '"openai-community/gpt2"'
    root = project(tmp_path, {
        "disagree/helpers.py": HELPER_TAKING_A_NAME,
        "disagree/a.py": f"from helpers import load_with_lora\nload_with_lora({LLAMA})\n",
        "disagree/b.py": f"from helpers import load_with_lora\nload_with_lora({gpt2})\n",
        "handed/helpers.py": HELPER_TAKING_A_NAME,
        "handed/a.py": f"from helpers import load_with_lora\nload_with_lora({LLAMA})\n"
                       "jobs = [load_with_lora]\n",
        "star/helpers.py": HELPER_TAKING_A_NAME,
        "star/a.py": f"from helpers import load_with_lora\nload_with_lora({LLAMA})\n",
        "star/b.py": "from helpers import *\n",
        "unknown/helpers.py": HELPER_TAKING_A_NAME,
        "unknown/a.py": "import sys\nfrom helpers import load_with_lora\nload_with_lora(sys.argv[1])\n",
        "none/helpers.py": HELPER_TAKING_A_NAME,
        "none/a.py": "import helpers\n",
        "local/helpers.py": HELPER_TAKING_A_NAME + f"\n    load_with_lora({gpt2})\n",
        "local/a.py": f"from helpers import load_with_lora\nload_with_lora({LLAMA})\n",
        "method/helpers.py": """
            from peft import LoraConfig, get_peft_model

            class Adapter:
                def add_lora(self, model):
                    return get_peft_model(model, LoraConfig(r=8, target_modules=["c_attn"]))
        """,
        "method/a.py": f"""
            from transformers import AutoModelForCausalLM
            from helpers import Adapter

            Adapter().add_lora(AutoModelForCausalLM.from_pretrained({LLAMA}))
        """,
    })
    for folder in ("disagree", "handed", "star", "unknown", "none", "local", "method"):
        assert lor103(root, f"{folder}/helpers.py") == [], folder


def test_a_value_from_a_caller_is_never_rewritten(tmp_path: Path) -> None:
    root = project(tmp_path, {
        "helpers.py": HELPER_TAKING_A_NAME,
        "train.py": f"from helpers import load_with_lora\nload_with_lora({LLAMA})\n",
    })
    _, items = check_json(root, "--isolated", "helpers.py")
    assert "LOR103" in {item["code"] for item in items}
    before = (root / "train.py").read_bytes()
    lora_lint("fix", "--isolated", "--unsafe-fixes", "helpers.py", cwd=root)
    assert (root / "train.py").read_bytes() == before
