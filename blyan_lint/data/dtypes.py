"""Dtypes: the qualified names and strings that spell each one, how messages name it, and
the methods and keywords that choose one (BLY1xx, BLY404, and the semantic model's dtype values)."""

from __future__ import annotations

# Qualified dtype name -> canonical dtype. BF16 is listed so that conditionals can see
# "picks bf16 on one branch"; everything else floating and not bf16 is a breach.
DTYPE_ATTRS: dict[str, str] = {
    "torch.bfloat16": "bfloat16",
    "torch.float16": "float16",
    "torch.half": "float16",
    "torch.float32": "float32",
    "torch.float": "float32",
    "torch.float64": "float64",
    "torch.double": "float64",
    # legacy tensor types select a dtype as surely as the dtype objects do
    "torch.HalfTensor": "float16",
    "torch.FloatTensor": "float32",
    "torch.DoubleTensor": "float64",
    "torch.cuda.HalfTensor": "float16",
    "torch.cuda.FloatTensor": "float32",
    "torch.cuda.DoubleTensor": "float64",
    "torch.BFloat16Tensor": "bfloat16",
    "torch.cuda.BFloat16Tensor": "bfloat16",
}
# The legacy tensor types, spelled as the strings `.type()` and `set_default_tensor_type` take.
LEGACY_TYPE_STRINGS: dict[str, str] = {name: dtype for name, dtype in DTYPE_ATTRS.items() if name.endswith("Tensor")}
BF16 = "bfloat16"
# How messages name each canonical dtype.
DTYPE_LABELS: dict[str, str] = {"float16": "FP16", "float32": "FP32", "float64": "FP64", "bfloat16": "BF16"}


def dtype_label(canonical: str) -> str:
    return DTYPE_LABELS.get(canonical, canonical)


# Dtype spellings accepted as strings by transformers, accelerate and getattr(torch, ...).
DTYPE_STRINGS: dict[str, str] = {
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
    "torch.bfloat16": "bfloat16",
    "float16": "float16",
    "fp16": "float16",
    "half": "float16",
    "torch.float16": "float16",
    "torch.half": "float16",
    "float32": "float32",
    "fp32": "float32",
    "float": "float32",
    "torch.float32": "float32",
    "torch.float": "float32",
    "float64": "float64",
    "fp64": "float64",
    "double": "float64",
    "torch.float64": "float64",
    "torch.double": "float64",
}
# The BF16 spelling that replaces each non-BF16 string, in the same family of spelling.
BF16_STRING_FOR: dict[str, str] = {
    "float16": "bfloat16",
    "fp16": "bf16",
    "half": "bfloat16",
    "float32": "bfloat16",
    "fp32": "bf16",
    "float": "bfloat16",
    "float64": "bfloat16",
    "fp64": "bf16",
    "double": "bfloat16",
    "torch.float16": "torch.bfloat16",
    "torch.half": "torch.bfloat16",
    "torch.float32": "torch.bfloat16",
    "torch.float": "torch.bfloat16",
    "torch.float64": "torch.bfloat16",
    "torch.double": "torch.bfloat16",
}
# Keyword arguments whose value chooses a dtype.
DTYPE_KEYWORDS: frozenset[str] = frozenset(
    {"dtype", "torch_dtype", "compute_dtype", "bnb_4bit_compute_dtype", "param_dtype"}
)
# Tensor methods that cast.
CAST_METHODS: dict[str, str] = {"half": "float16", "float": "float32", "double": "float64"}
BF16_CAST_METHODS: frozenset[str] = frozenset({"bfloat16"})
TYPE_METHOD = "type"  # `.type(torch.HalfTensor)`, `.type("torch.HalfTensor")`
SET_DEFAULT_DTYPE: frozenset[str] = frozenset({"torch.set_default_dtype"})
SET_DEFAULT_TENSOR_TYPE: frozenset[str] = frozenset({"torch.set_default_tensor_type"})
