"""A plain PEFT + transformers script with import aliases and module constants."""
import peft as p
from transformers import AutoModelForCausalLM as AM, Trainer, TrainingArguments

MODEL_ID = "meta-llama/Meta-Llama-3-8B-Instruct"
RANK = 8 * 2
TARGETS = [
    "q_proj",
    "v_prj",  # expect: LOR103@5
]


def build():
    model = AM.from_pretrained(MODEL_ID)
    config = p.LoraConfig(
        r=RANK,
        lora_alpha=0,  # expect: LOR204@20
        target_modules=TARGETS + ["lm_head"],  # expect: LOR101@35
        task_type="causal_lm",  # expect: LOR206@19
    )
    model = p.get_peft_model(model, config)
    args = TrainingArguments(output_dir="out", learning_rate=1e-4)  # LoRA on lm_head under plain PEFT: no LOR501
    return Trainer(model=model, args=args)
