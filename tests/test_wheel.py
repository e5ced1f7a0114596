"""The wheel on its own: built from ``pyproject.toml`` and installed in a fresh
virtual environment outside the checkout, pollapp creates its database and
gunicorn serves the poll page, its results and the static files.

The new environment sees the dependencies in this environment's site-packages
through a ``.pth`` file, so nothing but the build backend comes from the
network. A directory named in a ``.pth`` file does not have its own ``.pth``
files read, so the checkout's editable install stays out and pollapp comes
from the wheel. POLLAPP_TEST_WHEEL_SOURCE names another tree to build instead
of this checkout (a copy with a change to try).
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.server]

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path(os.environ.get("POLLAPP_TEST_WHEEL_SOURCE") or ROOT).resolve()
POLL = "kdrama-kisses-2014"
TITLE = "The most romantic K-drama kisses of 2014"
BUILD_TIMEOUT = 120.0
START_TIMEOUT = 30.0


def outside_the_checkout(folder: Path) -> Path:
    assert not folder.resolve().is_relative_to(ROOT), f"{folder} is inside the checkout {ROOT}"
    return folder


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment less any POLLAPP_/FLASK_ settings and Python
    path overrides, plus ``settings``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("POLLAPP_", "FLASK_"))
        and name not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"}
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(settings)
    return env


def run(
    command: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from the source tree's ``pyproject.toml``; skipped when the
    build backend cannot be fetched."""
    out = outside_the_checkout(tmp_path_factory.mktemp("dist"))
    built = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), str(SOURCE)],
        cwd=out,
        env=clean_environment(),
        timeout=BUILD_TIMEOUT,
    )
    output = built.stdout + built.stderr
    if built.returncode != 0 and "install build dependencies" in output:
        pytest.skip(f"the build backend could not be installed:\n{output[-2000:]}")
    assert built.returncode == 0, output
    (found,) = out.glob("pollapp-*.whl")
    return found


@pytest.fixture(scope="module")
def python(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of a fresh virtual environment holding the wheel."""
    folder = outside_the_checkout(tmp_path_factory.mktemp("environment"))
    env = clean_environment()
    made = run([sys.executable, "-m", "venv", "--without-pip", str(folder)], folder, env, 60)
    assert made.returncode == 0, made.stderr
    python = folder / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    installed = run([*pip, "install", "--no-deps", "--no-index", str(wheel)], folder, env, BUILD_TIMEOUT)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # The dependencies become visible only after the install, so pip sees an empty environment.
    where = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], folder, env, 30
    )
    site_packages = Path(where.stdout.strip())
    dependencies = dict.fromkeys(sysconfig.get_path(name) for name in ("purelib", "platlib"))
    (site_packages / "checkout_dependencies.pth").write_text("\n".join(dependencies) + "\n", encoding="utf-8")
    return python


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_listening(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        assert server.poll() is None, f"gunicorn exited early:\n{log.read_text()}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert time.monotonic() < deadline, f"gunicorn did not start in time:\n{log.read_text()}"
            time.sleep(0.1)


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_the_wheel_holds_the_templates_static_files_migrations_and_polls(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    expected = {
        f"pollapp/templates/{path.relative_to(SOURCE / 'templates')}"
        for path in (SOURCE / "templates").rglob("*")
        if path.is_file()
    }
    expected |= {
        "pollapp/static/style.css",
        "pollapp/static/ranker.js",
        "pollapp/migrations/env.py",
        "pollapp/migrations/alembic.ini",
        "pollapp/migrations/script.py.mako",
        f"pollapp/catalogue/polls/{POLL}.toml",
    }
    assert "pollapp/templates/base.html" in expected
    assert not expected - names, f"missing from {wheel.name}: {sorted(expected - names)}"
    assert not {name for name in names if name.startswith(("tests/", ".venv/", "templates/"))}


def test_the_wheel_serves_the_poll_from_a_fresh_environment(python: Path, tmp_path: Path):
    folder = outside_the_checkout(tmp_path)
    env = clean_environment(
        POLLAPP_SECRET_KEY="wheel test secret key",
        POLLAPP_SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'p.sqlite3'}",
    )
    where = run([str(python), "-c", "import pollapp; print(pollapp.__file__)"], folder, env, 30)
    assert where.returncode == 0, where.stderr
    imported = Path(where.stdout.strip())
    assert imported.is_relative_to(python.parents[1]), f"pollapp comes from {imported}, not the wheel"

    init = run([str(python), "-m", "flask", "--app", "pollapp", "init-db"], folder, env, 60)
    assert init.returncode == 0, init.stdout + init.stderr

    port = free_port()
    log = folder / "gunicorn.log"
    command = [
        str(python),
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--no-control-socket",
        "pollapp:create_app()",
    ]
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until_listening(server, port, log)

        def fetch(path: str) -> tuple[int, bytes]:
            try:
                return get(port, path)
            except OSError as error:
                pytest.fail(f"GET {path}: {error!r}\n{log.read_text()}")

        status, page = fetch(f"/polls/{POLL}")
        assert status == 200, f"{status}\n{page.decode(errors='replace')[:2000]}\n{log.read_text()}"
        assert TITLE in page.decode()
        assert "<form" in page.decode()
        for path in ("/static/style.css", "/static/ranker.js"):
            status, body = fetch(path)
            assert (status, bool(body)) == (200, True), path
        status, body = fetch(f"/polls/{POLL}/results")
        assert status == 200, f"{status}\n{body.decode(errors='replace')[:2000]}\n{log.read_text()}"
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=15)
