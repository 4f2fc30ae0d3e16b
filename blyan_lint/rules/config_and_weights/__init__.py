"""BLY5xx: configuration and weight files (policy: "Blockchain Weights: BF16").

The readers (`blyan_lint.readers`) turn each file into data: a config's leaves under known
precision keys, a checkpoint's floating tensors by dtype. These rules judge that data, from
the meanings in `data/config_keys.py`; the pipeline (`file_checks`) does the rest, as the
engine does for Python: scope, precedence, `# noqa`, order.
"""

from __future__ import annotations


def __getattr__(name: str) -> tuple[type, ...]:
    """`RULES`, this group's rule classes in catalog order, imported when first asked for:
    a check imports a rule's module only for a file that can need it (`registry.RuleSet`)."""
    if name != "RULES":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .config_non_bf16 import ConfigNonBf16
    from .weights_not_bf16 import WeightsNotBf16

    return (ConfigNonBf16, WeightsNotBf16)
