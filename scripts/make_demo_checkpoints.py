"""Build the demo's tiny local checkpoints from transformers config classes.

    .venv/bin/python scripts/make_demo_checkpoints.py [OUT_DIR]

Writes `tiny-llama-bf16/` (weights and config in BF16) and `tiny-llama-fp32/` (FP32) under
OUT_DIR (default fixtures/demo_repo/checkpoints), each with a word-level tokenizer, so that
`blyan-lint confirm` can replay the demo's loads without a hub. The weights come from a fixed
seed and the files carry no timestamps: running it twice writes the same bytes (a test
checks that). Tens of KB each, so they live in git.
"""

from __future__ import annotations

import json
import os
import sys

DEFAULT_OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "demo_repo", "checkpoints")
SEED = 1234
WORDS = ["hello", "world", "the", "model", "runs", "in", "bf16", "on", "a", "gpu", "node", "blyan"]
SPECIAL = ["<unk>", "<s>", "</s>", "<pad>"]
# Small enough for git, big enough to be a real Llama: 2 layers, grouped-query attention, RoPE.
TINY_LLAMA = dict(
    vocab_size=64,
    hidden_size=16,
    intermediate_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=1,
    max_position_embeddings=128,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=3,
    tie_word_embeddings=False,
)
VARIANTS = {"tiny-llama-bf16": "bfloat16", "tiny-llama-fp32": "float32"}
# Fields that name the writing library's version: dropped so the files do not change with it.
VOLATILE_KEYS = ("transformers_version",)


def build_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: index for index, token in enumerate(SPECIAL + WORDS)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )


def build_model(dtype_name: str):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(SEED)
    config = LlamaConfig(**TINY_LLAMA)
    model = LlamaForCausalLM(config)  # initialised in FP32 from the seed, then cast
    dtype = getattr(torch, dtype_name)
    model = model.to(dtype)
    model.config.dtype = dtype  # transformers 5 loads the config's dtype: make it say what is stored
    return model


def _scrub_json(path: str) -> None:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    for key in VOLATILE_KEYS:
        data.pop(key, None)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")


def write_checkpoint(out_dir: str, name: str, dtype_name: str) -> str:
    path = os.path.join(out_dir, name)
    os.makedirs(path, exist_ok=True)
    build_model(dtype_name).save_pretrained(path, safe_serialization=True)
    build_tokenizer().save_pretrained(path)
    for file_name in sorted(os.listdir(path)):
        if file_name.endswith(".json"):
            _scrub_json(os.path.join(path, file_name))
    return path


def main(argv: list[str]) -> int:
    out_dir = os.path.normpath(argv[0] if argv else DEFAULT_OUT)
    for name, dtype_name in VARIANTS.items():
        path = write_checkpoint(out_dir, name, dtype_name)
        size = sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))
        print(f"{path}: {dtype_name}, {size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
