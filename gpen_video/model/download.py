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

from tqdm import tqdm

from gpen_video import __version__
from gpen_video.errors import ChecksumError, DownloadError
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


def check_file(entry: WeightsEntry, path: Path) -> None:
    """Raise ChecksumError unless ``path`` has the entry's size and sha256 (those that are known)."""
    size = path.stat().st_size
    if entry.size is not None and size != entry.size:
        raise ChecksumError(f"{path} has {size} bytes, not the {entry.size} of {entry.name} (truncated or "
                            f"another file; delete it and run 'gpen-video weights fetch {entry.name}')")
    if entry.sha256 is not None and sha256_file(path) != entry.sha256.lower():
        raise ChecksumError(f"{path} does not match the sha256 of {entry.name} (corrupt or another "
                            f"version; delete it and run 'gpen-video weights fetch {entry.name}')")


def file_state(entry: WeightsEntry, path: Path) -> str:
    """One word for listings: missing, verified, unverified (nothing published to check), or corrupt."""
    if not path.is_file():
        return "missing"
    try:
        check_file(entry, path)
    except ChecksumError:
        return "corrupt"
    return "verified" if entry.sha256 else "unverified"


def download(entry: WeightsEntry, weights_dir: str | os.PathLike[str] | None = None,
             progress: bool | None = None) -> Path:
    """Download ``entry`` into the weights folder, trying its URLs in order; returns the checked file.

    ``progress``: a tqdm bar on stderr (None: only when stderr is a terminal).
    """
    folder = weights_folder(weights_dir)
    folder.mkdir(parents=True, exist_ok=True)
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
    resumed = part.is_file() and part.stat().st_size > 0
    try:
        _fetch(url, part, entry, progress)
        check_file(entry, part)
        return
    except ChecksumError as error:
        part.unlink(missing_ok=True)
        if not resumed:
            raise _named(error, url) from None
    # The bytes kept from an earlier run may belong to another file or version: start over once.
    try:
        _fetch(url, part, entry, progress)
        check_file(entry, part)
    except ChecksumError as error:
        part.unlink(missing_ok=True)
        raise _named(error, url) from None


def _named(error: ChecksumError, url: str) -> ChecksumError:
    return ChecksumError(f"the file downloaded from {url} does not match the manifest: {error}")


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
        with open(part, "ab" if offset else "wb") as sink, tqdm(
                total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
                file=sys.stderr, disable=not progress, leave=False) as bar:
            while block := response.read(CHUNK):
                sink.write(block)
                received += len(block)
                bar.update(len(block))
    return total is None or received >= total


def _reason(error: Exception | None) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__
