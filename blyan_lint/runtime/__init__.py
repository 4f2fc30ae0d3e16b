"""The runtime half: load the models the static findings point at and observe them.

Everything here imports torch/transformers lazily, inside functions: importing this
package costs nothing and the static checks never import it at all.
"""

from .guard import PolicyViolation, require_policy

__all__ = ["PolicyViolation", "require_policy"]
