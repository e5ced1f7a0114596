"""oEmbed: how a blog (WordPress, or any consumer) learns to show a poll's embed from its URL."""

from .views import bp

__all__ = ["bp"]
