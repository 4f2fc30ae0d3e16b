"""What a value holds: a model, or data that may hold integers.

Fix safety (RULES.md "Fix safety (1.1)") and BLY404 ask the same question of a receiver:
is `x` in `x.half()` known to be a model? A model's cast to BF16 only rounds its weights; a
tensor of unknown origin may hold indices or positions, which BF16 holds exactly only up
to 256. Evidence, strongest first: a loader's result or an `nn.Module` construction (through
local names and methods that return the module), `self` in an `nn.Module` subclass, a
parameter annotated as a module, a call named like a model factory (`load_model()`), and a
name that says model and nothing that says data (`teacher`, `self.model`, not `teacher_logits`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace

from ..context import Context
from ..data import values
from ..data.dtypes import DTYPE_KEYWORDS
from ..data.loaders import LOADER_METHODS
from ..findings import Applicability, Fix
from ..names import dotted_text

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)

# BF16 has an 8-bit significand: every integer up to 256 is exact, 257 is not.
INTEGER_LIMIT = "BF16 holds integers exactly only up to 256"


def words(name: str) -> set[str]:
    return {word.lower() for word in _WORDS.findall(name)}


def _names_a_model(name: str) -> bool:
    found = words(name)
    return bool(found & values.MODEL_WORDS) and not found & values.DATA_WORDS


def is_model(ctx: Context, node: ast.expr) -> bool:
    """Is `node` known to hold a model (see the module docstring for the evidence)? The
    expression that produced it decides; where that is a name not followed further (a
    parameter, `self`), its annotation or class decides, else a name it passed through."""
    produced = ctx.names.producer(node)
    value = produced.value
    if isinstance(value, ast.Call):
        return _builds_model(ctx, value)
    if isinstance(value, ast.Name):
        if value.id == "self":
            return _in_module_class(ctx)
        if _annotated_module(ctx, value.id):
            return True
    elif not isinstance(value, ast.Attribute) or ctx.qualified(value) is not None:
        return False  # a subscript, an operation, a library name: nothing a name word overrules
    return any(_names_a_model(name) for name in produced.passed_names)


def _builds_model(ctx: Context, call: ast.Call) -> bool:
    func = call.func
    qualified = ctx.qualified(func)
    if qualified is not None:
        if qualified in values.NOT_MODULE_NAMES or qualified.startswith(values.NOT_MODULE_PREFIXES):
            return False
        last = qualified.rsplit(".", 1)[-1]
        if qualified.startswith(values.TORCH_NN_PREFIX) and last[:1].isupper():
            return True  # `nn.Linear(...)`, `nn.Sequential(...)`
    if isinstance(func, ast.Attribute) and func.attr in LOADER_METHODS:
        return ctx.names.is_model_class(func.value)
    name = dotted_text(func)
    if name is None:
        return False
    last = name.rsplit(".", 1)[-1]
    found = [word.lower() for word in _WORDS.findall(last)]
    return bool(found) and found[0] in values.FACTORY_VERBS and _names_a_model(last)


def _in_module_class(ctx: Context) -> bool:
    cls = ctx.enclosing(ast.ClassDef)
    if not isinstance(cls, ast.ClassDef):
        return False
    for base in cls.bases:
        qualified = ctx.qualified(base)
        if qualified in values.MODULE_CLASSES:
            return True
        spelled = qualified or dotted_text(base) or ""
        if spelled.endswith(("Module", "PreTrainedModel")):
            return True
    return False


def _annotated_module(ctx: Context, name: str) -> bool:
    function = ctx.enclosing(*_FUNCTIONS)
    if not isinstance(function, _FUNCTIONS):
        return False
    arguments = function.args
    for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
        if arg.arg == name and arg.annotation is not None:
            qualified = ctx.qualified(arg.annotation)
            spelled = qualified or dotted_text(arg.annotation) or ""
            return qualified in values.MODULE_CLASSES or spelled.endswith(("Module", "PreTrainedModel"))
    return False


def integer_source(ctx: Context, node: ast.expr) -> str | None:
    """`torch.arange` when `node` comes from an integer-valued factory (through local names
    and methods that keep the data: `.unsqueeze(0)`, `.to(device)`), else None."""
    value = ctx.names.producer(node, through=values.SAME_DATA_METHODS).value
    return integer_factory(ctx, value)


def enclosing_integer_factory(ctx: Context) -> str | None:
    """For a dtype being checked: the integer-valued factory whose dtype keyword it is
    (`torch.arange(n, dtype=torch.float32)`), else None. Reads the walk's ancestors."""
    stack = ctx.stack
    for index in range(len(stack) - 1, 0, -1):
        node = stack[index]
        if isinstance(node, ast.keyword):
            return integer_factory(ctx, stack[index - 1]) if node.arg in DTYPE_KEYWORDS else None
        if isinstance(node, (ast.stmt, ast.Call)):
            return None
    return None


def integer_factory(ctx: Context, call: ast.AST | None) -> str | None:
    """The qualified name of `call` when it makes integer-valued data, else None."""
    if not isinstance(call, ast.Call):
        return None
    qualified = ctx.qualified(call.func)
    return qualified if qualified in values.INTEGER_FACTORIES else None


def unsafe(fix: Fix | None, reason: str) -> Fix | None:
    """The same edits, offered only under `--unsafe-fixes`, with a title that says why."""
    if fix is None:
        return None
    return replace(fix, applicability=Applicability.UNSAFE, title=f"{fix.title} (unsafe: {reason})")


def integer_reason(source: str) -> str:
    return f"`{source}(...)` holds integer values (indices, positions): {INTEGER_LIMIT}, 257 becomes 256"


def cast_reason(ctx: Context, receiver: ast.expr) -> str | None:
    """Why casting `receiver` to BF16 is an unsafe fix; None when it is a known model."""
    source = integer_source(ctx, receiver)
    if source is not None:
        return integer_reason(source)
    if is_model(ctx, receiver):
        return None
    written = dotted_text(receiver) or "the value"
    if len(written) > 40:
        written = "the value"
    return f"`{written}` is not known to be a model and may hold integers: {INTEGER_LIMIT}"
