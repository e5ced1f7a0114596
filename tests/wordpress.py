"""Debian's WordPress on loopback, for the embed's test and for a person to look at.

``running_wordpress(url)`` makes a scratch MariaDB database, a folder that is
WordPress's own tree (every entry a link into /usr/share/wordpress) with a
config and a ``wp-content`` of its own, serves it with ``php -S`` on
127.0.0.2, installs WordPress without a browser (PHP calling ``wp_install``),
publishes a post whose content is ``url`` on a line of its own, and yields the
post's address. Everything goes when the block ends: the server, the folder,
the database.

Debian's ``wp-config.php`` reads ``/etc/wordpress/config-<host>.php``; rather
than write there, each PHP process starts with ``ABSPATH`` already defined
(``auto_prepend_file``), and WordPress then reads the folder's own config.

WordPress refuses to look up embeds on loopback addresses and unusual ports;
a must-use plugin in the folder allows both, for 127.* hosts only. A public
poll host on 80 or 443 needs neither.

Run it by hand next to a running pollapp (``flask --app pollapp run``)::

    python tests/wordpress.py http://127.0.0.1:5000/polls/kdrama-kisses-2014

and open the address it prints; Ctrl-C ends it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pollapp.testing import free_port, stop_process  # noqa: E402

WORDPRESS = Path("/usr/share/wordpress")
MARIADB = ("127.0.0.1", 3306)
HOST = "127.0.0.2"

# Every PHP process of the installation: WordPress reads the config of this folder.
PREPEND = """<?php
define('ABSPATH', __DIR__ . '/');
"""

CONFIG = """<?php
$settings = json_decode(file_get_contents(__DIR__ . '/settings.json'), true);
define('DB_NAME', $settings['database']);
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', $settings['database_host']);
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('WP_HOME', $settings['home']);
define('WP_SITEURL', $settings['home']);
define('WP_CONTENT_DIR', __DIR__ . '/wp-content');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY',
          'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as $name) {
    define($name, $settings['salt'] . $name);
}
$table_prefix = 'wp_';
require_once ABSPATH . 'wp-settings.php';
"""

# For this test installation only: embeds may be discovered on loopback hosts and their ports.
LOOPBACK_EMBEDS = """<?php
function pollapp_test_is_loopback($host) {
    return is_string($host) && strncmp($host, '127.', 4) === 0;
}
add_filter('http_request_host_is_external', function ($external, $host) {
    return $external || pollapp_test_is_loopback($host);
}, 10, 2);
add_filter('http_allowed_safe_ports', function ($ports, $host, $url) {
    $port = parse_url($url, PHP_URL_PORT);
    if (pollapp_test_is_loopback($host) && $port) {
        $ports[] = (int) $port;
    }
    return $ports;
}, 10, 3);
"""

# Install WordPress and publish one post; prints the post's address.
INSTALL = """<?php
$settings = json_decode(file_get_contents(__DIR__ . '/settings.json'), true);
$home = parse_url($settings['home']);
$_SERVER['HTTP_HOST'] = $home['host'] . ':' . $home['port'];
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
define('WP_INSTALLING', true);
require_once ABSPATH . 'wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$installed = wp_install($settings['blog'], 'editor', 'editor@example.org', true, '', $settings['password']);
if (is_wp_error($installed)) { fwrite(STDERR, $installed->get_error_message()); exit(1); }
$post = wp_insert_post([
    'post_title' => $settings['title'],
    'post_content' => $settings['content'],
    'post_status' => 'publish',
    'post_author' => $installed['user_id'],
], true);
if (is_wp_error($post)) { fwrite(STDERR, $post->get_error_message()); exit(1); }
echo get_permalink($post);
"""

# The scratch database, made and dropped through PHP's own MariaDB driver.
DATABASE = """<?php
[$script, $host, $port, $action, $name] = $argv;
$db = new mysqli($host, 'root', '', '', (int) $port);
$db->query($action === 'create'
    ? "CREATE DATABASE `$name` CHARACTER SET utf8mb4"
    : "DROP DATABASE IF EXISTS `$name`");
"""


def missing() -> str | None:
    """Why WordPress cannot be stood up here, or None when it can."""
    if shutil.which("php") is None:
        return "PHP is not installed: apt-get install php-cli php-mysql"
    if not (WORDPRESS / "wp-settings.php").exists():
        return f"WordPress is not installed at {WORDPRESS}: apt-get install wordpress"
    check = subprocess.run(["php", "-r", "exit(function_exists('mysqli_connect') ? 0 : 1);"], check=False)
    if check.returncode != 0:
        return "PHP has no MariaDB driver: apt-get install php-mysql"
    try:
        socket.create_connection(MARIADB, 2).close()
    except OSError:
        return f"MariaDB does not answer at {MARIADB[0]}:{MARIADB[1]}"
    return None


def _php(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["php", "-d", f"auto_prepend_file={folder / 'prepend.php'}", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _tree(folder: Path) -> None:
    """WordPress's files as links, with this installation's config and wp-content."""
    for entry in WORDPRESS.iterdir():
        if entry.name not in ("wp-config.php", "wp-content"):
            (folder / entry.name).symlink_to(entry)
    content = folder / "wp-content"
    (content / "mu-plugins").mkdir(parents=True)
    (content / "uploads").mkdir()
    for entry in ("themes", "plugins", "languages"):
        (content / entry).symlink_to(WORDPRESS / "wp-content" / entry)
    (content / "mu-plugins" / "loopback-embeds.php").write_text(LOOPBACK_EMBEDS)
    (folder / "prepend.php").write_text(PREPEND)
    (folder / "wp-config.php").write_text(CONFIG)
    (folder / "install.php").write_text(INSTALL)
    (folder / "database.php").write_text(DATABASE)


def _wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("php -S stopped at once")
        try:
            socket.create_connection((HOST, port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"php -S did not answer on {HOST}:{port}")


@contextmanager
def running_wordpress(url: str, title: str = "Our list, and yours") -> Iterator[str]:
    """A fresh WordPress on loopback with one published post embedding ``url``: its address."""
    reason = missing()
    if reason:
        raise RuntimeError(reason)
    folder = Path(tempfile.mkdtemp(prefix="pollapp-wordpress-"))
    database = f"pollapp_wordpress_{secrets.token_hex(4)}"
    port = free_port()
    process: subprocess.Popen[bytes] | None = None
    try:
        _tree(folder)
        settings = {
            "database": database,
            "database_host": f"{MARIADB[0]}:{MARIADB[1]}",
            "home": f"http://{HOST}:{port}",
            "salt": secrets.token_hex(16),
            "blog": "A drama blog",
            "password": secrets.token_urlsafe(12),
            "title": title,
            "content": f"The editors ranked them. Now it is your turn.\n\n{url}\n\nTell us in the comments.",
        }
        (folder / "settings.json").write_text(json.dumps(settings))
        made = _php(folder, "database.php", *map(str, MARIADB), "create", database)
        if made.returncode != 0:
            raise RuntimeError(f"could not make the database: {made.stderr or made.stdout}")
        installed = _php(folder, "install.php")
        if installed.returncode != 0:
            raise RuntimeError(f"WordPress did not install: {installed.stderr or installed.stdout}")
        post = installed.stdout.strip().splitlines()[-1]
        env = {**os.environ, "PHP_CLI_SERVER_WORKERS": "4"}
        process = subprocess.Popen(
            [
                "php",
                "-d",
                f"auto_prepend_file={folder / 'prepend.php'}",
                "-S",
                f"{HOST}:{port}",
                "-t",
                str(folder),
            ],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(port, process)
        yield post
    finally:
        if process is not None:
            stop_process(process)
        _php(folder, "database.php", *map(str, MARIADB), "drop", database)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: python tests/wordpress.py <a poll's URL>")
    with running_wordpress(sys.argv[1]) as post:
        print(f"WordPress's post with the poll: {post}  (Ctrl-C ends it)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
