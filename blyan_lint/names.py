"""Import-alias resolution: which library object does this expression name?

Built while the engine walks a module in document order, so an import is known from the
statement that makes it onwards (`import torch as th` then `th.half` -> `torch.half`).
Simple local bindings (`dt = torch.float16`, `device = "cpu"`) are tracked too, so a
later `model.to(dt)` is seen for what it is.
"""

from __future__ import annotations

import ast

from .data import names as tables

# A literal a local name was bound to: the expression node it was bound to.
Binding = ast.expr


class Resolver:
    def __init__(self, package: str | None = None) -> None:
        self._imports: dict[str, str] = {}
        # The file's package (`blyan_node` for blyan_node/gpu.py, from its path under the
        # project root), to resolve the project's own relative imports (`from .gpu import x`).
        self._package = package
        self._relative: dict[str, str] = {}
        # (function node id or 0 for the module, name) -> bound expression, or None once
        # the name is rebound to something we cannot follow.
        self._bindings: dict[tuple[int, str], Binding | None] = {}

    # -- imports -------------------------------------------------------------------
    def add_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self._imports[alias.asname] = alias.name
                else:
                    root = alias.name.split(".", 1)[0]
                    self._imports[root] = root
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

    def alias_for(self, module: str) -> str | None:
        """The local name bound to `module` (`th` after `import torch as th`), if any."""
        for local, qualified in self._imports.items():
            if qualified == module:
                return local
        return None

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
            if node.id not in tables.KNOWN_ROOTS or (0, node.id) in self._bindings:
                return None
            base = node.id
        if parts:
            parts.reverse()
            return base + "." + ".".join(parts)
        return base

    # -- local bindings ------------------------------------------------------------
    def bind(self, frame: int, name: str, value: Binding | None) -> None:
        self._bindings[(frame, name)] = value

    def binding(self, frames: list[int], name: str) -> Binding | None:
        for frame in reversed(frames):
            key = (frame, name)
            if key in self._bindings:
                return self._bindings[key]
        return None


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
