"""`blyan-lint server`: a Language Server over stdio (pygls + lsprotocol, the `[lsp]` extra).

Diagnostics are exactly the CLI's findings: each open document's text goes through
`api.check_file` under its own path, so the nearest `[tool.blyan-lint]`, excludes,
per-file-ignores, teacher scope and noqa all apply as in `blyan-lint check
--force-exclude`. They are published on open, change and save, for Python files and for
notebook documents (the code cells checked together, each cell's findings on that cell). Code actions: a quick fix
for every finding with a safe fix, and "fix all" (`source.fixAll.blyan-lint`), which
applies the safe fixes exactly as `--fix` does (re-checked, every pass verified).
Positions are converted to the encoding the client negotiated (UTF-16 by default).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from . import __version__
from .api import Overrides, check_file, rules_for, settings_for
from .config import ConfigError, clear_caches
from .discovery import excluded_with_parents
from .findings import Edit, Finding
from .fixes.apply import FixError, add_imports, apply_edits, fix_text, wanted
from .kinds import file_kind
from .links import rule_url

FIX_ALL = types.CodeActionKind.SourceFixAll + ".blyan-lint"
CONFIG_NAMES = ("pyproject.toml", "blyan-lint.toml", ".blyan-lint.toml")

# Notebooks open in editors as notebook documents, one text document per cell.
NOTEBOOK_SYNC = types.NotebookDocumentSyncOptions(
    notebook_selector=[types.NotebookDocumentFilterWithCells(cells=[types.NotebookCellLanguage(language="python")])],
    save=True,
)
server = LanguageServer("blyan-lint", __version__, notebook_document_sync=NOTEBOOK_SYNC)

_Handler = TypeVar("_Handler", bound=Callable[..., Any])


def feature(*args: Any) -> Callable[[_Handler], _Handler]:
    """`server.feature`, typed: pygls is untyped here (an optional extra), and a handler it
    registers stays the function it was."""
    return cast("Callable[[_Handler], _Handler]", server.feature(*args))


def _path(uri: str) -> str | None:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else None


def _findings(doc: TextDocument) -> list[Finding]:
    path = _path(doc.uri)
    if path is None or file_kind(path) not in ("python", None) or excluded_with_parents(os.path.abspath(path)):
        return []  # a notebook's cells are checked together (publish_notebook); configs and weights by the CLI
    try:
        return check_file(path, Overrides(), doc.source.encode("utf-8", "surrogatepass"))
    except ConfigError as exc:
        server.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"blyan-lint: {exc}"))
        return []


def _range(doc: TextDocument, start_line: int, start_col: int, end_line: int, end_col: int) -> types.Range:
    lines = doc.lines

    def clamp(line: int, col: int) -> ServerTextPosition:
        line = min(max(line - 1, 0), max(len(lines) - 1, 0)) if lines else 0
        text = lines[line].rstrip("\r\n") if lines else ""
        return ServerTextPosition(line, min(max(col - 1, 0), len(text)))

    return doc.range_to_client_units(ServerTextRange(clamp(start_line, start_col), clamp(end_line, end_col)))


def _diagnostic(doc: TextDocument, finding: Finding) -> types.Diagnostic:
    return types.Diagnostic(
        range=_range(doc, finding.start.line, finding.start.col, finding.end.line, finding.end.col),
        message=finding.message,
        severity=types.DiagnosticSeverity.Error,
        code=finding.code,
        code_description=types.CodeDescription(href=rule_url(finding.code)),
        source="blyan-lint",
        tags=[types.DiagnosticTag.Unnecessary] if finding.code == "BLY001" else None,
    )


def publish(doc: TextDocument) -> None:
    diagnostics = [_diagnostic(doc, f) for f in _findings(doc)]
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=doc.uri, diagnostics=diagnostics, version=doc.version)
    )


@feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    publish(ls.workspace.get_text_document(params.text_document.uri))


@feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: LanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    publish(ls.workspace.get_text_document(params.text_document.uri))


@feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: LanguageServer, params: types.DidSaveTextDocumentParams) -> None:
    path = _path(params.text_document.uri) or ""
    if os.path.basename(path) in CONFIG_NAMES:  # settings changed: every open document may change verdict
        clear_caches()
        for doc in list(ls.workspace.text_documents.values()):
            publish(doc)
        return
    publish(ls.workspace.get_text_document(params.text_document.uri))


@feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: LanguageServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


def publish_notebook(ls: LanguageServer, notebook: types.NotebookDocument) -> None:
    """Check the notebook's code cells as one module (as `blyan-lint check` checks the .ipynb)
    and publish each cell's findings on that cell's document."""
    from .notebook_cells import Cell, join
    from .notebooks import lint_joined, to_cells

    path = _path(notebook.uri)
    code_cells = [(n, c) for n, c in enumerate(notebook.cells, 1) if c.kind == types.NotebookCellKind.Code]
    by_cell: dict[int, list[Finding]] = {n: [] for n, _ in code_cells}
    if path is not None and not excluded_with_parents(os.path.abspath(path)):
        cells = [Cell(n, ls.workspace.get_text_document(c.document).source, True) for n, c in code_cells]
        joined = join(cells)
        try:
            settings = settings_for(path, Overrides())
            found = lint_joined(path, joined.text, settings, rules_for(path, Overrides()), True)
        except ConfigError as exc:
            server.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"blyan-lint: {exc}"))
            found = []
        for finding in found:
            mapped = to_cells(joined, finding)
            by_cell.setdefault(mapped.cell or 0, []).append(mapped)
    for number, cell in code_cells:
        doc = ls.workspace.get_text_document(cell.document)
        diagnostics = [_diagnostic(doc, f) for f in by_cell.get(number, [])]
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=cell.document, diagnostics=diagnostics))


@feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
def notebook_open(ls: LanguageServer, params: types.DidOpenNotebookDocumentParams) -> None:
    _publish_notebook_at(ls, params.notebook_document.uri)


@feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
def notebook_change(ls: LanguageServer, params: types.DidChangeNotebookDocumentParams) -> None:
    _publish_notebook_at(ls, params.notebook_document.uri)


@feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
def notebook_save(ls: LanguageServer, params: types.DidSaveNotebookDocumentParams) -> None:
    _publish_notebook_at(ls, params.notebook_document.uri)


def _publish_notebook_at(ls: LanguageServer, uri: str) -> None:
    notebook = ls.workspace.get_notebook_document(notebook_uri=uri)
    if notebook is not None:
        publish_notebook(ls, notebook)


def _minimal_edit(doc: TextDocument, old: str, new: str) -> types.TextEdit:
    """One edit covering only what changed between two texts (the cursor stays put elsewhere)."""
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old, end_new = end_old - 1, end_new - 1
    first, last = doc.server_position_at_offset(start), doc.server_position_at_offset(end_old)
    client = doc.range_to_client_units(ServerTextRange(first, last))
    return types.TextEdit(range=client, new_text=new[start:end_new])


def _workspace_edit(doc: TextDocument, new: str, title: str, kind: str) -> types.CodeAction:
    edit = _minimal_edit(doc, doc.source, new)
    change = types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version),
        edits=[edit],
    )
    return types.CodeAction(title=title, kind=kind, edit=types.WorkspaceEdit(document_changes=[change]))


def _fixed_one(text: str, finding: Finding) -> str:
    edits: list[Edit] = list(finding.fix.edits) if finding.fix else []
    return add_imports(apply_edits(text, edits), sorted(finding.fix.imports) if finding.fix else [])


def _fix_all(doc: TextDocument, findings: list[Finding]) -> str | None:
    path = _path(doc.uri) or ""
    try:
        result = fix_text(doc.source, lambda text: check_file(path, Overrides(), text.encode("utf-8")), False, findings)
    except FixError:
        return None
    return result.text if result.changed else None


def _overlaps(finding: Finding, wanted_range: types.Range, doc: TextDocument) -> bool:
    found = _range(doc, finding.start.line, finding.start.col, finding.end.line, finding.end.col)
    before = (found.end.line, found.end.character) < (wanted_range.start.line, wanted_range.start.character)
    after = (found.start.line, found.start.character) > (wanted_range.end.line, wanted_range.end.character)
    return not (before or after)


@feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=False),
)
def code_action(ls: LanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    doc = ls.workspace.get_text_document(params.text_document.uri)
    findings = _findings(doc)
    only = params.context.only
    actions: list[types.CodeAction] = []
    if not only or types.CodeActionKind.QuickFix in only:
        for finding in findings:
            if wanted(finding, unsafe=False) and _overlaps(finding, params.range, doc):
                title = f"{finding.fix.title} ({finding.code})"  # type: ignore[union-attr]
                action = _workspace_edit(doc, _fixed_one(doc.source, finding), title, types.CodeActionKind.QuickFix)
                action.diagnostics = [_diagnostic(doc, finding)]
                action.is_preferred = True
                actions.append(action)
    if not only or any(
        kind in (FIX_ALL, types.CodeActionKind.SourceFixAll, types.CodeActionKind.Source) for kind in only
    ):
        fixed = _fix_all(doc, findings) if any(wanted(f, unsafe=False) for f in findings) else None
        if fixed is not None:
            actions.append(_workspace_edit(doc, fixed, "blyan-lint: fix all safe fixes", FIX_ALL))
    return actions


def main() -> int:
    server.start_io()
    return 0
