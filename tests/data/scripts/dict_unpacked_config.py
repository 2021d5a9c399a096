from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

COMMON = dict(
    r=0,  # expect: LOR201@7
    lora_dropout=1.0,  # expect: LOR202@18
    bias="None",  # expect: LOR203@10
)
peft_kwargs = {**COMMON, "target_modules": "q_proj|v_proj"}  # expect: LOR105@44

model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-0.5B-Instruct")
model = get_peft_model(model, LoraConfig(**peft_kwargs))
