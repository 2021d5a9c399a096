"""An Unsloth chat fine-tune with the mistakes lora-lint exists to catch.

Run: lora-lint check examples/      (or: flake8 --select=LOR examples/)
"""
from unsloth import FastLanguageModel
from unsloth.chat_templates import get_chat_template
from trl import SFTTrainer, SFTConfig

MODEL = "unsloth/llama-3-8b-bnb-4bit"  # a base model: its chat tokens were never trained
MAX_SEQ_LENGTH = 80 * 1024

model, tokenizer = FastLanguageModel.from_pretrained(
    model_name=MODEL,
    max_seq_length=MAX_SEQ_LENGTH,
    load_in_4bit=True,
)
tokenizer = get_chat_template(tokenizer, chat_template="llama-3")

model = FastLanguageModel.get_peft_model(
    model,
    r=16,
    target_modules=["q_proj", "k_proj", "v_proj", "o_proj",
                    "gate_proj", "up_proj", "down_prj",
                    "embed_tokens", "lm_head"],
    lora_alpha=16,
    lora_dropout=0,
    bias="none",
    use_gradient_checkpointing=False,
)

trainer = SFTTrainer(
    model=model,
    processing_class=tokenizer,
    args=SFTConfig(
        per_device_train_batch_size=2,
        learning_rate=2e-4,
        fp16=True,
        bf16=True,
        output_dir="outputs",
    ),
)
trainer.train()
