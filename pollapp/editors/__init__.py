"""The editors' desk: logging in and out, every poll at a glance, opening,
closing, making and editing polls, counting held ballots, readers' suggestions and each poll's trail."""

from . import making, queue  # noqa: F401  # their routes join the blueprint
from .views import bp

__all__ = ["bp"]
