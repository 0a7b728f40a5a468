"""The record of a split run beside its output: what the job is, and which parts are done (sha256).

A long run must survive a crash without redoing finished work, and must never join a part that is
damaged or belongs to another job. So the manifest holds a description of the job (the input's
identity, every option that changes pixels or encoding, the segment plan), and each finished part's
file name, size and sha256, written after the part is complete. It is replaced atomically (write a
temporary file, then rename), so a crash while saving leaves the previous version.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpen_video import __version__
from gpen_video.errors import OutputError
from gpen_video.options import Options

FORMAT = "gpen-video segments"
VERSION = 1


@dataclass(frozen=True)
class PartRecord:
    """One finished segment file: its name in the parts folder, size in bytes, sha256, frame count."""

    number: int
    file: str
    bytes: int
    sha256: str
    frames: int


def parts_folder(target: Path) -> Path:
    """Where a split run keeps its segment files: ``out.mkv`` -> ``out.mkv.parts``."""
    return target.with_name(target.name + ".parts")


def manifest_path(target: Path) -> Path:
    """The manifest beside the output: ``out.mkv`` -> ``out.mkv.manifest.json``."""
    return target.with_name(target.name + ".manifest.json")


def sha256_file(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def describe_job(source: str | os.PathLike[str], frame_count: int, options: Options,
                 span: tuple[float | None, float | None], segments: Sequence[tuple[int, int]]) -> dict[str, Any]:
    """What makes two runs produce the same parts: the input's identity, the options, the plan.

    ``overwrite`` is left out: it is about the output name, not its content. The input is known by
    its absolute path, size and modification time (hashing a feature film would take minutes).
    """
    path = Path(source).resolve()
    stat = path.stat() if path.is_file() else None
    settings = dataclasses.asdict(options)
    settings["encode"].pop("overwrite", None)
    job = {
        "input": {"path": str(path), "bytes": stat.st_size if stat else None,
                  "modified_ns": stat.st_mtime_ns if stat else None},
        "frames": frame_count,
        "options": settings,
        "span": list(span),
        "segments": [list(s) for s in segments],
        "gpen_video": __version__,
    }
    return json.loads(json.dumps(job, default=str))  # as it reads back from the file


class Manifest:
    """The job description and finished parts of one split run, saved at ``path`` on every change."""

    def __init__(self, path: Path, job: Mapping[str, Any], parts: Mapping[int, PartRecord] | None = None):
        self.path, self.job = path, dict(job)
        self.parts: dict[int, PartRecord] = dict(parts or {})

    @classmethod
    def load(cls, path: Path) -> Manifest | None:
        """The manifest at ``path``; None when there is none or it is not one of ours (unreadable)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("version") != VERSION:
                return None
            parts = {int(k): PartRecord(**v) for k, v in data["parts"].items()}
            return cls(path, data["job"], parts)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def save(self) -> None:
        data = {"format": FORMAT, "version": VERSION, "job": self.job,
                "parts": {str(n): dataclasses.asdict(p) for n, p in sorted(self.parts.items())}}
        temp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        try:
            with open(temp, "w", encoding="utf-8") as file:
                json.dump(data, file, indent=1)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, self.path)
        except OSError as error:
            temp.unlink(missing_ok=True)
            raise OutputError(f"cannot write the manifest {self.path}: {error.strerror or error}") from error

    def record(self, part: PartRecord) -> None:
        """Note a finished part and save at once, so a crash a moment later keeps it."""
        self.parts[part.number] = part
        self.save()

    def differences(self, job: Mapping[str, Any]) -> list[str]:
        """Dotted names of what differs between this manifest's job and ``job`` (empty: the same job)."""
        return _differences(self.job, job, "")

    def verify(self, folder: Path) -> list[str]:
        """Drop the parts whose file is missing or whose size or sha256 differs; say what was dropped."""
        problems = []
        for number, part in sorted(self.parts.items()):
            path = folder / part.file
            if not path.is_file():
                problems.append(f"{part.file} is missing")
            elif path.stat().st_size != part.bytes or sha256_file(path) != part.sha256:
                problems.append(f"{part.file} is damaged (its sha256 differs from the manifest)")
            else:
                continue
            del self.parts[number]
        return problems


def _differences(old: Any, new: Any, prefix: str) -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new), key=str):
            found += _differences(old.get(key), new.get(key), f"{prefix}{key}.")
        return found
    return [] if old == new else [prefix.rstrip(".") or "everything"]
