"""Engine settings that make SQLite safe for several writers at once, and running one statement on the driver."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import Executable

from .extensions import db


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside one writer; the busy timeout makes writers
    # queue instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def configure_engine(app: Flask) -> None:
    """Install the SQLite connection settings on this app's engine."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)


class DriverStatement:
    """A Core statement compiled once per dialect and run straight on the driver.

    For the one statement on the busiest path (a reader's ballot), where
    SQLAlchemy's work per execution would cost more than the database's. The
    statement is still built, typed and compiled by SQLAlchemy; only the
    execution skips it. Errors are the driver's own (``driver_error``).
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None, dict[str, Callable[[Any], Any]]]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None, dict[str, Callable[[Any], Any]]]:
        known = self._compiled.get(dialect.name)
        if known is None:
            compiled = self.statement.compile(dialect=dialect)
            processors = {}
            for name, parameter in compiled.binds.items():
                processor = parameter.type.bind_processor(dialect)
                if processor is not None:
                    processors[name] = processor
            order = tuple(compiled.positiontup) if compiled.positiontup else None
            known = self._compiled[dialect.name] = (compiled.string, order, processors)
        return known

    def first_row(self, engine: Engine, values: dict[str, Any]) -> tuple[Any, ...] | None:
        """Run the statement in a transaction of its own and commit; its first row."""
        sql, order, processors = self._for(engine.dialect)
        for name, processor in processors.items():
            values[name] = processor(values[name])
        parameters = tuple(values[name] for name in order) if order is not None else values
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(sql, parameters)
                row = cursor.fetchone()
            finally:
                cursor.close()
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()  # back to the pool
        return None if row is None else tuple(row)


def driver_error(engine: Engine) -> type[Exception]:
    """The base class of the errors the engine's driver raises."""
    error: type[Exception] = engine.dialect.loaded_dbapi.Error
    return error
