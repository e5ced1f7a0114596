"""The JSON API and its OpenAPI description."""

from .views import bp

__all__ = ["bp"]
