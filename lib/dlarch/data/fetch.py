"""Get a registered file from the cache, the mirror or its canonical URL.

Order: a verified copy in the cache (``$KERAS_HOME/datasets``), then the
mirror folder named by ``DLARCH_DATA_MIRROR``, then a copy installed by a
system package (Fashion-MNIST: Debian's ``dataset-fashion-mnist``), then a
download (skipped when ``DLARCH_OFFLINE=1``). Every file is checked against its sha256; downloads go
through pooch into a ``.partial`` subfolder, where it writes a temporary file
and renames it only once the hash matches; the verified file then moves into
place. A download killed half-way leaves its leftovers only in ``.partial``,
which ``python -m dlarch.data verify`` lists and ``download`` cleans.

Only a network failure falls back to a loader's stand-in data. A local
problem (a read-only or full cache, an unreadable file) is a :class:`DataIOError`
naming the path and the reason, and a missing mirror folder is a warning.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..config import offline
from .registry import FILES, RemoteFile, SystemCopy

MIRROR_ENV = "DLARCH_DATA_MIRROR"
DOWNLOAD_TIMEOUT_S = 30
PARTIAL = ".partial"  # subfolder of a download target holding unfinished downloads


class ChecksumError(ValueError):
    """A file's sha256 differs from the registry's."""


class DataUnavailable(RuntimeError):
    """A dataset with no honest fallback is reachable from none of its sources."""


class DataIOError(OSError):
    """A local read or write of a data file failed (not the network): names the path and why."""


def io_error(action: str, path: Path, err: OSError) -> DataIOError:
    """A DataIOError saying what failed on which path, and the system's reason."""
    reason = err.strerror or str(err) or type(err).__name__
    return DataIOError(f"could not {action} {path}: {reason} ({type(err).__name__}); this is a "
                       "local problem, not the network: make the folder writable, free space, "
                       "or set KERAS_HOME to another folder")


@dataclass(frozen=True)
class Fetched:
    """Where a file was found: its path and the source that provided it."""

    path: Path
    source: str  # "cache", "mirror", "system" or "download"
    package: str = ""  # the system package, for source "system"

    @property
    def data_source(self) -> str:
        """The ``source`` a loader reports: "mirror", "system", else "canonical"."""
        return self.source if self.source in ("mirror", "system") else "canonical"

    @property
    def note(self) -> str:
        """A few words on where the bytes were read from, for the loader's line."""
        return {"mirror": f"from {self.path.parent}", "cache": "cached copy",
                "system": f"package {self.package}, {self.path.parent}",
                "download": "downloaded"}[self.source]


def describe(name: str, source: str, note: str, sizes: str) -> str:
    """The one line every loader prints: ``[data] NAME: SOURCE (NOTE) — SIZES``."""
    where = f" ({note})" if note else ""
    return f"[data] {name}: {source}{where} — {sizes}"


def registered(key: str) -> RemoteFile:
    """The registry entry for ``key``, or a ValueError listing the known keys."""
    if key not in FILES:
        raise ValueError(f"unknown file {key!r}; registered files are: {', '.join(sorted(FILES))}")
    return FILES[key]


def cache_dir() -> Path:
    """The dataset cache, ``$KERAS_HOME/datasets`` (Keras's own default place)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def mirror_dir() -> Path | None:
    """The mirror folder named by ``DLARCH_DATA_MIRROR``; None (with a warning) if it is not one."""
    value = os.environ.get(MIRROR_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        warnings.warn(f"{MIRROR_ENV}={value!r} is not a folder; ignoring the mirror and trying "
                      "the next source", stacklevel=3)
        return None
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as err:
        raise io_error("read", path, err) from None
    return digest.hexdigest()


def verify(path: Path, entry: RemoteFile) -> None:
    """Raise ChecksumError naming the file, expected and actual hash, on mismatch."""
    actual = sha256_of(path)
    if actual != entry.sha256:
        raise ChecksumError(
            f"checksum mismatch for {path}: expected sha256 {entry.sha256}, got {actual}"
        )


def payload_sha256(path: Path) -> str:
    """The sha256 of a gzip file's decompressed payload."""
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except gzip.BadGzipFile:
        return "not a gzip file"
    except OSError as err:
        raise io_error("read", path, err) from None
    return digest.hexdigest()


def verify_system(path: Path, copy: SystemCopy) -> None:
    """Raise ChecksumError unless the decompressed payload of ``path`` has the pinned sha256."""
    actual = payload_sha256(path)
    if actual != copy.payload_sha256:
        raise ChecksumError(
            f"checksum mismatch for {path} (package {copy.package}): expected payload sha256 "
            f"{copy.payload_sha256}, got {actual}"
        )


def _from_cache(entry: RemoteFile) -> Path | None:
    path = cache_dir() / entry.filename
    if not path.exists():
        return None
    try:
        verify(path, entry)
    except ChecksumError as err:
        try:
            path.unlink()
            print(f"[data] {err}; deleted the bad cached copy")
        except OSError as why:  # e.g. a read-only cache: keep going, the next source may do
            print(f"[data] {err}; could not delete it ({why.strerror or why}), so it is "
                  "ignored and the next source is tried")
        return None
    return path


def _from_mirror(entry: RemoteFile) -> Path | None:
    mirror = mirror_dir()
    if mirror is None or not (mirror / entry.filename).exists():
        return None
    path = mirror / entry.filename
    verify(path, entry)  # a bad mirror is an error, never silently skipped
    return path


def _from_system(entry: RemoteFile) -> Path | None:
    if entry.system is None or not Path(entry.system.path).is_file():
        return None
    path = Path(entry.system.path)
    verify_system(path, entry.system)  # a bad package copy is an error, never silently skipped
    return path


def leftovers(folder: Path) -> list[Path]:
    """Unfinished downloads (killed half-way) left in ``folder``'s ``.partial`` subfolder."""
    partial = Path(folder) / PARTIAL
    return sorted(partial.iterdir()) if partial.is_dir() else []


def clean_leftovers(folder: Path) -> list[Path]:
    """Delete the unfinished downloads of ``folder`` and return what was deleted."""
    found = leftovers(folder)
    for path in found:
        try:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        except OSError as err:
            raise io_error("delete the unfinished download", path, err) from None
    return found


def download(entry: RemoteFile, folder: Path | None = None) -> Path:
    """Download ``entry`` into ``folder`` (default: the cache), verified.

    Raises ChecksumError for wrong bytes, DataIOError when the folder cannot be
    written, and requests' exceptions for network failures.
    """
    import pooch

    pooch.get_logger().setLevel("WARNING")  # the loader prints its own one-line summary
    folder = Path(folder) if folder is not None else cache_dir()
    partial = folder / PARTIAL
    try:
        partial.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise io_error("create the download folder", partial, err) from None
    target = folder / entry.filename
    try:
        path = pooch.retrieve(
            entry.url,
            known_hash=f"sha256:{entry.sha256}",
            fname=entry.filename,
            path=partial,
            downloader=pooch.HTTPDownloader(progressbar=False, timeout=DOWNLOAD_TIMEOUT_S),
            progressbar=False,
        )
        os.replace(path, target)  # same file system: the verified file appears whole or not at all
    except ValueError as err:  # pooch reports a hash mismatch as ValueError
        raise ChecksumError(f"checksum mismatch for {entry.url}: {err}") from None
    except OSError as err:
        if _is_network_error(err):
            raise
        raise io_error(f"write {entry.filename} into", folder, err) from None
    finally:
        if partial.is_dir() and not any(partial.iterdir()):
            partial.rmdir()
    return target


def _is_network_error(err: BaseException) -> bool:
    import requests

    return isinstance(err, requests.exceptions.RequestException)


def fetch(key: str) -> Fetched | None:
    """Find ``key`` in cache, mirror, system package or by download; None when none is reachable."""
    entry = registered(key)
    path = _from_cache(entry)
    if path is not None:
        return Fetched(path, "cache")
    path = _from_mirror(entry)
    if path is not None:
        return Fetched(path, "mirror")
    path = _from_system(entry)
    if path is not None:
        return Fetched(path, "system", package=entry.system.package)
    if offline():
        return None
    try:
        return Fetched(download(entry), "download")
    except Exception as err:
        if not _is_network_error(err):  # checksums and local I/O errors are never hidden
            raise
        print(f"[data] could not download {entry.url} ({type(err).__name__}: no network?); "
              "using the fallback")
        return None
