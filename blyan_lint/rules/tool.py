"""BLY000: the tool's own finding, emitted by the engine when a file cannot be checked."""

from __future__ import annotations

from .base import FileRule, Rule


class UnreadableFile(FileRule):
    code = "BLY000"
    name = "unreadable-file"
    summary = "A file that cannot be read, decoded or parsed; the run exits 2."
    policy = "Enforcement: a policy gate fails closed. A file nobody could check is not a file that passed."
    why = (
        "A linter that skips what it cannot parse lets any breach through by a syntax error, an odd "
        "encoding or a file newer than the checker's Python. blyan-lint reports the file with the reason "
        "and exits 2, and still checks every other file."
    )
    example = "def load(path:\n    return open(path).read()\n"
    fixed = "def load(path):\n    return open(path).read()\n"
    fix_safety = "No automatic fix: make the file readable, or run blyan-lint under the Python it targets."


class UnusedSuppression(Rule):
    """Reported by the noqa stage (`blyan_lint.suppress`), which sees every finding of a line;
    this class carries the documentation and makes the code selectable."""

    code = "BLY001"
    name = "unused-suppression"
    summary = (
        "A `# noqa` naming a BLY code that suppresses nothing on its line, or a code that does not exist. "
        "Off by default: `--extend-select BLY001`."
    )
    policy = "Enforcement: an exception to the policy is recorded where it is needed, and nowhere else."
    why = (
        "A suppression outlives the code it excused: once the line is fixed, the stale `# noqa: BLY101` "
        "silently excuses the next FP16 dtype written there. Only BLY codes are judged (other tools' codes are "
        "theirs), and only codes checked in the file: a code deselected by `--select`, `ignore` or "
        "`per-file-ignores` cannot be judged and is left alone. A blanket `# noqa` is never unused: it does not "
        "silence BLY codes in the first place. Python files and notebooks; YAML/TOML comments are not judged."
    )
    example = "import torch\n\nx = torch.zeros(2, dtype=torch.bfloat16)  # noqa: BLY101\n"
    fixed = "import torch\n\nx = torch.zeros(2, dtype=torch.bfloat16)\n"
    fix_safety = (
        "Safe fix: removes the stale code from the comment (the whole `# noqa` when it was the only code; a "
        "reason after ` -- ` goes with it). Other codes on the line are kept."
    )
    applies_to_teacher = True
    triggers = ("noqa", "NOQA", "Noqa", "NoQA")


RULES = (UnreadableFile, UnusedSuppression)
