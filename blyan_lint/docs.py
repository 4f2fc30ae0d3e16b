"""Rule pages, generated from the rule classes (docs/rules/*.md and `blyan-lint rule`)."""

from __future__ import annotations

from . import registry
from .rules.base import FileRule, Rule


def _lang(path: str) -> str:
    suffix = path.rsplit(".", 1)[-1]
    return {"py": "python", "yaml": "yaml", "yml": "yaml", "json": "json", "toml": "toml"}.get(suffix, "text")


def rule_markdown(cls: type[Rule] | type[FileRule]) -> str:
    scope = "student and teacher code" if cls.applies_to_teacher else "student code only (not teacher scope)"
    lang = _lang(cls.example_path)
    parts = [
        f"# {cls.code} {cls.name}\n",
        f"{cls.summary}\n",
        "## Policy\n",
        f"> {cls.policy}\n",
        "## Why is this bad?\n",
        f"{cls.why}\n",
        f"## Example (`{cls.example_path}`)\n",
        f"```{lang}\n{cls.example.rstrip()}\n```\n",
        "## Use instead\n",
        f"```{lang}\n{cls.fixed.rstrip()}\n```\n",
        "## Fix safety\n",
        f"{cls.fix_safety}\n",
        "## Scope\n",
        f"Applies to {scope}.\n",
    ]
    if cls.supersedes:
        parts.append(f"Reported instead of {', '.join(sorted(cls.supersedes))} for the same code.\n")
    return "\n".join(parts)


def index_markdown() -> str:
    rows = [
        "# blyan-lint rules\n",
        "Generated from the rule definitions by `python -m blyan_lint.docs`; do not edit.\n",
    ]
    rows.append("| code | name | what it flags | teacher scope |")
    rows.append("|---|---|---|---|")
    for code, cls in registry.all_rules().items():
        teacher = "yes" if cls.applies_to_teacher else "no"
        summary = cls.summary.replace("|", "\\|")
        rows.append(f"| [{code}]({code}.md) | {cls.name} | {summary} | {teacher} |")
    return "\n".join(rows) + "\n"


def generated_pages() -> dict[str, str]:
    pages = {f"{code}.md": rule_markdown(cls) for code, cls in registry.all_rules().items()}
    pages["README.md"] = index_markdown()
    return pages


def write(directory: str) -> None:
    import os

    os.makedirs(directory, exist_ok=True)
    for name, text in generated_pages().items():
        with open(os.path.join(directory, name), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)


if __name__ == "__main__":
    import sys

    write(sys.argv[1] if len(sys.argv) > 1 else "docs/rules")
