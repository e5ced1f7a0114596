"""The embed: the poll's ballot in a frame on another site, and its ballot endpoint."""

from .views import bp

__all__ = ["bp"]
