"""BLY104 non-bf16-default-dtype: a non-BF16 default dtype (policy: "Core Principle")."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ...context import Context
from ...data.dtypes import BF16, LEGACY_TYPE_STRINGS, SET_DEFAULT_DTYPE, SET_DEFAULT_TENSOR_TYPE, dtype_label
from ...facts import DefaultDtypeFacts
from ...fixes.edits import bf16_attr_fix
from ...names import string_value
from ..base import Report, Rule
from .dtype_arguments import dtype_argument


class NonBf16DefaultDtype(Rule):
    code = "BLY104"
    name = "non-bf16-default-dtype"
    summary = "`torch.set_default_dtype(<non-BF16>)` or `torch.set_default_tensor_type(<non-BF16 type>)`."
    policy = "Core Principle: All models involved in learning and inference MUST use BF16."
    why = (
        "The default dtype silently decides the precision of every tensor and module created afterwards "
        "without an explicit dtype, far from the line that set it."
    )
    example = (
        "import torch\n\n"
        "if torch.cuda.get_device_capability()[0] < 8:\n"
        '    raise RuntimeError("BF16 needs an Ampere GPU (compute capability 8.0+)")\n\n'
        "torch.set_default_dtype(torch.float32)\n"
    )
    fixed = (
        "import torch\n\n"
        "if torch.cuda.get_device_capability()[0] < 8:\n"
        '    raise RuntimeError("BF16 needs an Ampere GPU (compute capability 8.0+)")\n\n'
        "torch.set_default_dtype(torch.bfloat16)\n"
    )
    fix_safety = (
        "Safe for `set_default_dtype`: the dtype is replaced by BF16. `set_default_tensor_type` also chooses "
        "a device, so it is reported without a fix: use `torch.set_default_dtype(torch.bfloat16)`."
    )
    watches = SET_DEFAULT_DTYPE | SET_DEFAULT_TENSOR_TYPE
    supersedes = frozenset({"BLY101"})

    def visit_Call(self, node: ast.Call, ctx: Context) -> Iterator[Report]:
        qualified = ctx.qualified(node.func)
        if qualified is None or len(node.args) != 1:
            return
        arg = node.args[0]
        if qualified in SET_DEFAULT_DTYPE:
            found = dtype_argument(ctx, arg)
            if found is None or found[1] == BF16:
                return
            arg_qualified = ctx.qualified(arg)
            yield ctx.report(
                node,
                f"`set_default_dtype({found[0]})`{found[2]} makes {dtype_label(found[1])} the default for "
                "every new tensor; the policy requires BF16: use `set_default_dtype(torch.bfloat16)`",
                fix=bf16_attr_fix(ctx, arg, arg_qualified) if arg_qualified else None,
                covers=(ctx.span(arg),),
                facts=DefaultDtypeFacts(qualified, found[1], ctx.resolve(arg)),
            )
        elif qualified in SET_DEFAULT_TENSOR_TYPE:
            found = dtype_argument(ctx, arg)
            text = string_value(arg)
            if found is None and text in LEGACY_TYPE_STRINGS:
                found = (f'"{text}"', LEGACY_TYPE_STRINGS[text], "")
            if found is None or found[1] == BF16:
                return
            yield ctx.report(
                node,
                f"`set_default_tensor_type({found[0]})` makes {dtype_label(found[1])} the default for every new "
                "tensor; the policy requires BF16: use `torch.set_default_dtype(torch.bfloat16)`",
                covers=(ctx.span(arg),),
                facts=DefaultDtypeFacts(qualified, found[1], ctx.resolve(arg)),
            )
