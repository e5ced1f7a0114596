"""The editors' desk: logging in and out, every poll at a glance, opening,
closing, and counting held ballots."""

from .views import bp

__all__ = ["bp"]
