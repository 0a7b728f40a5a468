"""Fetch a manifest entry's file and check it: resumable HTTP download, size and sha256, atomic rename.

The bytes go to ``<file>.part`` beside the target; an interrupted transfer resumes from there with an
HTTP Range request, and only a file that matches the manifest's size and sha256 is renamed to its final
name, so a half-written or corrupt checkpoint is never found under that name. Stdlib only (urllib).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from gpen_video import __version__
from gpen_video.errors import ChecksumError, DownloadError, OutputError
from gpen_video.model.registry import WeightsEntry, weights_folder

CHUNK = 1 << 20
TIMEOUT_S = 60
ATTEMPTS = 3  # tries in a row without progress before a URL is given up; each resumes


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def mismatch(entry: WeightsEntry, path: Path) -> str | None:
    """How ``path`` differs from the entry's published size and sha256, or None if it does not."""
    size = path.stat().st_size
    if entry.size is not None and size != entry.size:
        return f"it has {size} bytes, not {entry.size}"
    if entry.sha256 is not None and sha256_file(path) != entry.sha256.lower():
        return "its sha256 differs"
    return None


def check_file(entry: WeightsEntry, path: Path) -> None:
    """Raise ChecksumError unless ``path`` has the entry's size and sha256 (those that are known)."""
    reason = mismatch(entry, path)
    if reason is not None:
        raise ChecksumError(f"{path} is not {entry.name}: {reason} (truncated, corrupt or another version; "
                            f"delete it and run 'gpen-video weights fetch {entry.name}')")


def file_state(entry: WeightsEntry, path: Path) -> str:
    """One word for listings: missing, verified, unverified (nothing published to check), or corrupt."""
    if not path.is_file():
        return "missing"
    if mismatch(entry, path) is not None:
        return "corrupt"
    return "verified" if entry.sha256 else "unverified"


def download(entry: WeightsEntry, weights_dir: str | os.PathLike[str] | None = None,
             progress: bool | None = None) -> Path:
    """Download ``entry`` into the weights folder, trying its URLs in order; returns the checked file.

    ``progress``: a tqdm bar on stderr (None: only when stderr is a terminal).
    """
    folder = weights_folder(weights_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create the weights folder {folder}: {error.strerror or error}") from error
    final = folder / entry.file
    part = final.with_name(final.name + ".part")
    show = sys.stderr.isatty() if progress is None else progress
    failures: list[Exception] = []
    for url in entry.urls:
        try:
            _fetch_checked(url, part, entry, show)
        except (DownloadError, ChecksumError) as error:
            failures.append(error)
            continue
        os.replace(part, final)
        return final
    if failures and all(isinstance(f, ChecksumError) for f in failures):
        raise failures[-1]
    reason = failures[-1] if failures else "the manifest lists no URL"
    raise DownloadError(f"could not download {entry.name} from any of its {len(entry.urls)} sources "
                        f"(last: {reason})")


def _fetch_checked(url: str, part: Path, entry: WeightsEntry, progress: bool) -> None:
    """Fetch and check; if bytes kept from an earlier run spoil the check, start over once."""
    tries = 2 if part.is_file() and part.stat().st_size > 0 else 1
    for attempt in range(tries):
        _fetch(url, part, entry, progress)
        reason = mismatch(entry, part)
        if reason is None:
            return
        part.unlink()
        if attempt == tries - 1:
            raise ChecksumError(f"the {entry.name} file from {url} does not match the manifest ({reason}); "
                                f"nothing was kept")


def _fetch(url: str, part: Path, entry: WeightsEntry, progress: bool) -> None:
    """Bring ``part`` to the full file, resuming after dropped connections until ATTEMPTS make no progress."""
    last: Exception | None = None
    stalls = 0
    while stalls < ATTEMPTS:
        offset = part.stat().st_size if part.is_file() else 0
        if entry.size is not None and offset >= entry.size:
            return
        try:
            if _transfer(url, part, offset, entry.file, progress):
                return
            last = ConnectionError("the server closed the connection early")
        except OutputError:
            raise
        except urllib.error.URLError as error:  # HTTP errors, refused connections, unknown hosts
            raise DownloadError(f"{url}: {_reason(error)}") from error
        except (OSError, http.client.HTTPException) as error:  # dropped mid-transfer: resume
            last = error
        grown = part.is_file() and part.stat().st_size > offset
        stalls = 0 if grown else stalls + 1
    raise DownloadError(f"{url}: the connection kept dropping ({_reason(last)})")


def _transfer(url: str, part: Path, offset: int, label: str, progress: bool) -> bool:
    """One request from ``offset``; True when the server sent everything it announced."""
    headers = {"User-Agent": f"gpen-video/{__version__}"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S)
    except urllib.error.HTTPError as error:
        if error.code == 416 and offset:
            return True  # the part is already whole (or longer: the checksum will say)
        raise
    with response:
        if response.status != 206:
            offset = 0  # the server ignored Range: take the whole file again
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        received = offset
        with _open_part(part, append=offset > 0) as sink, tqdm(
                total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
                file=sys.stderr, disable=not progress, leave=False) as bar:
            while block := response.read(CHUNK):
                try:
                    sink.write(block)
                except OSError as error:  # a full disk is no network trouble: do not retry
                    raise OutputError(f"cannot write {part}: {error.strerror or error}") from error
                received += len(block)
                bar.update(len(block))
    return total is None or received >= total


def _open_part(part: Path, append: bool) -> BinaryIO:
    try:
        return open(part, "ab" if append else "wb")
    except OSError as error:
        raise OutputError(f"cannot write {part}: {error.strerror or error}") from error


def _reason(error: Exception | None) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__
