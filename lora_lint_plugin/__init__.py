"""lora-lint: static checks for LoRA fine-tuning code (PEFT, Unsloth, TRL)."""

__version__ = "0.1.0"
