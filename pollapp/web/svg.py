"""Drawing SVG as an element tree: the serialiser escapes every text and
attribute, so nothing an editor or reader typed can become markup. Shared by
the results charts and the history chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from markupsafe import Markup

SVG_NAMESPACE = "http://www.w3.org/2000/svg"


def number(value: float) -> str:
    """A coordinate written short: 12, 12.5, 12.33."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def element(parent: ET.Element, tag: str, text: str | None = None, **attrs: object) -> ET.Element:
    """A child element; ``class_`` sets ``class`` and underscores become hyphens."""
    child = ET.SubElement(parent, tag)
    for name, value in attrs.items():
        if value is None:
            continue
        name = name.rstrip("_").replace("_", "-")
        child.set(name, number(value) if isinstance(value, float) else str(value))
    if text is not None:
        child.text = text
    return child


def picture(name: str, width: float, height: float, title: str, desc: str) -> ET.Element:
    """An ``<svg>`` root of class ``chart chart-<name>``, labelled by its title and description."""
    root = ET.Element("svg")
    root.set("xmlns", SVG_NAMESPACE)
    root.set("class", f"chart chart-{name}")
    root.set("viewBox", f"0 0 {number(width)} {number(height)}")
    root.set("width", number(width))
    root.set("height", number(height))
    root.set("role", "img")
    root.set("aria-labelledby", f"{name}-title {name}-desc")
    element(root, "title", title, id=f"{name}-title")
    element(root, "desc", desc, id=f"{name}-desc")
    return root


def markup(root: ET.Element) -> Markup:
    """The drawing, ready to place in a page."""
    return Markup(ET.tostring(root, encoding="unicode"))
