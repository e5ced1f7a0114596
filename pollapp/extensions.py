"""Flask extensions, created unbound and bound to an app in ``create_app``."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from flask import Response, current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


def client_address() -> str:
    """Who rate limits count against: a keyed hash of the client's address.

    The limiter's store (memory or Redis) never holds a raw address.
    """
    address = (request.remote_addr or "unknown").encode()
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, address, hashlib.sha256).hexdigest()[:32]


class DeskLoginManager(LoginManager):  # type: ignore[misc]  # Flask-Login is untyped: its classes are Any to the checker
    """Flask-Login's manager without the remember-me cookie, which the desk never sets.

    Flask-Login looks for that cookie's instructions in the session after
    every request of the app, and reading the session makes Flask add
    ``Vary: Cookie`` to every response, static files and the API included.
    """

    def _update_remember_cookie(self, response: Response) -> Response:
        return response


db = SQLAlchemy(model_class=Base)

# Flask-SQLAlchemy makes ``db.Model`` at run time, as a subclass of ``Base``;
# the type checker is shown ``Base`` itself, which has every typed part of it.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
csrf = CSRFProtect()
limiter = Limiter(key_func=client_address)
login_manager = DeskLoginManager()  # editors' sessions on the desk
babel = Babel()  # the interface's languages: pollapp/web/languages.py
