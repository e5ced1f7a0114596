"""The ballot path's way of writing: one statement compiled once, run straight
on the driver as its own transaction, with SQLite's writers taking turns; and
of reading the one row it needs besides."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, NamedTuple

try:
    import fcntl
except ImportError:  # Windows: SQLite's own waiting alone
    fcntl = None  # type: ignore[assignment]  # the module is absent there; the code checks for None

from sqlalchemy import Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

_queues: dict[tuple[int, str], tuple[threading.Lock, int | None]] = {}
_queues_lock = threading.Lock()


def _queue(path: str) -> tuple[threading.Lock, int | None]:
    key = (os.getpid(), path)  # a forked worker opens its own lock file
    queue = _queues.get(key)
    if queue is None:
        with _queues_lock:
            queue = _queues.get(key)
            if queue is None:
                try:
                    descriptor: int | None = os.open(
                        f"{path}-writers.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
                    )
                except OSError:  # a folder we cannot write to: queue this process's threads only
                    descriptor = None
                queue = _queues[key] = (threading.Lock(), descriptor)
    return queue


@contextmanager
def writer_turn(engine: Engine) -> Iterator[None]:
    """Wait for this writer's turn at a SQLite database file.

    SQLite lets one writer in at a time and has the others retry after growing
    sleeps (1, 2, 5, 10 ms and on), so in a crowd of ballots a writer often
    sleeps on well past the moment the database is free. Ballot writers queue
    on a thread lock and an OS file lock beside the database instead, and the
    kernel hands the turn on the moment it is released (also when a process
    dies holding it). SQLite's own locking still keeps the data safe; the queue
    only orders the waiting. Other databases have no such need.
    """
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:" or path.startswith("file:"):
        yield
        return
    thread_lock, descriptor = _queue(path)
    with thread_lock:
        if descriptor is None or fcntl is None:
            yield
            return
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)


class _Compiled(NamedTuple):
    sql: str
    order: tuple[str, ...] | None  # parameter names in place order; None: the driver takes names
    processors: dict[str, Callable[[Any], Any]]  # parameter name -> its type's conversion


class DriverStatement:
    """A Core statement compiled once per dialect and run straight on the driver.

    For the one statement on the busiest path (a reader's ballot), where
    SQLAlchemy's work per execution would cost more than the database's. The
    statement is still built, typed and compiled by SQLAlchemy; only the
    execution skips it. Errors are the driver's own (``driver_error``).
    """

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}
        # dialect name -> each result column's conversion (None: as the driver gives it)
        self._readers: dict[str, tuple[Callable[[Any], Any] | None, ...]] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        known = self._compiled.get(dialect.name)
        if known is None:
            compiled = self.statement.compile(dialect=dialect)
            assert isinstance(compiled, SQLCompiler)
            processors: dict[str, Callable[[Any], Any]] = {}
            for name, parameter in compiled.binds.items():
                processor = parameter.type.bind_processor(dialect)
                if processor is not None:
                    processors[name] = processor
            order = tuple(compiled.positiontup) if compiled.positiontup else None
            known = _Compiled(compiled.string, order, processors)
            self._compiled[dialect.name] = known
        return known

    def write(self, engine: Engine, values: dict[str, Any]) -> tuple[Any, ...] | None:
        """Run the statement, a write, as a transaction of its own; its first row."""
        # Should a lost attempt have been stored after all, the one tried again
        # replaces it with the same ranking, which leaves the tally as it was.
        rows = self._execute(engine, values, write=True)
        return rows[0] if rows else None

    def read(self, engine: Engine, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run the statement, a query, on its own (no transaction left open, no
        writers' turn); its rows, each value read as its column's type reads it."""
        rows = self._execute(engine, values, write=False)
        if not any(self._readers_for(engine.dialect)):  # e.g. integers alone: as the driver gives them
            return rows
        return [self.typed(engine, row) for row in rows]

    def typed(self, engine: Engine, row: tuple[Any, ...]) -> tuple[Any, ...]:
        """A row as the driver gave it (a write's, say), each value read as its column's type reads it."""
        readers = self._readers_for(engine.dialect)
        return tuple(value if read is None else read(value) for value, read in zip(row, readers, strict=True))

    def _readers_for(self, dialect: Dialect) -> tuple[Callable[[Any], Any] | None, ...]:
        readers = self._readers.get(dialect.name)
        if readers is None:
            readers = self._readers[dialect.name] = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in getattr(self.statement, "exported_columns", ())
            )
        return readers

    def _execute(self, engine: Engine, values: dict[str, Any], *, write: bool) -> list[tuple[Any, ...]]:
        sql, order, processors = self._for(engine.dialect)
        converted = {**values, **{name: convert(values[name]) for name, convert in processors.items()}}
        parameters = tuple(converted[name] for name in order) if order is not None else converted
        try:
            return self._run(engine, sql, parameters, write)
        except driver_error(engine) as error:
            if not getattr(error, "connection_lost", False):
                raise
        # The connection had gone away (a database restart, an idle timeout):
        # the pool has let it go, and a fresh one is asked for once.
        return self._run(engine, sql, parameters, write)

    @staticmethod
    def _run(engine: Engine, sql: str, parameters: Any, write: bool) -> list[tuple[Any, ...]]:
        """A write's first row (its RETURNING), or every row a query reads."""
        connection = engine.raw_connection()
        driver = connection.dbapi_connection
        assert driver is not None, "a connection fresh from the pool has its driver connection"
        cursor = None
        try:
            with _autocommit(driver):
                cursor = driver.cursor()
                # As little as possible inside the turn; a read needs none (WAL).
                with writer_turn(engine) if write else nullcontext():
                    cursor.execute(sql, parameters)
                    if write:
                        row = cursor.fetchone()
                        rows = [] if row is None else [tuple(row)]
                    else:
                        rows = list(cursor.fetchall())  # tuples, as both drivers give them
        except driver_error(engine) as error:
            if engine.dialect.is_disconnect(error, driver, cursor):  # type: ignore[arg-type]  # a raw driver connection, typed by SQLAlchemy as its own protocol
                error.connection_lost = True  # type: ignore[attr-defined]  # a mark on the driver's own error, read by _execute()
                connection.invalidate(error)
            raise
        finally:
            if cursor is not None and connection.is_valid:
                cursor.close()
            connection.close()  # back to the pool
        return rows


@contextmanager
def _autocommit(driver: Any) -> Iterator[None]:
    """Let one statement be its own transaction: a statement, its triggers
    included, is all or nothing, and the commit needs no second round trip."""
    if isinstance(driver, sqlite3.Connection):
        previous = driver.isolation_level
        driver.isolation_level = None
        try:
            yield
        finally:
            driver.isolation_level = previous
    else:  # psycopg
        driver.autocommit = True
        try:
            yield
        finally:
            if not driver.closed:  # a lost connection is let go of as it is
                driver.autocommit = False


def driver_error(engine: Engine) -> type[Exception]:
    """The base class of the errors the engine's driver raises."""
    error: type[Exception] = engine.dialect.loaded_dbapi.Error
    return error


def unavailable_errors(postgresql: bool = True) -> tuple[type[Exception], ...]:
    """The errors that mean the database cannot be reached or cannot take a
    write just now (stopped, restarting, out of connections, locked, full),
    from SQLAlchemy or, on the ballot path, straight from the driver.

    ``postgresql=False`` leaves out psycopg's, for an app on SQLite: importing
    psycopg is a tenth of a second of every command's start."""
    from sqlalchemy import exc

    errors: tuple[type[Exception], ...] = (exc.OperationalError, exc.InterfaceError, sqlite3.OperationalError)
    if postgresql:
        import psycopg

        errors += (psycopg.OperationalError,)
    return errors
