"""The poll's link preview image (Open Graph and the oEmbed thumbnail), drawn by web/previews.py."""

from __future__ import annotations

from flask import Response

from ..web import previews
from .views import bp


@bp.get("/polls/<slug>/preview.png")
def preview_image(slug: str) -> Response:
    """Draw the poll's preview image: its title and current top three."""
    return previews.poll_preview(slug)
