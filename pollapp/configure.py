"""Settings for a new app, in order: the defaults in ``config.py``, then
``instance/config.py`` (if there is one), then ``POLLAPP_*`` environment
variables, then the mapping a test passes. Development gets a secret key and
a SQLite database in the instance folder without being asked."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

PACKAGE_DIR = Path(__file__).parent


def templates_folder() -> str:
    """Where the templates are: the package's own ``templates`` in a wheel
    (the build puts them there), the repository's top-level folder in a checkout."""
    bundled = PACKAGE_DIR / "templates"
    return str(bundled if bundled.is_dir() else PACKAGE_DIR.parent / "templates")


def load(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    app.config.from_object("pollapp.config")
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("POLLAPP")
    if test_config is not None:
        app.config.from_mapping(test_config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        database = Path(app.instance_path) / "pollapp.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = bool(app.config["PRODUCTION"])
    if app.config["PRODUCTION"]:
        _refuse_unsafe_production(app.config)


MIN_SECRET_KEY_LENGTH = 32


def _refuse_unsafe_production(config: Mapping[str, Any]) -> None:
    """Production starts only with the settings that make it safe in public."""
    if len(str(config["SECRET_KEY"])) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(
            f"pollapp refuses to start in production with a secret key shorter than {MIN_SECRET_KEY_LENGTH} "
            "characters: set POLLAPP_SECRET_KEY to the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`."
        )
    if not config.get("TRUSTED_HOSTS"):
        raise RuntimeError(
            "pollapp refuses to start in production without the host names it serves: set "
            """POLLAPP_TRUSTED_HOSTS='["poll.example.org"]' (a JSON list), so that a request for any """
            "other Host is refused."
        )
    if str(config["RATELIMIT_STORAGE_URI"]).startswith("memory://") and not config["RATELIMIT_ONE_PROCESS"]:
        raise RuntimeError(
            "pollapp refuses to start in production with rate limits kept in each process's memory: "
            "with several workers every one would allow the whole limit. Set "
            "POLLAPP_RATELIMIT_STORAGE_URI=redis://..., or POLLAPP_RATELIMIT_ONE_PROCESS=true "
            "if exactly one process serves the app."
        )


def _secret_key(app: Flask) -> str:
    if app.config["PRODUCTION"]:
        raise RuntimeError(
            "pollapp refuses to start in production without a secret key: "
            "set POLLAPP_SECRET_KEY to a long random string (for example the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`)."
        )
    path = Path(app.instance_path) / "secret_key"
    try:
        # Exclusive create: of several workers starting at once, one writes the
        # key and the others read it; nobody else may read it at any moment.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32))
    for _ in range(50):  # another worker may be between creating and writing it
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: delete it and start again, or set POLLAPP_SECRET_KEY.")
