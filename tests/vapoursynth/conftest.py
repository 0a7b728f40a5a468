"""Clips for the VapourSynth filter's tests, made here from numpy frames (real faces where it matters)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
FACE_VIDEO = SHARED / "media" / "face_interview_390x512.mp4"
TINY_GPEN = SHARED / "golden" / "gpen_tiny.pth"
DETECTOR_DIR = SHARED / "weights"

# vsgpen lives in vapoursynth_plugin/ (see pyproject); make a plain checkout importable without installing
for path in (ROOT, ROOT / "vapoursynth_plugin"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

vs = pytest.importorskip("vapoursynth")

Planes = tuple[np.ndarray, ...]


@pytest.fixture
def set_threads():
    """``set_threads(n)`` sets ``core.num_threads`` for one test; the old count comes back afterwards."""
    before = vs.core.num_threads

    def set_(count: int) -> None:
        vs.core.num_threads = count

    yield set_
    vs.core.num_threads = before


def clip_from_planes(frames: Sequence[Planes], fmt: Any, props: Mapping[str, Any] | None = None) -> Any:
    """A clip whose frame i holds ``frames[i]`` (planar, in the format's own sample type)."""
    height, width = frames[0][0].shape
    blank = vs.core.std.BlankClip(width=width, height=height, format=fmt, length=len(frames))
    if props:
        blank = blank.std.SetFrameProps(**props)

    def fill(n: int, f: Any) -> Any:
        out = f.copy()
        for p, plane in enumerate(frames[n]):
            np.asarray(out[p])[...] = plane
        return out

    return blank.std.ModifyFrame(clips=blank, selector=fill)


def clip_planes(clip: Any, n: int) -> Planes:
    return tuple(np.array(plane, copy=True) for plane in clip.get_frame(n))


def planes_equal(a: Planes, b: Planes) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def decode_face_video(count: int) -> list[Planes]:
    """The first ``count`` frames of the shared interview clip as yuv420p planes (raw 8-bit codes)."""
    av = pytest.importorskip("av")
    if not FACE_VIDEO.exists():
        pytest.skip(f"shared media not found: {FACE_VIDEO}")
    frames = []
    with av.open(str(FACE_VIDEO)) as container:
        for frame in container.decode(video=0):
            planes = []
            for i, plane in enumerate(frame.planes):
                h = frame.height if i == 0 else (frame.height + 1) // 2
                w = frame.width if i == 0 else (frame.width + 1) // 2
                rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
                planes.append(rows[:h, :w].copy())
            frames.append(tuple(planes))
            if len(frames) == count:
                break
    return frames


def has_engine_stack() -> bool:
    """Whether the window engine and everything under it exist in this checkout yet."""
    names = ("gpen_video.window", "gpen_video.io", "gpen_video.restore.stage", "gpen_video.model")
    try:
        return all(importlib.util.find_spec(name) is not None for name in names)
    except ModuleNotFoundError:
        return False
