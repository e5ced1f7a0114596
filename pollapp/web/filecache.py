"""Downloads made once and kept: a file per poll and tally tag, compressed, in
the instance folder, shared by every worker on the host.

A download costs the database once per change of what it holds, and however
many ask at once, one of them makes it while the others wait for that one.
With ``fresh_for`` above zero, a file younger than that is served even if
newer ballots have arrived since (the response's ``Cache-Control`` says how
stale it may be), which bounds the cost while ballots keep coming."""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: each process makes its own files
    fcntl = None  # type: ignore[assignment]  # the module is absent there; the code checks for None

# Level 3: a million ballots' CSV (193 MB) packs to 12 MB in 0.9 s; the default 6 to 8 MB
# took 3.0 s, the largest part of making the file. Sent files stay small, made ones fast.
COMPRESSION = 3


@dataclass(frozen=True)
class Kept:
    path: Path  # the compressed file
    tag: str  # the tally tag it was made at: its ETag
    made: float  # when it was made (time.time())

    def max_age(self, current_tag: str, fresh_for: float) -> int:
        """How many seconds a copy of this file may be kept (a browser's, a
        proxy's) without lagging the tally by more than ``fresh_for``.

        A file at the current tag lags nothing yet: a copy may be kept
        ``fresh_for``. An older one has lagged since it was made, at the
        latest: a copy may be kept only what is left of ``fresh_for`` since.
        """
        if current_tag == self.tag:
            return int(fresh_for)
        return max(0, int(fresh_for - (time.time() - self.made)))


def _files(folder: Path, name: str) -> list[tuple[float, Path]]:
    found = []
    for path in folder.glob(f"{name}--*.gz"):
        try:
            found.append((path.stat().st_mtime, path))
        except FileNotFoundError:  # just replaced by another worker
            continue
    return sorted(found)


def _tag_of(path: Path, name: str) -> str:
    return path.name[len(name) + 2 : -len(".gz")]


def _usable(folder: Path, name: str, tag: str, fresh_for: float, asked: float) -> Kept | None:
    """The newest file, if it is at ``tag``, younger than ``fresh_for``, or made
    since the request asked (so at least as new as what it asked for)."""
    files = _files(folder, name)
    if not files:
        return None
    made, newest = files[-1]
    if _tag_of(newest, name) == tag or time.time() - made < fresh_for or made >= asked:
        return Kept(newest, _tag_of(newest, name), made)
    return None


@contextmanager
def _turn(folder: Path, name: str) -> Iterator[None]:
    """One maker at a time per file, across the host's processes."""
    if fcntl is None:
        yield
        return
    descriptor = os.open(folder / f"{name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing lets the lock go


def kept(folder: Path, name: str, tag: str, fresh_for: float, make: Callable[[], Iterable[str]]) -> Kept:
    """The file for ``name`` at ``tag`` (or a fresh enough one), made from the
    chunks ``make()`` gives if there is none; ``make`` is called only then."""
    asked = time.time()
    folder.mkdir(parents=True, exist_ok=True)
    found = _usable(folder, name, tag, fresh_for, asked)
    if found is not None:
        return found
    with _turn(folder, name):
        # Made by another while this one waited: as new as asked for, so taken
        # as it is, and a crowd of downloads costs one making, not one each.
        found = _usable(folder, name, tag, fresh_for, asked)
        if found is not None:
            return found
        final = folder / f"{name}--{tag}.gz"
        partial = folder / f".{name}--{tag}.{os.getpid()}.partial"
        with (
            open(partial, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=COMPRESSION, mtime=0) as out,
        ):
            for chunk in make():
                out.write(chunk.encode("utf-8"))
        os.replace(partial, final)
        made = final.stat().st_mtime
        for _, older in _files(folder, name):
            if older != final:
                older.unlink(missing_ok=True)  # a worker still sending it keeps its open file
    return Kept(final, tag, made)


def unpacked(handle: gzip.GzipFile, size: int = 256 * 1024) -> Iterator[bytes]:
    """An open file's content uncompressed, in chunks, for a client that takes
    no gzip. It is opened before the response starts, so a newer file replacing
    it meanwhile does not matter."""
    with handle:
        while chunk := handle.read(size):
            yield chunk


def kept_path(folder: Path, name: str, tag: str, suffix: str) -> Path:
    """Where ``kept_bytes`` keeps the file for ``name`` at ``tag``, made or not."""
    return folder / f"{name}--{tag}.{suffix}"


def kept_bytes(folder: Path, name: str, tag: str, suffix: str, make: Callable[[], bytes]) -> Path:
    """The file for ``name`` at exactly ``tag`` (a picture: kept as it is, not
    compressed), made from ``make()`` if there is none; older ones of ``name`` go."""
    final = kept_path(folder, name, tag, suffix)
    if final.exists():
        return final
    folder.mkdir(parents=True, exist_ok=True)
    with _turn(folder, name):
        if final.exists():  # made by another while this one waited
            return final
        partial = folder / f".{name}--{tag}.{os.getpid()}.partial"
        partial.write_bytes(make())
        os.replace(partial, final)
        for older in folder.glob(f"{name}--*.{suffix}"):
            if older != final:
                older.unlink(missing_ok=True)
    return final
