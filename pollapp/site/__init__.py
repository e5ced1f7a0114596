"""The readers' site: the poll page with its ballot, the results, the downloads,
readers' suggestions, shared rankings."""

from . import previews, refusals, shared, suggestions  # noqa: F401  # their routes and handlers join the blueprint
from .views import bp

__all__ = ["bp"]
