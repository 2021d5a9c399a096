"""Targeted tests of LOR102-LOR111: positions (through real flake8), messages, fixes.

Expected numbers come from the checkpoints' configs (vocabulary x hidden size), PEFT's default
target table and the measured PEFT/Unsloth error texts, not from the code under test.
"""

from __future__ import annotations

from lora_lint_plugin.analysis.engine import analyse_source
from lora_lint_plugin.fixing.fixes import fix_source
from lora_lint_plugin.config.settings import Settings

from .conftest import dedent, flake8_codes, lint


def only(code, source):
    return [d for d in lint(source) if d.code == code]


def fixed(source, *codes):
    def analyse(text):
        return analyse_source(text, Settings(), lambda code: code in codes)
    return fix_source(dedent(source), analyse).source


# -- positions through real flake8 -------------------------------------------------------------

def test_columns_through_flake8(tmp_source):
    path = tmp_source('''
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("google/gemma-2-2b")
        config = LoraConfig(target_modules=["q_proj", "v_prj", "q_proj"], modules_to_save=["lm_head"])
        model = get_peft_model(model, config)
        other = LoraConfig(target_modules="q_proj|v_proj")
    ''')
    found = set(flake8_codes(path))
    # flake8 columns are 1-based: the string literal inside the list, the call head
    assert (4, 47, "LOR103") in found     # "v_prj"
    assert (4, 56, "LOR109") in found     # the second "q_proj"
    assert (4, 84, "LOR102") in found     # "lm_head"
    assert (4, 10, "LOR110") in found     # LoraConfig(
    assert (6, 35, "LOR105") in found     # the string literal


def test_noqa_silences(tmp_source):
    path = tmp_source('''
        from peft import LoraConfig
        config = LoraConfig(target_modules=["all-linear"])  # noqa: LOR104
    ''')
    assert flake8_codes(path) == []


# -- LOR102 -----------------------------------------------------------------------------------

def test_lor102_numbers_for_llama3_8b():
    found = only("LOR102", '''
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Meta-Llama-3-8B")
        model = get_peft_model(model, LoraConfig(target_modules=["q_proj"],
                                                 modules_to_save=["embed_tokens"]))
    ''')
    assert len(found) == 1
    # one matrix: vocab 128,256 x hidden 4,096 = 525,336,576 params, 2 bytes each in bf16,
    # next to r=8 LoRA on 32 q_proj (4,096 -> 4,096): 8 x 8,192 x 32 x 4 bytes = 8.4 MB
    assert "+525.34 M trainable parameters" in found[0].message
    assert "adapter 1.1 GB instead of 8.4 MB in bf16" in found[0].message
    assert "PEFT" in found[0].message


def test_lor102_silent_on_other_modules_and_with_lower_embedding_learning_rate():
    assert only("LOR102", '''
        from peft import LoraConfig
        config = LoraConfig(target_modules=["q_proj"], modules_to_save=["score", "classifier"])
    ''') == []
    source = '''
        from unsloth import FastLanguageModel, UnslothTrainer, UnslothTrainingArguments
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, modules_to_save=["embed_tokens"])
        trainer = UnslothTrainer(model=model, args=UnslothTrainingArguments(
            learning_rate=2e-4, embedding_learning_rate={rate}))
    '''
    assert only("LOR102", source.format(rate="2e-5")) == []
    assert len(only("LOR102", source.format(rate="2e-4"))) == 1


# -- LOR103 -----------------------------------------------------------------------------------

LLAMA = '''
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained("{model}")
    model = get_peft_model(model, LoraConfig(target_modules={targets}))
'''


def lor103(model, targets):
    return only("LOR103", LLAMA.format(model=model, targets=targets))


def test_lor103_warning_when_some_entries_match():
    found = lor103("meta-llama/Llama-3.1-8B", '["q_proj", "v_prj"]')
    assert len(found) == 1
    assert "silently skips" in found[0].message
    assert "did you mean 'v_proj'?" in found[0].message
    assert found[0].fix is not None


def test_lor103_error_when_nothing_matches():
    found = lor103("meta-llama/Llama-3.1-8B", '["c_attn"]')
    assert len(found) == 1
    assert "Target modules {'c_attn'} not found in the base model" in found[0].message
    assert "'q_proj', 'k_proj', 'v_proj'" in found[0].message
    assert found[0].fix is None


def test_lor103_fused_and_split_names():
    split_on_fused = lor103("microsoft/Phi-3-mini-4k-instruct", '["q_proj", "o_proj"]')
    assert [d.message.split("'")[1] for d in split_on_fused] == ["q_proj"]
    assert "'qkv_proj'" in split_on_fused[0].message
    fused_on_split = lor103("Qwen/Qwen2.5-7B", '["qkv_proj", "gate_up_proj", "o_proj"]')
    messages = " ".join(d.message for d in fused_on_split)
    assert "'q_proj', 'k_proj', 'v_proj'" in messages and "'gate_proj', 'up_proj'" in messages


def test_lor103_llama_names_on_gpt2():
    found = lor103("gpt2", '["q_proj", "v_proj"]')
    assert len(found) == 2 and all("'c_attn'" in d.message for d in found)
    assert all("not found in the base model" in d.message for d in found)


def test_lor103_unsloth_llama_layout_of_phi4():
    # unsloth/phi-4 is converted to Llama layout; microsoft/phi-4 keeps Phi-3's fused names
    assert lor103("unsloth/phi-4", '["q_proj", "k_proj", "v_proj", "gate_proj"]') == []
    assert len(lor103("microsoft/phi-4", '["q_proj", "o_proj"]')) == 1


def test_lor103_silent_for_unknown_model_dotted_and_layer_entries():
    assert lor103("someone/unknown-model", '["v_prj"]') == []
    assert lor103("meta-llama/Llama-3.1-8B",
                  '["model.layers.0.self_attn.q_proj", "mlp.down_proj", "layers.3"]') == []


def test_lor103_fix_replaces_only_the_leaf():
    source = LLAMA.format(model="meta-llama/Llama-3.1-8B",
                          targets="['self_attn.q_proj', 'self_attn.v_prj']")
    assert "['self_attn.q_proj', 'self_attn.v_proj']" in fixed(source, "LOR103")


# -- LOR104 / LOR105 ---------------------------------------------------------------------------

def test_lor104_fix_and_partial_list():
    source = '''
        from peft import LoraConfig
        config = LoraConfig(r=8, target_modules=["all-linear"])
    '''
    assert 'target_modules="all-linear")' in fixed(source, "LOR104")
    partial = only("LOR104", '''
        from peft import LoraConfig
        config = LoraConfig(r=8, target_modules=["q_proj", "All-Linear"])
    ''')
    assert len(partial) == 1 and partial[0].fix is None
    assert "skipped silently" in partial[0].message


def test_lor104_no_string_fix_for_fast_language_model():
    found = only("LOR104", '''
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, target_modules=["all-linear"])
    ''')
    assert len(found) == 1 and found[0].fix is None
    assert "takes a list" in found[0].message


def test_lor105_fix_keeps_quote_style():
    source = '''
        from peft import LoraConfig
        config = LoraConfig(r=8, target_modules='(q_proj|v_proj)')
    '''
    assert "target_modules=['q_proj', 'v_proj'])" in fixed(source, "LOR105")


def test_lor105_ignores_real_regexes_and_unsloth():
    assert only("LOR105", '''
        from peft import LoraConfig
        a = LoraConfig(target_modules=r".*\\.(q_proj|v_proj)")
        b = LoraConfig(target_modules="model.layers.0.self_attn.q_proj")
        c = LoraConfig(target_modules="ALL-LINEAR")
    ''') == []
    assert only("LOR105", '''
        from unsloth import FastModel
        model, tokenizer = FastModel.from_pretrained("unsloth/gemma-3-4b-it")
        model = FastModel.get_peft_model(model, target_modules="q_proj|v_proj")
    ''') == []


# -- LOR106 / LOR107 ---------------------------------------------------------------------------

def test_lor106_warning_names_peft_default_and_error_when_unmapped():
    # PEFT's table maps llama to q_proj/v_proj and has no entry for phi3
    warn = only("LOR106", LLAMA.format(model="meta-llama/Llama-3.1-8B", targets="None"))
    assert len(warn) == 1 and "['q_proj', 'v_proj']" in warn[0].message
    error = only("LOR106", '''
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen3-30B-A3B")
        model = get_peft_model(model, LoraConfig(r=8))
    ''')
    assert len(error) == 1
    assert "Please specify `target_modules` or `target_parameters`in `peft_config`" in error[0].message
    assert (error[0].line, error[0].col) == (4, 30)  # the LoraConfig head


def test_lor106_silent_without_known_model_or_with_kwargs():
    assert only("LOR106", '''
        from peft import LoraConfig
        config = LoraConfig(r=8)
    ''') == []


def test_lor107_skips_models_peft_rewrites_and_unsloth():
    assert only("LOR107", LLAMA.format(model="Qwen/Qwen3-30B-A3B",
                                       targets='["q_proj", "gate_proj", "down_proj"]')) == []
    found = only("LOR107", LLAMA.format(model="openai/gpt-oss-120b",
                                        targets='["q_proj", "gate_proj"]'))
    assert len(found) == 1 and "target_parameters=" in found[0].message
    assert "mlp.experts.gate_up_proj" in found[0].message


# -- LOR108 / LOR109 ---------------------------------------------------------------------------

def test_lor108_exact_unsloth_text_and_fast_model_silent():
    found = only("LOR108", '''
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, modules_to_save=["lm_head", "mlp", "post_attention_layernorm"])
    ''')
    assert [d.message.split("'")[1] for d in found] == ["mlp"]
    assert "Unsloth: Module = mlp is not allowed" in found[0].message


def test_lor109_dedupe_fix():
    source = '''
        from peft import LoraConfig
        config = LoraConfig(target_modules=["q_proj", "v_proj", "q_proj", "lm_head"],
                            modules_to_save=["lm_head", "model.lm_head"])
    '''
    out = fixed(source, "LOR109")
    assert 'target_modules=["q_proj", "v_proj"],' in out
    assert 'modules_to_save=["lm_head"])' in out
    assert only("LOR109", out) == []


def test_lor109_only_target_left_is_not_removed():
    found = only("LOR109", '''
        from peft import LoraConfig
        config = LoraConfig(target_modules=["lm_head"], modules_to_save=["lm_head"])
    ''')
    assert len(found) == 1 and found[0].fix is None
    assert "No modules were targeted for adaptation" in found[0].message


# -- LOR110 / LOR111 ---------------------------------------------------------------------------

def test_lor110_adds_keyword_and_is_idempotent():
    source = '''
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.2-1B")
        config = LoraConfig(target_modules=["q_proj", "lm_head"])
        model = get_peft_model(model, config)
    '''
    out = fixed(source, "LOR110")
    assert 'LoraConfig(target_modules=["q_proj", "lm_head"], ensure_weight_tying=True)' in out
    assert fixed(out, "LOR110") == out
    # Llama-3.2-1B: vocabulary 128,256, hidden size 2,048, tied
    assert "128,256 x 2,048" in only("LOR110", source)[0].message


def test_lor110_explicit_false_reported_at_literal_without_fix():
    found = only("LOR110", '''
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("google/gemma-2-9b")
        config = LoraConfig(modules_to_save=["embed_tokens"], ensure_weight_tying=False)
        model = get_peft_model(model, config)
    ''')
    assert len(found) == 1 and found[0].fix is None and found[0].col == 74


def test_lor111_needs_token_additions():
    source = '''
        from peft import LoraConfig
        {addition}
        config = LoraConfig(target_modules=["q_proj"], modules_to_save=["embed_tokens"])
    '''
    assert only("LOR111", source.format(addition="x = 1")) == []
    found = only("LOR111", source.format(addition="model.resize_token_embeddings(32001)"))
    assert len(found) == 1 and "trainable_token_indices" in found[0].message
    assert "resize_token_embeddings on line 2" in found[0].message
