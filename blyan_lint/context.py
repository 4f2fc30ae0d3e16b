"""What a rule knows while the engine walks one Python file."""

from __future__ import annotations

import ast
import math

from .bindings import Followed
from .config import Settings
from .data import dtypes as tables
from .facts import ABSENT_VALUE, CALL, EXPRESSION, LITERAL, NAME, UNKNOWN, Hop, Value, binding_note
from .findings import Position, Report, Scope
from .names import SemanticModel, dotted_text, string_value
from .scope import relative_posix

_INSPECTING_CALLS = frozenset({"isinstance", "issubclass"})


def package_of(rel_path: str) -> str | None:
    """`blyan_node/gpu.py` -> `blyan_node`; `blyan_node/__init__.py` -> `blyan_node`;
    None for a path outside the project root."""
    if rel_path.startswith(("/", "../")) or ":" in rel_path:
        return None
    parts = rel_path.split("/")[:-1]
    if not all(part.isidentifier() for part in parts):
        return None
    return ".".join(parts)


class Context:
    def __init__(self, path: str, lines: list[str], settings: Settings, file_scope: Scope, newline: str = "\n") -> None:
        self.path = path
        self.lines = lines
        self.newline = newline  # the file's line ending, for fixes that add lines
        self.settings = settings
        self.file_scope = file_scope
        self.names = SemanticModel(package_of(relative_posix(path, settings.root)))
        self.stack: list[ast.AST] = []  # ancestors of the node being checked
        self.scopes: list[Scope] = [file_scope]
        self.teacher_regex = settings.teacher_name_pattern
        # Per-file state a rule family keeps between nodes (keyed by the rule or its helper
        # class); it lives and dies with this context, so nothing leaks across files.
        self.extras: dict[object, object] = {}
        # The file's text, lower-cased UTF-8 (set by the engine), for `file_holds`.
        self.lowered: bytes | None = None
        self.variants = b""  # ... and its `words.risky_regions` spellings
        self._holds: dict[tuple[str, ...], bool] = {}

    # -- where we are ----------------------------------------------------------------
    @property
    def scope(self) -> Scope:
        return self.scopes[-1]

    @property
    def parent(self) -> ast.AST | None:
        return self.stack[-1] if self.stack else None

    def enclosing(self, *types: type[ast.AST]) -> ast.AST | None:
        for node in reversed(self.stack):
            if isinstance(node, types):
                return node
        return None

    # -- positions ------------------------------------------------------------------
    def _col(self, line: int, byte_col: int) -> int:
        """ast columns are UTF-8 byte offsets; report 1-based character columns."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return byte_col + 1
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1

    def start(self, node: ast.AST) -> Position:
        return Position(node.lineno, self._col(node.lineno, node.col_offset))  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> Position:
        line = node.end_lineno or node.lineno  # type: ignore[attr-defined]
        return Position(line, self._col(line, node.end_col_offset or 0))  # type: ignore[attr-defined]

    def report(self, node: ast.AST, message: str, **extra: object) -> Report:
        return Report(self.start(node), self.end(node), message, **extra)  # type: ignore[arg-type]

    def report_span(self, first: ast.AST, last: ast.AST, message: str, **extra: object) -> Report:
        return Report(self.start(first), self.end(last), message, **extra)  # type: ignore[arg-type]

    def span(self, node: ast.AST) -> tuple[Position, Position]:
        return (self.start(node), self.end(node))

    def text_has(self, node: ast.AST, words: tuple[str, ...]) -> bool:
        """Does any word occur in the source lines a node spans? A cheap test before a walk."""
        first, last = node.lineno, node.end_lineno or node.lineno  # type: ignore[attr-defined]
        text = self.lines[first - 1] if first == last else "\n".join(self.lines[first - 1 : last])
        return any(word in text for word in words)

    def file_holds(self, words: tuple[str, ...]) -> bool:
        """Does the file hold any of these lower-case words anywhere? A precheck before an
        expensive question: a name a rule follows is bound in the file, so its text is there
        too, in some spelling (`words.risky_regions`). True where no text is given."""
        found = self._holds.get(words)
        if found is None:
            text, variants = self.lowered, self.variants
            found = text is None or any(w.encode() in text or w.encode() in variants for w in words)
            self._holds[words] = found
        return found

    def source(self, node: ast.AST) -> str:
        """The source text of a node (`ast.get_source_segment`, read from the lines held
        here: it costs the node's length, not the file's)."""
        try:
            first: int = node.lineno  # type: ignore[attr-defined]
            last: int | None = node.end_lineno  # type: ignore[attr-defined]
            col: int = node.col_offset  # type: ignore[attr-defined]
            end_col: int | None = node.end_col_offset  # type: ignore[attr-defined]
        except AttributeError:
            return ""
        if last is None or end_col is None or not 0 < first <= last <= len(self.lines):
            return ""
        if first == last:
            line = self.lines[first - 1]
            if line.isascii():
                return line[col:end_col]
            return line.encode("utf-8")[col:end_col].decode("utf-8", "replace")
        head = self.lines[first - 1].encode("utf-8")[col:].decode("utf-8", "replace")
        tail = self.lines[last - 1].encode("utf-8")[:end_col].decode("utf-8", "replace")
        return "\n".join([head, *self.lines[first : last - 1], tail])

    # -- names and values -------------------------------------------------------------
    def qualified(self, node: ast.AST) -> str | None:
        return self.names.qualified_name(node)

    def follow(self, node: ast.expr, *, defaults: bool = False) -> Followed:
        """What a name or `self.attr` stands for, through local bindings (`names.follow`)."""
        return self.names.follow(node, defaults=defaults)

    def note(self, followed: Followed) -> str:
        """` (`mp` is `"fp16"`, line 3)` after a value reached through bindings; "" otherwise.
        The one place that words a followed binding in a message."""
        if not followed.via:
            return ""
        value = followed.value
        shown = self.source(value) or dotted_text(value) or ""
        return binding_note(followed.via[0][0], shown, value.lineno)

    def constant(self, node: ast.expr) -> tuple[bool, object, str]:
        """(is a literal, its value, binding note) for a value, through local bindings."""
        followed = self.follow(node)
        if isinstance(followed.value, ast.Constant):
            return True, followed.value.value, self.note(followed)
        return False, None, ""

    def resolve(self, node: ast.expr | None, *, defaults: bool = False) -> Value:
        """An argument as typed facts: what it is written as, what it resolves to, and how
        (through the same `follow()` the verdicts use; parameter defaults when asked)."""
        if node is None:
            return ABSENT_VALUE
        source = self.source(node) or dotted_text(node) or ""
        followed = self.follow(node, defaults=defaults)
        value = followed.value
        via = tuple(Hop(name, binding.line, binding.how) for name, binding in followed.via)
        text = (self.source(value) or dotted_text(value) or "") if followed.via else source
        line = getattr(value, "lineno", None)
        if not followed.known:
            return Value(source, UNKNOWN, None, text, line, via)
        if isinstance(value, ast.Constant):
            literal = value.value
            if isinstance(literal, float) and not math.isfinite(literal):
                literal = None
            elif not isinstance(literal, (str, int, float, bool)) and literal is not None:
                literal = None  # bytes, Ellipsis: see `text`
            return Value(source, LITERAL, literal, text, line, via)
        if (
            isinstance(value, ast.UnaryOp)
            and isinstance(value.op, ast.USub)
            and isinstance(value.operand, ast.Constant)
        ):
            operand = value.operand.value
            if isinstance(operand, (int, float)) and not isinstance(operand, bool):
                return Value(source, LITERAL, -operand, text, line, via)
        qualified = self.qualified(value)
        if qualified is not None:
            return Value(source, NAME, qualified, text, line, via)
        if isinstance(value, ast.Call):
            callee = self.qualified(value.func) or dotted_text(value.func)
            return Value(source, CALL, callee, text, line, via)
        if isinstance(value, (ast.Name, ast.Attribute)):
            return Value(source, UNKNOWN, None, text, line, via)
        return Value(source, EXPRESSION, None, text, line, via)

    def calls_any(self, node: ast.AST, names: frozenset[str]) -> bool:
        """Does an expression call one of `names`, directly or through a local it reads
        (`major, _ = torch.cuda.get_device_capability(); if major < 8: ...`)?"""
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                followed = self.follow(sub)
                if followed.via and self._calls_directly(followed.value, names):
                    return True
            elif isinstance(sub, ast.Call) and self.qualified(sub.func) in names:
                return True
        return False

    def _calls_directly(self, node: ast.AST, names: frozenset[str]) -> bool:
        return any(isinstance(n, ast.Call) and self.qualified(n.func) in names for n in ast.walk(node))

    def dtype_attr(self, node: ast.AST) -> tuple[str, str] | None:
        """(spelling, canonical dtype) for `torch.float16`-like expressions, via aliases."""
        qualified = self.qualified(node)
        if qualified is not None and qualified in tables.DTYPE_ATTRS:
            return qualified, tables.DTYPE_ATTRS[qualified]
        return None

    def dtype_value(self, node: ast.AST, strings: bool = False) -> str | None:
        """Canonical dtype chosen by an expression, through local bindings.

        Strings count only when `strings` is set (where the context takes a dtype
        string: a dtype keyword, getattr(torch, ...)).
        """
        value = self.names.follow(node).value if isinstance(node, (ast.Name, ast.Attribute)) else node
        attr = self.dtype_attr(value)
        if attr is not None:
            return attr[1]
        if strings:
            text = string_value(value)  # type: ignore[arg-type]
            if text is not None:
                return tables.DTYPE_STRINGS.get(text)
        return None

    def is_teacher_name(self, node: ast.AST | None) -> bool:
        """Does an expression name a teacher (`teacher`, `self.teacher_model`, `teacher.lm`)?"""
        while node is not None:
            if isinstance(node, ast.Name):
                return bool(self.teacher_regex.search(node.id))
            if isinstance(node, ast.Attribute):
                if self.teacher_regex.search(node.attr):
                    return True
                node = node.value
            elif isinstance(node, ast.Call):
                node = node.func
            elif isinstance(node, ast.Subscript):
                node = node.value
            else:
                return False
        return False

    # -- what kind of use -------------------------------------------------------------
    def is_inspection(self, node: ast.AST) -> bool:
        """True where a dtype is inspected, not chosen: comparisons, isinstance checks,
        match patterns, annotations, mapping keys (RULES.md BLY101 "does not flag")."""
        child = node
        for parent in reversed(self.stack):
            if isinstance(parent, ast.Compare):
                return True
            if isinstance(parent, ast.Call):
                return (
                    child is not parent.func
                    and isinstance(parent.func, ast.Name)
                    and parent.func.id in _INSPECTING_CALLS
                )
            if isinstance(parent, (ast.arg, ast.AnnAssign)) and getattr(parent, "annotation", None) is child:
                return True
            if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) and parent.returns is child:
                return True
            if isinstance(parent, ast.Dict) and any(k is child for k in parent.keys):
                return True
            if isinstance(parent, ast.pattern):
                return True
            if isinstance(parent, ast.Subscript) and parent.slice is child:
                return True  # SIZES[torch.float16] looks a dtype up
            if isinstance(parent, (ast.stmt, ast.Lambda, ast.keyword)):
                return False
            child = parent
        return False
