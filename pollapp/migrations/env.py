"""Alembic's entry point for pollapp: migrate the database of the running app.

Run through Flask-Migrate (`flask --app pollapp init-db` or `flask --app pollapp db ...`),
so the app, its engine and its models are already set up.
"""

import logging
from logging.config import fileConfig

from alembic import context
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from flask import current_app

config = context.config
if config.config_file_name:
    # Keep the app's own loggers working after a migration.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate = current_app.extensions["migrate"]
engine = migrate.db.engine
config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def skip_empty_autogenerate(
    context: MigrationContext, revision: object, directives: list[MigrationScript]
) -> None:
    """`db migrate` with no model change writes no empty revision file."""
    changes = directives[0].upgrade_ops
    if getattr(config.cmd_opts, "autogenerate", False) and changes is not None and changes.is_empty():
        directives[:] = []
        logger.info("The models and the migrations agree: no revision written.")


def run_offline() -> None:
    """Print the SQL instead of running it (`flask db upgrade --sql`)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=migrate.db.metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    options = dict(migrate.configure_args)
    options.setdefault("process_revision_directives", skip_empty_autogenerate)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=migrate.db.metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
