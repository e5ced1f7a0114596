"""The package's layout: which module may import which.

Imports are read from the source with ``ast``, so an import inside a function
or under ``if TYPE_CHECKING:`` counts as much as one at the top of a module.
The layers, one direction only: blueprints (one package per audience) over
the shared web layer, over the domain packages (polls <- ballots <- results,
the catalogue, the editors' accounts and readers' suggestions over polls), over storage and the
pure core. Alembic's ``pollapp/migrations`` is left out.
"""

from __future__ import annotations

import ast
import functools
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pollapp"
LEFT_OUT = {"migrations"}


class Import(NamedTuple):
    module: str  # the importing module
    path: str  # its file, relative to the checkout
    line: int
    target: str  # the module imported, absolute
    statement: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.module} imports {self.target} (`{self.statement}`)"


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def named(alias: ast.alias) -> str:
    return f"{alias.name} as {alias.asname}" if alias.asname else alias.name


def absolute(node: ast.ImportFrom, module: str, path: str, is_package: bool) -> str:
    """The module ``from X import ...`` names by ``X``, made absolute."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > len(package):
        raise ValueError(f"{path}:{node.lineno}: a relative import reaches above the package")
    return ".".join(package[: len(package) - node.level + 1] + [node.module or ""]).rstrip(".")


def read_imports(source: str, module: str, path: str, is_package: bool, known: set[str]) -> list[Import]:
    """The imports of one module, relative ones made absolute.

    ``from . import x`` names the module ``x`` when there is one (``known``),
    and its package otherwise.
    """
    found = []
    for node in ast.walk(ast.parse(source, filename=path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(module, path, node.lineno, alias.name, f"import {named(alias)}"))
        elif isinstance(node, ast.ImportFrom):
            base = absolute(node, module, path, is_package)
            written = "." * node.level + (node.module or "")
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                target = submodule if submodule in known else base
                found.append(
                    Import(module, path, node.lineno, target, f"from {written} import {named(alias)}")
                )
    return found


@functools.cache
def module_files() -> dict[str, Path]:
    """Every module of the package by its dotted name, Alembic's left out."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if len(parts) > 2 and parts[1] in LEFT_OUT:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


@functools.cache
def all_imports() -> tuple[Import, ...]:
    modules = module_files()
    known = set(modules)
    found: list[Import] = []
    for module, path in modules.items():
        found += read_imports(
            path.read_text(encoding="utf-8"),
            module,
            str(path.relative_to(ROOT)),
            path.name == "__init__.py",
            known,
        )
    return tuple(found)


def binds_a_blueprint(module: str, seen: frozenset[str] = frozenset()) -> bool:
    """Whether ``module`` binds ``bp`` to a Blueprint at its top level: made
    there, or imported from a module that does."""
    path = module_files().get(module)
    if path is None or module in seen:
        return False
    for node in ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            call = node.value
            if (
                any(isinstance(target, ast.Name) and target.id == "bp" for target in targets)
                and isinstance(call, ast.Call)
                and getattr(call.func, "id", getattr(call.func, "attr", None)) == "Blueprint"
            ):
                return True
        if isinstance(node, ast.ImportFrom) and any(
            (alias.asname or alias.name) == "bp" for alias in node.names
        ):
            source = absolute(node, module, str(path), path.name == "__init__.py")
            if binds_a_blueprint(source, seen | {module}):
                return True
    return False


@functools.cache
def blueprint_packages() -> frozenset[str]:
    """The subpackages of pollapp whose ``__init__`` hands on a ``bp`` Blueprint.

    Read from the source, not imported: an import that breaks the layering
    often makes a cycle too, and the message should still be this file's.
    """
    return frozenset(
        init.parent.name
        for init in sorted(PACKAGE.glob("*/__init__.py"))
        if init.parent.name not in LEFT_OUT and binds_a_blueprint(f"pollapp.{init.parent.name}")
    )


# ---------------------------------------------------------------- the layers

APP = "app"  # pollapp itself (create_app) and configure
SETTINGS = "settings"  # config and extensions: plain defaults, extensions created unbound
BLUEPRINT = "blueprint"
DOMAIN = frozenset({"polls", "ballots", "results", "catalogue", "accounts", "suggestions"})
BENEATH_DOMAIN = frozenset({"core", SETTINGS, "storage"})

# Which layers each layer may use, besides itself. What two blueprints share
# lives in the web layer; the words for the core's codes are chosen where
# they are shown (web, blueprints, CLI), never in a domain package.
MAY_USE: dict[str, frozenset[str]] = {
    "core": frozenset(),
    SETTINGS: frozenset(),
    "words": frozenset({"core"}),
    "storage": frozenset({"core", SETTINGS}),
    "polls": BENEATH_DOMAIN,
    "ballots": BENEATH_DOMAIN | {"polls"},
    "results": BENEATH_DOMAIN | {"polls", "ballots"},
    "catalogue": BENEATH_DOMAIN | {"polls", "ballots"},
    "accounts": BENEATH_DOMAIN | {"polls"},
    "suggestions": BENEATH_DOMAIN | {"polls"},
    "web": BENEATH_DOMAIN | DOMAIN | {"words"},
    BLUEPRINT: BENEATH_DOMAIN | DOMAIN | {"words", "web"},
    "cli": BENEATH_DOMAIN | DOMAIN | {"words", "web", "testing", APP},
    "testing": BENEATH_DOMAIN | DOMAIN | {"words", "web", "cli", APP},
    APP: BENEATH_DOMAIN | DOMAIN | {"words", "web", BLUEPRINT, "cli", "testing"},
}

PLACES = {
    "configure": APP,
    "config": SETTINGS,
    "extensions": SETTINGS,
    **{name: name for name in ("core", "words", "storage", *DOMAIN, "web", "cli", "testing")},
}


def layer_of(module: str) -> str | None:
    """The layer a pollapp module belongs to; None for one in no layer."""
    parts = module.split(".")
    if len(parts) == 1:
        return APP
    if parts[1] in blueprint_packages():
        return BLUEPRINT
    return PLACES.get(parts[1])


def blueprint_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in blueprint_packages():
        return parts[1]
    return None


def described(module: str) -> str:
    """A module's layer in words: ``results``, or ``the site blueprint``."""
    blueprint = blueprint_of(module)
    return f"the {blueprint} blueprint" if blueprint else str(layer_of(module))


# ---------------------------------------------------------------- the reader


def test_the_reader_sees_the_package_imports():
    imports = all_imports()
    seen = {(found.module, found.target) for found in imports}
    assert ("pollapp.site.views", "pollapp.web.lookup") in seen
    assert ("pollapp.site.views", "pollapp.results.downloads") in seen  # from ..results import downloads
    assert ("pollapp", "pollapp.site") in seen  # inside create_app
    assert ("pollapp.core.ranking", "fractions") in seen
    assert ("pollapp.web.charts", "xml.etree.ElementTree") in seen
    assert len({found.module for found in imports}) > 30


def test_the_reader_makes_relative_imports_absolute():
    source = (
        "import a.b as c\n"
        "from .. import web, nothing\n"
        "from ..web.lookup import poll_or_404\n"
        "from . import forms\n"
        "def later():\n"
        "    from ..elsewhere import thing\n"
    )
    known = {"p", "p.site", "p.site.forms", "p.site.views", "p.web", "p.web.lookup"}
    found = read_imports(source, "p.site.views", "p/site/views.py", False, known)
    assert [(each.line, each.target, each.statement) for each in found] == [
        (1, "a.b", "import a.b as c"),
        (2, "p.web", "from .. import web"),
        (2, "p", "from .. import nothing"),
        (3, "p.web.lookup", "from ..web.lookup import poll_or_404"),
        (4, "p.site.forms", "from . import forms"),
        (6, "p.elsewhere", "from ..elsewhere import thing"),
    ]


def test_the_reader_refuses_a_relative_import_above_the_package():
    with pytest.raises(ValueError, match="p/site/views.py:1: a relative import reaches above the package"):
        read_imports("from ... import p\n", "p.site.views", "p/site/views.py", False, set())


def test_a_package_resolves_relative_imports_from_itself():
    found = read_imports("from .views import bp\n", "p.site", "p/site/__init__.py", True, {"p.site.views"})
    assert [each.target for each in found] == ["p.site.views"]


def test_the_blueprint_packages_are_found_by_what_they_hand_on():
    assert {"site", "api"} <= blueprint_packages()
    assert not {"web", "cli", "polls"} & blueprint_packages()
    assert not blueprint_packages() & set(PLACES)


# ---------------------------------------------------------------- the rules


def test_the_core_uses_only_the_standard_library_and_itself():
    problems = [
        f"{found}: the core may use the standard library and pollapp.core only"
        for found in all_imports()
        if in_package(found.module, "pollapp.core")
        and not in_package(found.target, "pollapp.core")
        and found.target.split(".")[0] not in sys.stdlib_module_names
    ]
    assert not problems, "\n".join(problems)


def test_no_blueprint_imports_another():
    problems = [
        f"{found}: what two blueprints share belongs in pollapp.web"
        for found in all_imports()
        if blueprint_of(found.module) not in (None, blueprint_of(found.target))
        and blueprint_of(found.target) is not None
    ]
    assert not problems, "\n".join(problems)


def test_every_module_and_every_pollapp_import_has_a_layer():
    problems = [
        f"{module} ({path.relative_to(ROOT)}) is in no layer: give it a place in PLACES"
        for module, path in module_files().items()
        if layer_of(module) is None
    ]
    problems += [
        f"{found}: the module imported is in no layer"
        for found in all_imports()
        if in_package(found.target, "pollapp") and layer_of(found.target) is None
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("layer", list(MAY_USE))
def test_each_layer_uses_only_the_layers_beneath_it(layer):
    allowed = MAY_USE[layer] | {layer}
    problems = [
        f"{found}: {layer} may use {', '.join(sorted(allowed))}, not {described(found.target)}"
        for found in all_imports()
        if in_package(found.target, "pollapp")
        and layer_of(found.module) == layer
        and layer_of(found.target) is not None
        and layer_of(found.target) not in allowed
    ]
    assert not problems, "\n".join(problems)
