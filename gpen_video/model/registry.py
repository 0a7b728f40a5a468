"""The released checkpoints gpen-video knows (``weights/manifest.json``) and where their files live.

The manifest is data only; this module reads it into frozen records and answers two questions:
which folder holds the weights, and which file a name or path means. Torch-free, so ``gpen-video
weights list`` starts fast.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from gpen_video.errors import UsageError, WeightsNotFoundError
from gpen_video.model.config import GPENConfig

MANIFEST = Path(__file__).parent / "manifest.json"
ENV_WEIGHTS = "GPEN_VIDEO_WEIGHTS"
NON_COMMERCIAL = ("the GPEN weights were published for academic and non-commercial use only; "
                  "you are responsible for using them within those terms")


@dataclass(frozen=True)
class WeightsEntry:
    """One downloadable file: ``size`` in bytes and ``sha256`` are None where nobody published them."""

    name: str
    kind: str  # "gpen" | "detector" | "parsing"
    file: str
    urls: tuple[str, ...]
    size: int | None = None
    sha256: str | None = None
    licence: str = ""
    config: GPENConfig | None = None
    note: str = ""

    @classmethod
    def from_json(cls, row: dict) -> WeightsEntry:
        config = row.get("config")
        return cls(name=row["name"], kind=row["kind"], file=row["file"], urls=tuple(row["urls"]),
                   size=row.get("size"), sha256=row.get("sha256"), licence=row.get("licence", ""),
                   config=GPENConfig(**config) if config else None, note=row.get("note", ""))


@cache
def entries() -> tuple[WeightsEntry, ...]:
    """Every manifest entry, in manifest order."""
    rows = json.loads(MANIFEST.read_text(encoding="utf-8"))["weights"]
    return tuple(WeightsEntry.from_json(row) for row in rows)


def find_entry(name: str) -> WeightsEntry | None:
    """The entry called ``name`` or stored under file name ``name``; None if the manifest has neither."""
    for entry in entries():
        if name in (entry.name, entry.file):
            return entry
    return None


def get_entry(name: str) -> WeightsEntry:
    entry = find_entry(name)
    if entry is None:
        known = ", ".join(e.name for e in entries())
        raise UsageError(f"unknown weights name: {name} (known: {known})")
    return entry


def _checkout_weights() -> Path | None:
    # A source checkout (or editable install) keeps its weights/ beside the package.
    root = Path(__file__).resolve().parents[2]
    folder = root / "weights"
    if (folder / "manifest.json").is_file() and (root / "gpen_video").is_dir():
        return folder
    return None


def weights_folder(weights_dir: str | os.PathLike[str] | None = None) -> Path:
    """The weights folder: ``weights_dir``, else $GPEN_VIDEO_WEIGHTS, else a checkout's weights/, else the cache.

    The cache is $XDG_CACHE_HOME/gpen-video (~/.cache/gpen-video). The folder need not exist yet.
    """
    if weights_dir:
        return Path(weights_dir).expanduser()
    if os.environ.get(ENV_WEIGHTS):
        return Path(os.environ[ENV_WEIGHTS]).expanduser()
    checkout = _checkout_weights()
    if checkout is not None:
        return checkout
    cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache_home).expanduser() / "gpen-video"


def registered(name_or_path: str | os.PathLike[str]) -> WeightsEntry | None:
    """The manifest entry a ``--model``/detector argument means, or None when it is a path to use as is.

    A registry name always means its entry; a bare manifest file name does too unless such a file exists
    where it was given; anything else (a ``Path`` included) is a path.
    """
    if not isinstance(name_or_path, str):
        return None
    entry = find_entry(name_or_path)
    if entry is None or (name_or_path != entry.name and Path(name_or_path).is_file()):
        return None
    return entry


def resolve_weights(name_or_path: str | os.PathLike[str],
                    weights_dir: str | os.PathLike[str] | None = None) -> Path:
    """The existing file a registry name (or its file name) or a path means.

    A registry name is looked up in the weights folder (see ``weights_folder``); anything else is a path,
    used as it is. Raises WeightsNotFoundError, naming the path and how to get the file.
    """
    entry = registered(name_or_path)
    if entry is not None:
        path = weights_folder(weights_dir) / entry.file
        if not path.is_file():
            raise WeightsNotFoundError(f"weights file not found: {path} (run 'gpen-video weights fetch "
                                       f"{entry.name}' or pass --model PATH)")
        return path
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        known = ", ".join(e.name for e in entries() if e.kind == "gpen")
        raise WeightsNotFoundError(f"weights file not found: {path} (give an existing checkpoint file "
                                   f"or a known name: {known})")
    return path
