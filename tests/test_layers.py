"""No module imports from a higher layer: the package's import graph, read statically.

Every `import` and `from ... import` in every module of `blyan_lint/` counts, at module level
or inside a function (a lazy import is still a dependency, only a later one). The one
exception is an import under `if TYPE_CHECKING:`: it exists for the type checker alone and
never runs. There is no exception for the CLI's command dispatch: the CLI is the top layer,
so everything it imports, lazily or not, is below it already.

A module's layer is the entry of `LAYERS` with the longest matching prefix (`fixes.codemods`
before `fixes`), so modules may move inside a package without touching this map. A new
module outside every prefix fails `test_every_module_has_a_layer`: give it a layer here (and
in COORDINATION.md's table). Imports within one layer are allowed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import ROOT

PACKAGE = "blyan_lint"

# Lowest first. Names are relative to `blyan_lint`; "" is the package's own `__init__`
# (the version), matched exactly, never as a prefix.
LAYERS: tuple[tuple[str, ...], ...] = (
    # plain data and values: knows nothing of Python code, settings or rules (rule_table: codes and
    # words generated from the rules, importing none)
    ("", "data", "facts", "findings", "bounds", "pyversion", "codec", "links", "kinds", "words", "rule_table"),
    # settings, names, scope, reading a file, and the readers of non-Python inputs
    ("config", "bindings", "names", "import_sites", "scope", "sources", "readers"),
    # the rules and what they read: the semantic context, the edit builders
    ("context", "rules", "fixes.edits"),
    # the one table of codes
    ("registry",),
    # checking one input, and applying fixes (noqa needs the known codes, hence above registry)
    ("suppress", "prefilter", "prune", "post_walk", "engine", "scope_query", "fixes"),
    # checking files and trees
    ("api", "file_checks", "notebooks", "notebook_cells", "notebook_json", "runner", "cache", "discovery"),
    # adapters and outputs over the api
    ("report", "fixes.codemods", "flake8_plugin", "lsp", "watch", "adoption", "docs"),
    # the runtime harness (its commands import the api)
    ("runtime",),
    # the command line, which may import anything
    ("cli", "__main__"),
)


def layer_of(module: str) -> int | None:
    """The layer of `blyan_lint.<module>` (relative name), by the longest matching prefix."""
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for layer, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix if prefix == "" else module == prefix or module.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), layer)
    return None if best is None else best[1]


def modules() -> dict[str, Path]:
    """Relative module name -> file, for every module of the package."""
    found = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(ROOT / PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement below `node`, skipping the bodies of `if TYPE_CHECKING:`."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _import_nodes(ast.Module(body=[other], type_ignores=[]))
        else:
            yield from _import_nodes(child)


def imported_modules(source: str, module: str, is_package: bool, known: set[str]) -> Iterator[tuple[int, str]]:
    """(line, relative module name) for each package module `module` imports."""
    package = module if is_package else module.rpartition(".")[0]
    for node in _import_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    yield node.lineno, alias.name.removeprefix(PACKAGE).removeprefix(".")
            continue
        if node.level:
            parts = package.split(".") if package else []
            base_parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join([*base_parts, *([node.module] if node.module else [])])
        elif node.module == PACKAGE or (node.module or "").startswith(PACKAGE + "."):
            base = (node.module or "").removeprefix(PACKAGE).removeprefix(".")
        else:
            continue
        for alias in node.names:
            submodule = f"{base}.{alias.name}" if base else alias.name
            yield node.lineno, submodule if submodule in known else base


def upward_imports() -> list[str]:
    found = modules()
    known = set(found)
    problems: list[str] = []
    for module, path in found.items():
        own = layer_of(module)
        if own is None:
            continue
        source = path.read_text(encoding="utf-8")
        for line, target in imported_modules(source, module, path.name == "__init__.py", known):
            theirs = layer_of(target)
            if theirs is not None and theirs > own:
                where = path.relative_to(ROOT)
                problem = f"{where}:{line}: {module or PACKAGE} (layer {own}) imports {target} (layer {theirs})"
                if problem not in problems:  # `from .x import a, b` is one import
                    problems.append(problem)
    return problems


def test_every_module_has_a_layer() -> None:
    missing = [name or PACKAGE for name in modules() if layer_of(name) is None]
    assert not missing, f"give these modules a layer in LAYERS (tests/test_layers.py): {missing}"


def test_no_module_imports_from_a_higher_layer() -> None:
    problems = upward_imports()
    assert not problems, "imports from a higher layer:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("rules.base", "from ..api import check_file\n", [(1, "api")]),
        ("rules.base", "def run():\n    from ..runtime import confirm\n", [(2, "runtime.confirm")]),
        ("rules.base", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..api import Overrides\n", []),
        (
            "rules.base",
            "import typing\nif typing.TYPE_CHECKING:\n    import blyan_lint.cli\nelse:\n    import blyan_lint.api\n",
            [(5, "api")],
        ),
        ("suppress", "from . import registry, __version__\n", [(1, "registry"), (1, "")]),
        ("suppress", "import json\nfrom collections import abc\n", []),
    ],
)
def test_the_import_reader_sees_lazy_imports_and_skips_type_checking_ones(
    module: str, source: str, expected: list[tuple[int, str]]
) -> None:
    known = {"", "api", "cli", "registry", "runtime", "runtime.confirm", "rules", "rules.base", "suppress"}
    assert list(imported_modules(source, module, False, known)) == expected


def test_the_longest_prefix_decides_a_layer() -> None:
    found = {name: layer_of(name) for name in ("fixes.edits", "fixes.apply", "api", "fixes.codemods")}
    layers = [layer for layer in found.values() if layer is not None]
    assert len(layers) == 4 and layers == sorted(set(layers)), found  # one package, three layers, by prefix
    assert layer_of("") == 0 and layer_of("clinic") is None  # "" is the package itself; prefixes end at a dot
