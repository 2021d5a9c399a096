# Nothing here may be reported: every value is unknown statically or not PEFT's.
import argparse
import json

from unsloth import FastLanguageModel
from peft import LoraConfig

parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True)   # no default in code: given on the command line
parser.add_argument("--rank", type=int)          # no default: None until given
parser.add_argument("--targets", nargs="+", action="append", default=["embed_tokens"])  # appended to
parser.add_argument("--alpha", type=int, default=0)
parser.set_defaults(alpha=16)                    # set_defaults replaces the default above
args = parser.parse_args()

model, tokenizer = FastLanguageModel.from_pretrained(args.model, max_seq_length=args.max_len)
model = FastLanguageModel.get_peft_model(model, r=args.rank, target_modules=args.targets,
                                         lora_alpha=args.alpha)

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
