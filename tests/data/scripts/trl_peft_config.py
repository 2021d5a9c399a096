# TRL's documented pattern: a model id string and a peft_config, with chat-formatted data.
from datasets import load_dataset
from peft import LoraConfig
from trl import SFTConfig, SFTTrainer

dataset = load_dataset("trl-lib/Capybara", split="train")
dataset = dataset.map(lambda row: {"text": tokenizer.apply_chat_template(row["messages"])})

trainer = SFTTrainer(
    model="Qwen/Qwen2.5-7B",  # expect: LOR301@11
    train_dataset=dataset,
    args=SFTConfig(output_dir="Qwen2.5-7B-SFT", max_length=16384),  # expect: LOR402@10
    peft_config=LoraConfig(r=16, lora_alpha=32, target_modules="all-linear"),
)
trainer.train()
