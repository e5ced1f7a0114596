"""``editors add``, ``editors list`` and ``editors remove``: who may use the editors' desk."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..accounts.service import (
    AccountError,
    AccountProblem,
    add_editor,
    all_editors,
    check_new_email,
    check_password,
    remove_editor,
)

editors = AppGroup("editors", help="Add, list and remove the editors who may use the desk.")


def describe(error: AccountError) -> str:
    data = error.data
    match error.problem:
        case AccountProblem.MALFORMED_EMAIL:
            return f"{str(data['email'])[:80]!r} is not an email address."
        case AccountProblem.TAKEN:
            return f"There is an editor with the email {data['email']} already."
        case AccountProblem.SHORT_PASSWORD:
            return (
                f"A password needs at least {data['least']} characters; this one has {data['given']}. "
                "A few words together make a good one."
            )
        case AccountProblem.NO_SUCH_EDITOR:
            return f"There is no editor with the email {str(data['email'])[:80]!r}."


@editors.command("add")
@click.argument("email")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
)
def add(email: str, password_stdin: bool) -> None:
    """Give EMAIL an account on the editors' desk (asks for its password twice)."""
    try:
        check_new_email(email)  # before asking for a password in vain
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        check_password(password)
        editor = add_editor(email, password)
    except AccountError as error:
        raise click.ClickException(describe(error)) from error
    click.echo(f"Added {editor.email}: they can log in at /editors/login.")


@editors.command("list")
def list_editors() -> None:
    """List the editors, with when each was added."""
    found = all_editors()
    if not found:
        click.echo("No editors yet: add one with `flask --app pollapp editors add EMAIL`.")
    for editor in found:
        click.echo(f"{editor.email}\tadded {editor.created_at:%Y-%m-%d %H:%M} UTC")


@editors.command("remove")
@click.argument("email")
def remove(email: str) -> None:
    """Remove EMAIL's account; their sessions end with it."""
    try:
        remove_editor(email)
    except AccountError as error:
        raise click.ClickException(describe(error)) from error
    click.echo(f"Removed {email.strip().lower()}.")
