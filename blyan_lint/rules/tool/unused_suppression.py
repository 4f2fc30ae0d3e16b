"""BLY001 unused-suppression: a `# noqa` that suppresses nothing (off by default)."""

from __future__ import annotations

from ..base import Rule


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
