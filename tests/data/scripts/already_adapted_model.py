from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM
from trl import SFTConfig, SFTTrainer

model = AutoModelForCausalLM.from_pretrained("google/gemma-2-9b-it")
lora = LoraConfig(r=16, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"])
model = get_peft_model(model, lora)

trainer = SFTTrainer(
    model=model,
    args=SFTConfig(output_dir="gemma", per_device_train_batch_size=1),
    peft_config=lora,  # expect: LOR503@5
)
