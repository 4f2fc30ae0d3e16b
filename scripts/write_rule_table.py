"""Rewrite blyan_lint/rule_table.py from the rule classes (after adding a rule or changing
what one watches): `python scripts/write_rule_table.py`."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from blyan_lint import registry  # noqa: E402  (after the path is set)

if __name__ == "__main__":
    target = ROOT / "blyan_lint" / "rule_table.py"
    target.write_text(registry.table_source(), encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}")
