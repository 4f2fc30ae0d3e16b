"""A random BF16 Llama of chosen size, from a fixed seed, for `blyan-lint consistency` on a GPU.

The demo's tiny-llama-bf16 (hidden size 16) is too small for cuBLAS to choose different
kernels by batch size; a batch-invariance figure needs matrices of realistic width. Offline
(no hub): the weights are random, the config is transformers' LlamaConfig.

    python scripts/make_consistency_llama.py OUT_DIR [--hidden 1024] [--layers 4] [--vocab 32000]
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    heads = max(1, args.hidden // 128)
    config = LlamaConfig(
        vocab_size=args.vocab,
        hidden_size=args.hidden,
        intermediate_size=args.hidden * 8 // 3 // 64 * 64,
        num_hidden_layers=args.layers,
        num_attention_heads=heads,
        num_key_value_heads=max(1, heads // 4),
        max_position_embeddings=2048,
        dtype="bfloat16",
    )
    torch.manual_seed(args.seed)
    # Writes a checkpoint, computes nothing: the GPU guard belongs to whoever runs the model.
    LlamaForCausalLM(config).to(torch.bfloat16).save_pretrained(args.out)  # noqa: BLY303
    print(f"{args.out}: Llama, hidden {args.hidden}, {args.layers} layers, vocab {args.vocab}, BF16")


if __name__ == "__main__":
    main()
