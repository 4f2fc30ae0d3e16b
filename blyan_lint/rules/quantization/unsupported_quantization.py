"""BLY402 unsupported-quantization: a quantized format the policy allows nowhere, teachers included.

4-bit, GPTQ, AWQ, FP8 and every other format that is neither BF16 nor INT8. What counts is
`formats.py`'s analysis, shared with BLY401.
"""

from __future__ import annotations

from ...data import engines
from ...data.quantized_formats import (
    FOUR_BIT_CLASSES,
    FOUR_BIT_KEYWORD,
    FOUR_BIT_KEYWORD_PREFIX,
    FOUR_BIT_OPTIMIZER_STRINGS,
    FP8_DTYPES,
    LOW_BIT_DTYPES,
    QUANTO_CONFIG,
    TORCHAO_CONFIG,
    UNSUPPORTED,
    UNSUPPORTED_QUANT_CONFIGS,
    UNSUPPORTED_QUANT_MARKERS,
)
from ..base import last_segments, spellings
from .formats import QuantizationRule

# What an unsupported-format finding cannot exist without: a marker or a name from the tables.
_UNSUPPORTED_WORDS = frozenset(
    {
        *spellings(UNSUPPORTED_QUANT_MARKERS),
        *last_segments(FOUR_BIT_CLASSES | UNSUPPORTED_QUANT_CONFIGS),
        *last_segments(FP8_DTYPES | LOW_BIT_DTYPES),
        *last_segments(QUANTO_CONFIG | TORCHAO_CONFIG),
        *FOUR_BIT_OPTIMIZER_STRINGS,
        f"{engines.QUANTIZATION_KEYWORD}=",
        engines.KV_CACHE_KEYWORD,
        FOUR_BIT_KEYWORD,
        FOUR_BIT_KEYWORD_PREFIX,
    }
)


class UnsupportedQuantization(QuantizationRule):
    code = "BLY402"
    name = "unsupported-quantization"
    summary = (
        "A quantized format the policy allows nowhere: 4-bit (`load_in_4bit` with any value but `False`, "
        "`bnb_4bit_*`, `Linear4bit`), GPTQ, AWQ and every transformers 5 quantization config that is neither INT8 "
        "nor BF16, FP8 dtypes, 4-bit/FP8 Quanto and TorchAO types, engines' `quantization=` formats and FP8 "
        "`kv_cache_dtype`."
    )
    policy = (
        "Precision by Component: Student, Inference, Learning and Blockchain Weights: BF16; Teacher Models: "
        "INT8* (EXCEPTION: Teacher Models: the ONLY exception to the BF16 rule)."
    )
    why = (
        "The policy knows two precisions: BF16 everywhere and INT8 for teacher models. 4-bit (NF4, FP4, GPTQ, "
        "AWQ, ...) and FP8 formats are neither, so they are reported in every scope, teacher code included: a "
        "teacher's 4-bit outputs drift further from BF16 than the INT8 the validation thresholds allow for. "
        "`bnb_4bit_*` options are reported once per call, at `load_in_4bit` (or the first option when it is "
        "absent), and not when the call sets `load_in_8bit=True`, which makes them inert. `load_in_4bit=` passed "
        "to a call counts whatever its value, unless it is a false literal (`load_in_4bit=args.bits == 4` loads "
        "4-bit whenever it is true). transformers 5's configs (`Mxfp4Config`, `FineGrainedFP8Config`, "
        "`HqqConfig`, `MetalConfig`, `GgufConfig`, ...) are flagged unless `dequantize=True` unpacks the weights "
        "to the load's dtype; at 8 bits a bit-width config (`HqqConfig(nbits=8)`) is INT8 (BLY401); "
        "`CompressedTensorsConfig` and `QuarkConfig` take their format from the checkpoint and are not judged. "
        'vLLM and SGLang engines: `quantization="awq"/"gptq"/"fp8"/...` and `kv_cache_dtype="fp8*"` '
        '(an FP8 KV cache) are flagged; an INT8 format (`"experts_int8"`) is BLY401\'s.'
    )
    example = (
        "# blyan-lint: teacher\n"
        "from transformers import AutoModelForCausalLM, BitsAndBytesConfig\n\n"
        'quantization_config = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4")\n'
        "teacher_model = AutoModelForCausalLM.from_pretrained(\n"
        '    "teacher_model_v17", quantization_config=quantization_config\n'
        ")\n"
    )
    fixed = (
        "# blyan-lint: teacher\n"
        "from transformers import AutoModelForCausalLM, BitsAndBytesConfig\n\n"
        "quantization_config = BitsAndBytesConfig(load_in_8bit=True)  # INT8: teacher only\n"
        "teacher_model = AutoModelForCausalLM.from_pretrained(\n"
        '    "teacher_model_v17", quantization_config=quantization_config\n'
        ")\n"
    )
    fix_safety = (
        "No automatic fix: load the model in BF16 (`torch_dtype=torch.bfloat16`), or, for a teacher model, in "
        "INT8 (`BitsAndBytesConfig(load_in_8bit=True)`); a GPTQ/AWQ/FP8 checkpoint has to be replaced by a BF16 "
        "one."
    )
    applies_to_teacher = True
    kind = UNSUPPORTED
    strings = _UNSUPPORTED_WORDS
