"""Write the BLY502 fixtures: tiny `.safetensors` files, byte for byte reproducible.

    python scripts/make_safetensors_fixtures.py [OUT_DIR]   (default: fixtures/rules/BLY502)

Each file is laid out as safetensors writes it: an 8-byte little-endian header length,
the JSON header padded with spaces to a multiple of 8 bytes, then the tensor bytes
(zeros: only the header matters to the checker). Some files are broken on purpose.
`tests/test_files.py` checks that re-running this script reproduces the committed files.
"""

from __future__ import annotations

import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(os.path.dirname(HERE), "fixtures", "rules", "BLY502")

BYTES_PER_ELEMENT = {
    **{"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1},
    **{"I64": 8, "I32": 4, "I8": 1, "U8": 1, "BOOL": 1},
}

Tensor = tuple[str, str, list[int]]  # name, safetensors dtype, shape


def header_bytes(header: dict[str, object]) -> bytes:
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    return raw + b" " * (-len(raw) % 8)


def safetensors_file(tensors: list[Tensor], metadata: dict[str, str] | None = None) -> bytes:
    header: dict[str, object] = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape in tensors:
        count = 1
        for dim in shape:
            count *= dim
        size = count * BYTES_PER_ELEMENT[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = header_bytes(header)
    return struct.pack("<Q", len(raw)) + raw + b"\0" * offset


def layer(index: int, dtype: str) -> list[Tensor]:
    prefix = f"model.layers.{index}"
    return [
        (f"{prefix}.self_attn.q_proj.weight", dtype, [4, 4]),
        (f"{prefix}.self_attn.k_proj.weight", dtype, [4, 4]),
        (f"{prefix}.mlp.down_proj.weight", dtype, [4, 8]),
    ]


PT = {"format": "pt"}


def build() -> dict[str, bytes]:
    """Relative path -> file contents."""
    files: dict[str, bytes] = {}
    # Clean: BF16 weights, integer buffers.
    files["bf16_clean.safetensors"] = safetensors_file(
        [*layer(0, "BF16"), ("model.embed_tokens.weight", "BF16", [16, 4]), ("lm_head.weight", "BF16", [16, 4])],
        PT,
    )
    files["integer_only.safetensors"] = safetensors_file(
        [("input_ids", "I64", [2, 8]), ("position_ids", "I64", [1, 8]), ("attention_mask", "BOOL", [2, 8])],
    )
    files["bf16_with_buffers.safetensors"] = safetensors_file(
        [*layer(0, "BF16"), ("model.rotary.position_ids", "I64", [1, 8]), ("model.token_type_ids", "I32", [1, 8])],
        {"format": "pt", "note": "F16 and F32 in metadata are only text"},
    )
    # Not BF16.
    files["f16_weights.safetensors"] = safetensors_file([*layer(0, "F16"), ("lm_head.weight", "F16", [16, 4])], PT)
    files["f32_weights.safetensors"] = safetensors_file(
        [*layer(0, "F32"), ("model.norm.weight", "F32", [4]), ("position_ids", "I64", [1, 8])], PT
    )
    files["mixed_dtypes.safetensors"] = safetensors_file(
        [
            *layer(0, "F16"),
            *layer(1, "BF16"),
            ("model.norm.weight", "F32", [4]),
            ("position_ids", "I64", [1, 8]),
        ],
        PT,
    )
    files["fp8_weights.safetensors"] = safetensors_file(
        [*layer(0, "F8_E4M3"), ("model.embed_tokens.weight", "BF16", [16, 4])], PT
    )
    # Teacher path: an INT8 checkpoint, whose scales are F32 (BLY502 does not apply there).
    files["teacher_checkpoints/int8_teacher.safetensors"] = safetensors_file(
        [
            ("model.layers.0.mlp.down_proj.weight", "I8", [4, 8]),
            ("model.layers.0.mlp.down_proj.SCB", "F32", [4]),
            ("model.norm.weight", "F16", [4]),
        ],
        PT,
    )
    # Broken: BLY000.
    files["truncated_length.safetensors"] = struct.pack("<Q", 64)[:5]
    whole = safetensors_file(layer(0, "BF16"), PT)
    files["truncated_data.safetensors"] = whole[: len(whole) - 40]
    files["oversized_header_length.safetensors"] = struct.pack("<Q", 1 << 40) + header_bytes({"__metadata__": PT})
    bad = b'{"lm_head.weight": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]'  # no closing brace
    files["invalid_json_header.safetensors"] = struct.pack("<Q", len(bad)) + bad + b"\0" * 4
    return files


DEMO_OUT = os.path.join(os.path.dirname(HERE), "fixtures", "demo_repo", "checkpoints")


def build_demo() -> dict[str, bytes]:
    """The demo node's student checkpoint: one shard saved in FP16 by mistake, one in BF16."""
    return {
        "student-v18-00001-of-00002.safetensors": safetensors_file(
            [*layer(0, "F16"), *layer(1, "F16"), ("model.embed_tokens.weight", "F16", [16, 4])], PT
        ),
        "student-v18-00002-of-00002.safetensors": safetensors_file(
            [*layer(2, "BF16"), ("model.norm.weight", "BF16", [4]), ("lm_head.weight", "BF16", [16, 4])], PT
        ),
    }


def main(argv: list[str]) -> int:
    out = argv[1] if len(argv) > 1 else DEFAULT_OUT
    targets = [(out, build())] + ([] if len(argv) > 1 else [(DEMO_OUT, build_demo())])
    for out, files in targets:
        _write(out, files)
    return 0


def _write(out: str, files: dict[str, bytes]) -> None:
    for rel, data in sorted(files.items()):
        path = os.path.join(out, *rel.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        print(f"{path}: {len(data)} bytes")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
