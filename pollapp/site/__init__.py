"""The readers' site: the poll page with its ballot, the results, the downloads, readers' suggestions."""

from . import suggestions  # noqa: F401  # its routes join the blueprint
from .views import bp

__all__ = ["bp"]
