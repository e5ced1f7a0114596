"""The readers' site: the poll page with its ballot, the results, the downloads."""

from .views import bp

__all__ = ["bp"]
