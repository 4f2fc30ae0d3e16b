"""BLY401 int8-outside-teacher: INT8 quantization outside teacher code (policy: "EXCEPTION: Teacher Models").

INT8 is the one exception to BF16, and only for frozen teachers: the engine drops this rule
in teacher scope. What counts as INT8 is `formats.py`'s analysis, shared with BLY402.
"""

from __future__ import annotations

from ...data import engines
from ...data.quantized_formats import (
    EETQ_CONFIG,
    INT8,
    INT8_CLASSES,
    INT8_DTYPES,
    INT8_KEYWORD,
    INT8_MARKERS,
    INT8_MODULE_PREFIXES,
    INT8_OPTIMIZER_STRINGS,
    OPTIM_BITS_KEYWORD,
    QUANTO_CONFIG,
    TORCHAO_CONFIG,
)
from ..base import last_segments, spellings
from .formats import QuantizationRule

# What an INT8 finding cannot exist without: a marker or a name from the tables.

_INT8_WORDS = frozenset(
    {
        *spellings(INT8_MARKERS),
        *last_segments(INT8_CLASSES | INT8_DTYPES | EETQ_CONFIG),
        *last_segments(QUANTO_CONFIG | TORCHAO_CONFIG),
        *last_segments(INT8_MODULE_PREFIXES),
        *INT8_OPTIMIZER_STRINGS,
        *engines.INT8_QUANTIZATIONS,
        INT8_KEYWORD,
        OPTIM_BITS_KEYWORD,
    }
)


class Int8OutsideTeacher(QuantizationRule):
    code = "BLY401"
    name = "int8-outside-teacher"
    summary = (
        "INT8 quantization outside teacher code: `load_in_8bit=True`, bitsandbytes 8-bit layers and optimizers, "
        "`torch.ao.quantization`, `torch.qint8`, INT8 Quanto/TorchAO/EETQ configs, 8-bit `optim=` strings."
    )
    policy = (
        "EXCEPTION: Teacher Models: Teacher models are the ONLY exception to the BF16 rule. [...] Teacher models "
        "MUST be clearly marked as INT8 in code. Student Models, Inference Models, Learning/Training: BF16."
    )
    why = (
        "INT8 rounds weights and activations differently from BF16, so a student or inference node running INT8 "
        "no longer produces the outputs every other node produces. Only a frozen teacher that gates quality may "
        "run INT8, and the policy wants that exception visible: put the teacher code in a module carrying "
        "`# blyan-lint: teacher` (or under a teacher path, or in a class or function named after the teacher), "
        "where this rule does not apply. `isinstance` checks against INT8 layer classes only inspect and are "
        "not flagged."
    )
    example = (
        "from transformers import AutoModelForCausalLM\n\n"
        "student = AutoModelForCausalLM.from_pretrained(\n"
        '    "blyan/student-v18", load_in_8bit=True, device_map="auto"\n'
        ")\n"
    )
    fixed = (
        "import torch\n"
        "from transformers import AutoModelForCausalLM\n\n"
        "if torch.cuda.get_device_capability()[0] < 8:\n"
        '    raise RuntimeError("GPU does not support BF16. Minimum Ampere (CC 8.0) required.")\n\n'
        "student = AutoModelForCausalLM.from_pretrained(\n"
        '    "blyan/student-v18", torch_dtype=torch.bfloat16, device_map="auto"\n'
        ")\n"
    )
    fix_safety = (
        "No automatic fix: whether the code is a student (load it in BF16 with `torch_dtype=torch.bfloat16`) or "
        "a frozen teacher (mark its module with `# blyan-lint: teacher`) is a human decision."
    )
    kind = INT8
    strings = _INT8_WORDS
