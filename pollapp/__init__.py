"""pollapp: a readers' poll beside an editorial ranked list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the app."""
    from . import api, cli, configure, editors, embed, oembed, site, web
    from .extensions import csrf, db, limiter, login_manager, migrate
    from .storage import engines

    app = Flask(__name__, instance_relative_config=True, template_folder=configure.templates_folder())
    configure.load(app, test_config)

    db.init_app(app)
    engines.configure_engine(app)
    migrate.init_app(app, db, directory=str(configure.PACKAGE_DIR / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    web.init_app(app)
    app.register_blueprint(site.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)
    app.register_blueprint(editors.bp)
    app.register_blueprint(embed.bp)
    csrf.exempt(embed.bp)  # it reads no cookie: see pollapp/embed/views.py
    app.register_blueprint(oembed.bp)
    cli.register(app)
    return app
