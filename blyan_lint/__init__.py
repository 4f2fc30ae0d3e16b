"""blyan-lint: keep every model on BF16, as Blyan's precision policy requires."""

__version__ = "0.2.0"
