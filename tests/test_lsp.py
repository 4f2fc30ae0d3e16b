"""`blyan-lint server` driven over stdio with real LSP messages, as an editor does.

initialize -> initialized -> didOpen -> publishDiagnostics (the CLI's findings) ->
codeAction (quick fix, fix all) -> didChange with the fix applied -> no diagnostics ->
shutdown -> exit.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("pygls")

GUARD = 'if torch.cuda.get_device_capability()[0] < 8:\n    raise RuntimeError("BF16 needs compute capability 8.0")\n'
# The emoji before the dtype is two UTF-16 code units and one character: columns must convert.
SOURCE = (
    "import torch\n" + GUARD + 's = "🙂"; x = torch.zeros(2, dtype=torch.float16)\n'
    "y = torch.zeros(2, dtype=torch.float16)  # noqa: BLY101\n"
    "from torch.cuda.amp import GradScaler\nscaler = GradScaler()\n"
)


class Client:
    """A minimal LSP client: Content-Length framed JSON-RPC over the server's stdin/stdout."""

    def __init__(self, cwd: Path) -> None:
        cmd = [sys.executable, "-m", "blyan_lint", "server"]
        self.proc = subprocess.Popen(
            cmd, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.messages: queue.Queue[dict] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                key, _, value = line.decode().partition(":")
                headers[key.strip().lower()] = value.strip()
            self.messages.put(json.loads(out.read(int(headers["content-length"]))))

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def request(self, method: str, params: dict) -> dict:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == self.next_id and "method" not in m)

    def notify(self, method: str, params: dict) -> None:
        self.send({"method": method, "params": params})

    def wait(self, match, timeout: float = 30) -> dict:  # type: ignore[no-untyped-def]
        while True:
            try:
                message = self.messages.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError("the server did not answer") from None
            if match(message):
                return message

    def diagnostics(self, uri: str) -> list[dict]:
        return self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri)[
            "params"
        ]["diagnostics"]


@pytest.fixture
def client(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.blyan-lint]\nextend-exclude = ["generated"]\n')
    c = Client(tmp_path)
    init = c.request("initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}})
    assert init["result"]["serverInfo"]["name"] == "blyan-lint"
    assert init["result"]["capabilities"]["codeActionProvider"]
    c.notify("initialized", {})
    yield c
    c.request("shutdown", {})
    c.notify("exit", {})
    assert c.proc.wait(timeout=10) == 0


def open_document(client: Client, path: Path, text: str) -> list[dict]:
    item = {"uri": path.as_uri(), "languageId": "python", "version": 1, "text": text}
    client.notify("textDocument/didOpen", {"textDocument": item})
    return client.diagnostics(path.as_uri())


def apply(text: str, edit: dict) -> str:
    """Apply one LSP TextEdit (UTF-16 positions) to a text."""
    lines = text.splitlines(keepends=True)

    def offset(pos: dict) -> int:
        before = "".join(lines[: pos["line"]])
        line = lines[pos["line"]] if pos["line"] < len(lines) else ""
        units = line.encode("utf-16-le")[: 2 * pos["character"]].decode("utf-16-le")
        return len(before) + len(units)

    start, end = offset(edit["range"]["start"]), offset(edit["range"]["end"])
    return text[:start] + edit["newText"] + text[end:]


def test_diagnostics_match_the_cli_and_quick_fixes_apply(client, tmp_path):
    path = tmp_path / "model.py"
    path.write_text(SOURCE, encoding="utf-8")
    diagnostics = open_document(client, path, SOURCE)
    cli = subprocess.run(
        [sys.executable, "-m", "blyan_lint", "check", "--no-cache", "--output-format", "json", "model.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    expected = [(f["code"], f["location"]["row"] - 1) for f in json.loads(cli.stdout)["findings"]]
    assert [(d["code"], d["range"]["start"]["line"]) for d in diagnostics] == expected == [("BLY101", 3), ("BLY202", 6)]
    dtype = diagnostics[0]
    assert dtype["range"]["start"]["character"] == SOURCE.splitlines()[3].index("torch.float16") + 1, "UTF-16 units"
    assert dtype["source"] == "blyan-lint" and dtype["codeDescription"]["href"].endswith("/docs/rules/BLY101.md")

    uri = path.as_uri()
    context = {"diagnostics": [dtype]}
    actions = client.request(
        "textDocument/codeAction", {"textDocument": {"uri": uri}, "range": dtype["range"], "context": context}
    )["result"]
    quick = [a for a in actions if a["kind"] == "quickfix"]
    assert [a["title"] for a in quick] == ["Use `bfloat16` (BLY101)"]
    edit = quick[0]["edit"]["documentChanges"][0]["edits"][0]
    fixed = apply(SOURCE, edit)
    assert fixed == SOURCE.replace(
        "x = torch.zeros(2, dtype=torch.float16)", "x = torch.zeros(2, dtype=torch.bfloat16)"
    )

    scaler = diagnostics[1]
    none = client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri},
            "range": scaler["range"],
            "context": {"diagnostics": [scaler], "only": ["quickfix"]},
        },
    )["result"]
    assert none == [] or none is None, "an unsafe fix is never offered as a quick fix"

    client.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]},
    )
    assert [d["code"] for d in client.diagnostics(uri)] == ["BLY202"]


def test_fix_all_applies_every_safe_fix_like_the_cli(client, tmp_path):
    path = tmp_path / "many.py"
    text = "import torch\n" + GUARD + "a = torch.zeros(2).half()\nb = torch.ones(2, dtype=torch.float16)\n"
    path.write_text(text)
    open_document(client, path, text)
    whole = {"start": {"line": 0, "character": 0}, "end": {"line": 6, "character": 0}}
    actions = client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": path.as_uri()},
            "range": whole,
            "context": {"diagnostics": [], "only": ["source.fixAll"]},
        },
    )["result"]
    assert [a["kind"] for a in actions] == ["source.fixAll.blyan-lint"]
    fixed = apply(text, actions[0]["edit"]["documentChanges"][0]["edits"][0])
    subprocess.run([sys.executable, "-m", "blyan_lint", "check", "--no-cache", "--fix", "many.py"], cwd=tmp_path)
    assert fixed == path.read_text(), "fix all in the editor is --fix"


def test_excluded_files_and_configs_changes(client, tmp_path):
    (tmp_path / "generated").mkdir()
    path = tmp_path / "generated" / "g.py"
    assert open_document(client, path, "import torch\nx = torch.float16\n") == [], "extend-exclude applies"
    other = tmp_path / "m.py"
    assert [d["code"] for d in open_document(client, other, "import torch\nx = torch.float16\n")] == ["BLY101"]
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.blyan-lint]\nignore = ["BLY101"]\n')
    client.notify("textDocument/didSave", {"textDocument": {"uri": config.as_uri()}})
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": config.as_uri(), "languageId": "toml", "version": 1, "text": config.read_text()}},
    )
    client.notify("textDocument/didSave", {"textDocument": {"uri": config.as_uri()}})
    assert client.wait(
        lambda m: (
            m.get("method") == "textDocument/publishDiagnostics"
            and m["params"]["uri"] == other.as_uri()
            and m["params"]["diagnostics"] == []
        )
    ), "a saved config re-checks the open documents"


def test_notebook_documents_get_diagnostics_per_cell(client, tmp_path):
    uri = (tmp_path / "train.ipynb").as_uri()
    sources = ["import torch\n!nvidia-smi", "# notes", "x = torch.zeros(2, dtype=torch.float16)"]
    kinds = [2, 1, 2]  # code, markup, code
    cells = [{"kind": k, "document": f"vscode-notebook-cell:{uri}#c{i}"} for i, k in enumerate(kinds)]
    documents = [
        {"uri": c["document"], "languageId": "python" if k == 2 else "markdown", "version": 1, "text": text}
        for c, k, text in zip(cells, kinds, sources, strict=True)
    ]
    notebook = {"uri": uri, "notebookType": "jupyter-notebook", "version": 1, "cells": cells}
    client.notify("notebookDocument/didOpen", {"notebookDocument": notebook, "cellTextDocuments": documents})
    assert client.diagnostics(cells[0]["document"]) == [], "the shell escape is skipped, not a parse error"
    third = client.diagnostics(cells[2]["document"])
    assert [(d["code"], d["range"]["start"]) for d in third] == [("BLY101", {"line": 0, "character": 25})]
