"""(being written)"""

from __future__ import annotations

from .base import Rule

RULES: tuple[type[Rule], ...] = ()
