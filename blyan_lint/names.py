"""The semantic model of one file: imports, bindings and the questions rules ask of them.

Built while the engine walks a module in document order (the shape of ruff's
`ruff_python_semantic` model, in a few hundred lines of Python):

- imports, so `th.cuda.amp.autocast` after `import torch as th` is `torch.cuda.amp.autocast`
  (`qualified_name`), and the project's relative imports (`project_name`);
- position-aware bindings of names, `self.` attributes, tuple unpacking, parameters (with
  their defaults), loop targets and walrus targets, per function frame: a binding is seen
  from the end of its statement on, so `model = model.cpu()` reads the old `model`;
- one `follow()` with one hop limit and cycle detection, which also writes the
  "(`x` is ..., line n)" note of messages;
- `producer()`: the expression a value comes from, through bindings and methods that hand
  back their receiver (`model.eval()`), which rules classify (a loader call: `loaded_from()`;
  a model, a PEFT model, integer data).

Rules only ask; nothing else in the package keeps or follows bindings.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

from .bindings import ASSIGN, DEFAULT, LOOP, MAX_HOPS, PARAMETER, UNPACK, Binding, Followed
from .data import loaders as tables
from .import_sites import ImportSite, conditional_roots, local_names, may_bind, module_level_imports

CHAIN = tables.MODULE_CHAIN_METHODS  # methods that return the module they are called on (`model.eval()`)
_MODULE = 0  # the frame of module-level code


class ModuleName(NamedTuple):
    local: str  # how the code spells the module there
    imported: bool  # False: nothing binds it yet; a fix writing it must add `import module`


class SemanticModel:
    def __init__(self, package: str | None = None) -> None:
        self._imports: dict[str, str] = {}
        # The file's package (`blyan_node` for blyan_node/gpu.py, from its path under the
        # project root), to resolve the project's own relative imports (`from .gpu import x`).
        self._package = package
        self._relative: dict[str, str] = {}
        # (frame, name or dotted attribute) -> bindings in document order
        self._bindings: dict[tuple[int, str], list[Binding]] = {}
        self.frames: list[int] = [_MODULE]  # ids of the enclosing function definitions
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda] = []  # ... and the nodes
        self.tree: ast.Module | None = None  # the module walked, for questions about what comes later
        self.lines: list[str] = []  # ... and its text
        # module -> (frame, site) of `import` statements inside functions, in document order
        self._function_imports: dict[str, list[tuple[int, ImportSite]]] = {}
        self._module_imports: dict[str, list[ImportSite]] = {}
        self._locals: dict[int, frozenset[str]] = {}
        self._conditional_roots: set[str] | None = None

    # -- imports -------------------------------------------------------------------
    def add_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self._imports[alias.asname] = alias.name
                else:
                    root = alias.name.split(".", 1)[0]
                    self._imports[root] = root
                if self.frames[-1] != _MODULE:
                    site = ImportSite(_end(node), alias.asname or alias.name.split(".", 1)[0])
                    module = alias.name if alias.asname else site.local
                    self._function_imports.setdefault(module, []).append((self.frames[-1], site))
            return
        if node.level:
            self._add_relative(node)
            return  # relative imports never name a third-party library
        if not node.module:
            return
        for alias in node.names:
            if alias.name == "*":
                continue
            self._imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def _add_relative(self, node: ast.ImportFrom) -> None:
        if self._package is None:
            return
        parts = self._package.split(".") if self._package else []
        if node.level - 1 > len(parts):
            return
        base = parts[: len(parts) - (node.level - 1)]
        if node.module:
            base = [*base, *node.module.split(".")]
        for alias in node.names:
            if alias.name != "*" and base:
                self._relative[alias.asname or alias.name] = ".".join([*base, alias.name])

    def module_name_at(self, module: str, at: ast.AST) -> ModuleName | None:
        """The name a fix can write for `module` where `at` is: one an import has bound by
        then (in this function or an enclosing one before `at`; at module level before `at`,
        or anywhere when `at` is in a function body, which runs after the module is imported),
        else `module` itself, unbound, for the fix to import; None when no name can serve
        (a function binds `torch` itself, the module binds it to something else, or imports it
        only conditionally, so that an unconditional import would change what it requires)."""
        here = (at.lineno, at.col_offset)  # type: ignore[attr-defined]
        for depth in range(len(self.frames) - 1, 0, -1):
            for frame, site in reversed(self._function_imports.get(module, ())):
                if frame == self.frames[depth] and site.visible <= here and self._free_within(site.local, depth):
                    return ModuleName(site.local, True)
        if self.tree is not None:
            sites = self._module_imports.get(module)
            if sites is None:
                sites = self._module_imports[module] = module_level_imports(self.tree, module)
            reachable = sites if len(self.frames) > 1 else [s for s in reversed(sites) if s.visible <= here]
            for site in reachable:
                if self._free_within(site.local, 0):
                    return ModuleName(site.local, True)
        other = self._imports.get(module, module) != module or (_MODULE, module) in self._bindings
        if other or not self._free_within(module, 0) or module in self._conditional():
            return None  # an `import` added at the top would shadow, be shadowed, or make `module` required
        return ModuleName(module, False)

    def _conditional(self) -> set[str]:
        if self._conditional_roots is None:
            self._conditional_roots = conditional_roots(self.tree) if self.tree is not None else set()
        return self._conditional_roots

    def _free_within(self, name: str, depth: int) -> bool:
        """No function inside frame `depth` (counting from the module, 0) binds `name` itself."""
        for function in self.functions[depth:]:
            names = self._locals.get(id(function))
            if names is None:
                if self.lines and not may_bind(self.lines, function, name):
                    continue  # its text shows it cannot: no walk of its body
                names = self._locals[id(function)] = local_names(function)
            if name in names:
                return False
        return True

    def project_name(self, node: ast.AST) -> str | None:
        """Like `qualified_name`, but also through the project's relative imports:
        `require_bf16_gpu` after `from .gpu import require_bf16_gpu` in package `blyan_node`
        is `blyan_node.gpu.require_bf16_gpu` (for settings that name project functions)."""
        found = self.qualified_name(node)
        if found is not None:
            return found
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self._relative:
            return None
        return ".".join([self._relative[node.id], *reversed(parts)])

    def imported_last_segment(self, local: str) -> str:
        """The real name behind a local name: `ac` after `import ... autocast as ac` is
        `autocast`; anything not imported is itself."""
        qualified = self._imports.get(local)
        if qualified is None:
            return local
        return qualified.rpartition(".")[2]

    def qualified_name(self, node: ast.AST) -> str | None:
        """`th.cuda.amp.autocast` -> `torch.cuda.amp.autocast`; None when not a library name."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        base = self._imports.get(node.id)
        if base is None:
            if node.id not in tables.KNOWN_ROOTS or (_MODULE, node.id) in self._bindings:
                return None
            base = node.id
        if parts:
            parts.reverse()
            return base + "." + ".".join(parts)
        return base

    def is_model_class(self, receiver: ast.expr) -> bool:
        """Does `receiver.from_pretrained(...)` load model weights (not a tokenizer or config)?"""
        qualified = self.qualified_name(receiver)
        spelled = qualified or dotted_text(receiver)
        if spelled is None:
            return False
        last = spelled.rsplit(".", 1)[-1]
        if qualified in tables.NON_MODEL_CLASSES or last.endswith(tables.NON_MODEL_SUFFIXES):
            return False
        lowered = last.lower()
        if any(hint in lowered for hint in tables.NON_MODEL_NAME_HINTS):
            return False
        if qualified is not None and qualified.startswith(tables.MODEL_LIBRARIES):
            return True
        return any(hint in lowered for hint in tables.MODEL_NAME_HINTS)

    def is_load(self, call: ast.Call) -> bool:
        """`X.from_pretrained(...)` / `X.from_config(...)` of a model class, or `pipeline(...)`."""
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in tables.LOADER_METHODS and self.is_model_class(func.value):
            return True
        return self.qualified_name(func) in tables.PIPELINE_FACTORIES

    # -- frames --------------------------------------------------------------------
    def enter_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self.frames.append(id(node))
        self.functions.append(node)
        body = node.body
        first = body[0] if isinstance(body, list) else body
        visible = (first.lineno, first.col_offset)  # parameters hold in the body, not in the defaults
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        pairs = [*zip(positional, defaults, strict=True), *zip(args.kwonlyargs, args.kw_defaults, strict=True)]
        pairs += [(a, None) for a in (args.vararg, args.kwarg) if a is not None]
        for arg, default in pairs:
            how = PARAMETER if default is None else DEFAULT
            self._add(arg.arg, Binding(default, visible, node.lineno, how))

    def exit_function(self) -> None:
        self.frames.pop()
        self.functions.pop()

    # -- recording bindings ------------------------------------------------------------
    def bind_statement(self, node: ast.stmt) -> None:
        """Record what an assignment, loop or `with` binds (called before its children are
        walked; the binding is visible only from the end of the statement)."""
        node_type = type(node)
        if node_type is ast.Assign:
            visible = _end(node)
            for target in node.targets:  # type: ignore[attr-defined]
                self._assign(target, node.value, visible, node.lineno, ASSIGN, 0)  # type: ignore[attr-defined]
        elif node_type is ast.AnnAssign:
            if node.value is not None:  # type: ignore[attr-defined]
                self._assign(node.target, node.value, _end(node), node.lineno, ASSIGN, 0)  # type: ignore[attr-defined]
        elif node_type is ast.AugAssign:
            self._assign(node.target, None, _end(node), node.lineno, ASSIGN, 0)  # type: ignore[attr-defined]
        elif node_type is ast.For or node_type is ast.AsyncFor:
            # the target holds from the first statement of the body (and after the loop)
            first = node.body[0]  # type: ignore[attr-defined]
            self._assign(node.target, None, (first.lineno, first.col_offset), node.lineno, LOOP, 0)  # type: ignore[attr-defined]
        elif node_type is ast.With or node_type is ast.AsyncWith:
            first = node.body[0]  # type: ignore[attr-defined]
            for item in node.items:  # type: ignore[attr-defined]
                if item.optional_vars is not None:
                    self._assign(item.optional_vars, None, (first.lineno, first.col_offset), node.lineno, ASSIGN, 0)

    def bind_walrus(self, node: ast.NamedExpr) -> None:
        self._assign(node.target, node.value, _end(node), node.lineno, ASSIGN, 0)

    def _assign(
        self, target: ast.expr, value: ast.expr | None, visible: tuple[int, int], line: int, how: str, depth: int
    ) -> None:
        target_type = type(target)
        if target_type is ast.Name:  # the common case, first
            self._add(target.id, Binding(value, visible, line, how))  # type: ignore[attr-defined]
            return
        if target_type is ast.Tuple or target_type is ast.List:
            elts = target.elts  # type: ignore[attr-defined]
            starred = any(isinstance(e, ast.Starred) for e in elts)
            values: list[ast.expr | None]
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(elts) and not starred:
                values = list(value.elts)
            elif value is not None and not starred and depth < 4:
                # `major, minor = get_device_capability()`: each is an item of that call
                values = [
                    ast.copy_location(ast.Subscript(value, ast.Constant(i), ast.Load()), value)
                    for i in range(len(elts))
                ]
            else:
                values = [None] * len(elts)
            for element, element_value in zip(elts, values, strict=True):
                self._assign(element, element_value, visible, line, UNPACK if how == ASSIGN else how, depth + 1)
            return
        if isinstance(target, ast.Starred):
            self._assign(target.value, None, visible, line, how, depth + 1)
            return
        key = dotted_text(target) if isinstance(target, (ast.Name, ast.Attribute)) else None
        if key is not None:
            self._add(key, Binding(value, visible, line, how))

    def _add(self, key: str, binding: Binding) -> None:
        self._bindings.setdefault((self.frames[-1], key), []).append(binding)

    # -- questions ---------------------------------------------------------------------
    def lookup(self, node: ast.expr, same_frame: bool = False) -> Binding | None:
        """The binding a name or `self.attr` refers to where `node` is written, if seen.

        The innermost frame that binds the name decides (Python's rule: a name assigned in
        a function is local to it); within it, the last binding visible before `node`."""
        key = dotted_text(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if key is None or not hasattr(node, "lineno"):
            return None
        return self.binding_of(key, node, same_frame)

    def binding_of(self, key: str, at: ast.AST, same_frame: bool = False) -> Binding | None:
        """The binding of a name or dotted attribute (`device`, `self.device`) where `at` starts."""
        here = (at.lineno, at.col_offset)  # type: ignore[attr-defined]
        frames = self.frames[-1:] if same_frame else reversed(self.frames)
        for frame in frames:
            entries = self._bindings.get((frame, key))
            if entries:
                for binding in reversed(entries):
                    if binding.visible <= here:
                        return binding
                return None
        return None

    def follow(self, node: ast.expr, *, defaults: bool = False, same_frame: bool = False) -> Followed:
        """What `node` stands for, through at most `MAX_HOPS` bindings, never twice the
        same one (`a = b; b = a` is no loop). Parameter defaults are followed only when
        asked (`defaults=True`): a caller may pass anything else."""
        return self.producer(node, through=frozenset(), defaults=defaults, same_frame=same_frame)

    def producer(
        self, node: ast.expr, *, through: frozenset[str] = CHAIN, defaults: bool = False, same_frame: bool = False
    ) -> Followed:
        """The expression that produced `node`'s value: `follow()` (the same bindings and
        hop limit) also through calls of methods in `through`, which hand back their receiver
        (`model.eval().to(dev)` is `model`; no hop); `via` holds the names passed through."""
        current = node
        via: list[tuple[str, Binding]] = []
        seen: set[int] = set()
        while True:
            if isinstance(current, ast.Call):
                func = current.func
                if not (isinstance(func, ast.Attribute) and func.attr in through):
                    break
                current = func.value
                continue
            if len(via) >= MAX_HOPS or not isinstance(current, (ast.Name, ast.Attribute)):
                break
            binding = self.lookup(current, same_frame)
            if binding is None or id(binding) in seen:
                break
            if binding.value is None or (binding.how == DEFAULT and not defaults):
                return Followed(current, tuple(via), known=False)
            seen.add(id(binding))
            via.append((dotted_text(current) or "", binding))
            current = binding.value
        return Followed(current, tuple(via))

    def loaded_from(self, node: ast.expr) -> ast.Call | None:
        """The loader call (`X.from_pretrained(...)`, `pipeline(...)`) a value comes from,
        through names and `self.` attributes bound in the same function and module methods
        that return the module (`model.eval()`)."""
        value = self.producer(node, same_frame=True).value
        return value if isinstance(value, ast.Call) and self.is_load(value) else None


def _end(node: ast.AST) -> tuple[int, int]:
    return (node.end_lineno or node.lineno, node.end_col_offset or 0)  # type: ignore[attr-defined]


def dotted_text(node: ast.AST) -> str | None:
    """The source-like dotted spelling of a Name/Attribute chain, unresolved."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call):
        inner = dotted_text(node.func)
        if inner is None:
            return None
        parts.append(inner + "()")
        return ".".join(reversed(parts))
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def keyword(node: ast.Call, name: str) -> ast.keyword | None:
    for kw in node.keywords:
        if kw.arg == name:
            return kw
    return None


def has_star_kwargs(node: ast.Call) -> bool:
    return any(kw.arg is None for kw in node.keywords)


def is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def string_value(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None
