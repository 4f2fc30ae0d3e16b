"""Which findings `confirm` replays, and how: decided from the source with `ast` alone.

A finding is replayed by calling the code that contains it (module-level code is imported;
a function whose parameters all have defaults is called; a method, on an instance of a
class whose constructor has defaults) or, where that is impossible, by a recipe: the same
function with standard inputs for its missing arguments (a batch of token ids, a one-batch
loader, one step), cut after the flagged statement unless the finding is about mixed
precision, whose verdict needs the whole forward and backward. Nothing here imports torch
or the analysed code.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field

from ..findings import Finding

# Codes whose claims the runtime can check (issue 9): loads and casts, mixed precision,
# CPU mode and soft guards, quantization and teachers.
MODEL_CODES = frozenset(
    {f"BLY10{i}" for i in range(1, 7)}
    | {"BLY201", "BLY202", "BLY203"}
    | {"BLY301", "BLY302", "BLY303", "BLY304"}
    | {"BLY401", "BLY402", "BLY403", "BLY404"}
)
# Mixed-precision constructs: judged by a differential op trace of the whole replay.
DIFFERENTIAL_CODES = frozenset({"BLY201", "BLY202", "BLY203"})


def is_model_related(finding: Finding) -> bool:
    return finding.code in MODEL_CODES and finding.path.endswith(".py")


@dataclass(frozen=True)
class Target:
    """What a replay calls. kind: module | function | method | recipe."""

    kind: str
    function: str | None = None  # the function's name (the method's, for methods)
    cls: str | None = None  # the enclosing class, for methods
    def_line: int = 0
    end_line: int = 0
    reason: str = ""  # why this kind (shown in the observation)


@dataclass(frozen=True)
class Plan:
    """One finding's replay: where, how, in which environments."""

    key: int  # index of the finding in the confirm run
    code: str
    line: int
    col: int
    target: Target
    envs: tuple[str, ...]  # gpu | cc75 | hidden
    differential: bool = False
    statement_line: int = 0  # the top-level statement of the function holding the finding
    statement_end: int = 0


@dataclass
class ModulePlan:
    path: str  # absolute
    module: str  # dotted import name
    sys_path: str  # the folder to put on sys.path for that import
    constants: dict[str, str] = field(default_factory=dict)  # module-level NAME = "string"
    # Names a load's model id was bound through (the finding's typed facts): NAME -> id, so
    # `--model-map STUDENT=...` or a parameter's name maps the id the load really receives.
    aliases: dict[str, str] = field(default_factory=dict)
    plans: list[Plan] = field(default_factory=list)
    error: str | None = None


def module_name(path: str) -> tuple[str, str]:
    """(dotted name, sys.path entry): climb while the folder is a package."""
    path = os.path.abspath(path)
    folder, base = os.path.split(path)
    parts = [os.path.splitext(base)[0]]
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder, package = os.path.split(folder)
        parts.append(package)
    if parts[0] == "__init__":
        parts = parts[1:]
    return ".".join(reversed(parts)), folder


def _all_defaulted(args: ast.arguments, skip_self: bool) -> bool:
    positional = [*args.posonlyargs, *args.args]
    if skip_self and positional:
        positional = positional[1:]
    missing_positional = len(positional) - len(args.defaults)
    missing_kw = sum(1 for default in args.kw_defaults if default is None)
    return missing_positional <= 0 and missing_kw == 0


def _enclosing(
    tree: ast.Module, line: int
) -> tuple[ast.ClassDef | None, ast.FunctionDef | ast.AsyncFunctionDef | None]:
    """The innermost top-level function, or method of a top-level class, holding `line`."""
    for node in tree.body:
        if not (node.lineno <= line <= (node.end_lineno or node.lineno)):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None, node
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                    item.lineno <= line <= (item.end_lineno or item.lineno)
                ):
                    return node, item
            return node, None
    return None, None


def _constructor_defaulted(cls: ast.ClassDef) -> bool:
    for item in cls.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            return _all_defaulted(item.args, skip_self=True)
    return True  # no __init__ of its own: assume object's (bases with arguments fail at run time, honestly)


def _target(tree: ast.Module, line: int) -> Target:
    cls, func = _enclosing(tree, line)
    if func is None:
        return Target("module", reason="module-level code: the import is the replay")
    span = (func.lineno, func.end_lineno or func.lineno)
    is_static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in func.decorator_list)
    if cls is None:
        if _all_defaulted(func.args, skip_self=False):
            return Target("function", func.name, None, *span, f"`{func.name}()` called for real")
        return Target("recipe", func.name, None, *span, f"`{func.name}` needs arguments: replayed on standard inputs")
    own_defaults = _all_defaulted(func.args, skip_self=not is_static)
    if not _constructor_defaulted(cls) and func.name != "__init__":
        return Target("unbuildable", func.name, cls.name, *span, f"`{cls.name}()` needs constructor arguments")
    if func.name == "__init__" or own_defaults:
        return Target("method", func.name, cls.name, *span, f"`{cls.name}().{func.name}()` called for real")
    return Target(
        "recipe", func.name, cls.name, *span, f"`{cls.name}().{func.name}` needs arguments: replayed on standard inputs"
    )


def _top_statement(tree: ast.Module, target: Target, line: int) -> tuple[int, int]:
    """The statement of the function body (top level) that holds `line`."""
    if target.function is None:
        return line, line
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno == target.def_line:
            for stmt in node.body:
                if stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno):
                    return stmt.lineno, stmt.end_lineno or stmt.lineno
    return line, line


def envs_for(code: str) -> tuple[str, ...]:
    """The environments whose behaviour answers the finding's claim."""
    if code == "BLY301":
        return ("hidden",)  # does the code pick the CPU when CUDA is absent?
    if code == "BLY304":
        return ("cc75", "hidden")  # does a pre-Ampere GPU, or none, make the code fail fast?
    if code == "BLY303":
        return ("cc75",)  # does the module load a model on a pre-Ampere GPU?
    if code == "BLY105":
        return ("gpu", "cc75", "hidden")  # which dtype does the conditional pick where?
    return ("gpu",)


def constants(tree: ast.Module) -> dict[str, str]:
    found = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            found[node.targets[0].id] = node.value.value
    return found


def model_aliases(finding: Finding) -> dict[str, str]:
    """{bound name: model id} from a finding's load facts, when the id is a literal."""
    model = getattr(getattr(finding, "facts", None), "model", None)
    if model is None or getattr(model, "status", None) != "literal" or not isinstance(model.value, str):
        return {}
    names = {model.source, *(hop.name for hop in model.via)}
    return {name: model.value for name in names if name and name.isidentifier()}


def plan_modules(findings: list[tuple[int, Finding]]) -> list[ModulePlan]:
    """Group the findings by file (one replay subprocess per module) and plan each."""
    by_path: dict[str, list[tuple[int, Finding]]] = {}
    for key, finding in findings:
        by_path.setdefault(os.path.abspath(finding.path), []).append((key, finding))
    modules = []
    for path, items in sorted(by_path.items()):
        name, root = module_name(path)
        module = ModulePlan(path, name, root)
        try:
            with open(path, "rb") as fh:
                tree = ast.parse(fh.read(), path)
        except (OSError, SyntaxError, ValueError) as exc:
            module.error = f"cannot parse: {exc}"
            modules.append(module)
            continue
        module.constants = constants(tree)
        for key, finding in items:
            module.aliases.update(model_aliases(finding))
            target = _target(tree, finding.start.line)
            start, end = _top_statement(tree, target, finding.start.line)
            module.plans.append(
                Plan(
                    key,
                    finding.code,
                    finding.start.line,
                    finding.start.col,
                    target,
                    envs_for(finding.code),
                    finding.code in DIFFERENTIAL_CODES,
                    start,
                    end,
                )
            )
        modules.append(module)
    return modules
