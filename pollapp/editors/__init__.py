"""The editors' desk: logging in and out, every poll at a glance, opening,
closing, counting held ballots, readers' suggestions and each poll's trail."""

from . import queue  # noqa: F401  # its routes join the blueprint
from .views import bp

__all__ = ["bp"]
