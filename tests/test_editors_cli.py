"""The editors' accounts on the command line: editors add, list and remove,
and every refusal with its sentence."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from argon2 import PasswordHasher
from pollapp.accounts.models import Editor
from pollapp.extensions import db
from sqlalchemy import select

PASSWORD = "correct horse battery staple"


def editors_in(app) -> list[tuple[str, str]]:
    """(email, password hash) of every account, by email."""
    with app.app_context():
        rows = db.session.execute(select(Editor.email, Editor.password_hash).order_by(Editor.email)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def add(runner, email: str, password: str = PASSWORD):
    return runner.invoke(args=["editors", "add", email, "--password-stdin"], input=password + "\n")


def test_add_asks_for_the_password_twice_and_stores_only_an_argon2_hash(app, runner):
    done = runner.invoke(args=["editors", "add", "Editor@Example.org"], input=f"{PASSWORD}\n{PASSWORD}\n")

    assert done.exit_code == 0, done.output
    assert done.output.count("Password") == 1 and "Repeat for confirmation" in done.output
    assert PASSWORD not in done.output  # the prompt hides what is typed
    assert "Added editor@example.org" in done.output
    [(email, stored)] = editors_in(app)
    assert email == "editor@example.org"
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)


def test_add_asks_again_when_the_two_passwords_differ(app, runner):
    done = runner.invoke(
        args=["editors", "add", "editor@example.org"],
        input=f"{PASSWORD}\n{PASSWORD}!\n{PASSWORD}\n{PASSWORD}\n",
    )

    assert done.exit_code == 0, done.output
    assert "do not match" in done.output
    assert [email for email, _ in editors_in(app)] == ["editor@example.org"]


def test_add_reads_one_line_of_standard_input_for_scripts(app, runner):
    done = add(runner, "desk@example.org", PASSWORD + "\nnot part of it")

    assert done.exit_code == 0, done.output
    [(_, stored)] = editors_in(app)
    assert PasswordHasher().verify(stored, PASSWORD)


def test_add_list_and_remove_on_each_database(make_app, database_uri):
    app = make_app(database_uri=database_uri)
    runner = app.test_cli_runner()
    assert "No editors yet" in runner.invoke(args=["editors", "list"]).output
    for email in ("b@example.org", "a@example.org"):
        assert add(runner, email).exit_code == 0

    listed = runner.invoke(args=["editors", "list"])

    assert [line.split("\t")[0] for line in listed.output.splitlines()] == ["a@example.org", "b@example.org"]
    assert all("added 20" in line for line in listed.output.splitlines())
    removed = runner.invoke(args=["editors", "remove", "A@example.org"])
    assert removed.exit_code == 0, removed.output
    assert "Removed a@example.org." in removed.output
    assert [email for email, _ in editors_in(app)] == ["b@example.org"]


class Refusal(NamedTuple):
    name: str
    email: str
    password: str
    says: str


REFUSALS = [
    Refusal(
        "a short password", "editor@example.org", "eleven char", "at least 12 characters; this one has 11"
    ),
    Refusal("an empty password", "editor@example.org", "", "at least 12 characters; this one has 0"),
    Refusal("no at sign", "editor.example.org", PASSWORD, "is not an email address"),
    Refusal("no domain", "editor@localhost", PASSWORD, "is not an email address"),
    Refusal("a space", "an editor@example.org", PASSWORD, "is not an email address"),
    Refusal("markup", "<script>alert(1)</script>@example.org", PASSWORD, "is not an email address"),
    Refusal("a formula", "=cmd|' /C calc'!A0", PASSWORD, "is not an email address"),
    Refusal("too long", "a" * 250 + "@example.org", PASSWORD, "is not an email address"),
    Refusal("taken", "taken@example.org", PASSWORD, "There is an editor with the email taken@example.org"),
    Refusal("taken in capitals", "TAKEN@example.org", PASSWORD, "There is an editor with the email"),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[case.name for case in REFUSALS])
def test_add_refuses_with_a_sentence(app, runner, case):
    assert add(runner, "taken@example.org").exit_code == 0
    before = editors_in(app)

    done = add(runner, case.email, case.password)

    assert done.exit_code == 1
    assert case.says in done.output
    assert done.output.startswith("Error: ") and done.output.rstrip().endswith(".")
    assert "Traceback" not in done.output
    assert editors_in(app) == before


def test_add_refuses_a_malformed_email_before_asking_for_a_password(runner):
    done = runner.invoke(args=["editors", "add", "not-an-email"], input="")

    assert done.exit_code == 1
    assert "Password" not in done.output
    assert "'not-an-email' is not an email address." in done.output


def test_remove_refuses_an_unknown_editor(app, runner):
    assert add(runner, "editor@example.org").exit_code == 0

    done = runner.invoke(args=["editors", "remove", "other@example.org"])

    assert done.exit_code == 1
    assert "There is no editor with the email 'other@example.org'." in done.output
    assert [email for email, _ in editors_in(app)] == ["editor@example.org"]
