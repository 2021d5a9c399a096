# Nothing here may be reported: every value is unknown statically or not PEFT's.
import argparse
import json

from unsloth import FastLanguageModel
from peft import LoraConfig

parser = argparse.ArgumentParser()
parser.add_argument("--model", default="unsloth/llama-3-8b-bnb-4bit")
parser.add_argument("--rank", type=int, default=0)
parser.add_argument("--targets", nargs="+", default=["embed_tokens"])
args = parser.parse_args()

model, tokenizer = FastLanguageModel.from_pretrained(args.model, max_seq_length=args.max_len)
model = FastLanguageModel.get_peft_model(model, r=args.rank, target_modules=args.targets)

with open("lora.json") as handle:
    overrides = json.load(handle)
config = LoraConfig(**overrides)


def make_config(r, targets):
    return LoraConfig(r=r, target_modules=targets, lora_dropout=args.dropout)


class LoraConfigLike:
    pass


def local_names():
    LoraConfig = LoraConfigLike  # shadows the import inside this function
    return LoraConfig(r=0, target_modules=["embed_tokens"])


targets = ["q_proj"]
if args.train_embeddings:
    targets = targets + ["embed_tokens"]
conditional = LoraConfig(target_modules=targets)
