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
    if not FACE_VIDEO.exists():
        pytest.skip(f"shared media not found: {FACE_VIDEO}")
    return decode_planes(FACE_VIDEO, count)


def decode_planes(path: Path, count: int | None = None) -> list[Planes]:
    """Frames of an 8-bit planar video file as planes cut out of PyAV's padded plane buffers."""
    import av

    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            frames.append(tuple(_plane(frame, i) for i in range(len(frame.planes))))
            if len(frames) == count:
                break
    return frames


def _plane(frame: Any, index: int) -> np.ndarray:
    plane = frame.planes[index]
    rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
    return rows[:plane.height, :plane.width].copy()


def write_ffv1(path: Path, frames: Sequence[Planes], rate: int = 20) -> Path:
    """A lossless yuv420p file holding exactly ``frames``, for the CLI and vspipe to read."""
    import av

    height, width = frames[0][0].shape
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index, planes in enumerate(frames):
            frame = av.VideoFrame(width, height, "yuv420p")
            for plane, values in zip(frame.planes, planes, strict=True):
                padded = np.zeros((plane.height, plane.line_size), np.uint8)
                padded[:, :plane.width] = values
                plane.update(padded.tobytes())
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def has_engine_stack() -> bool:
    """Whether the window engine and everything under it exist in this checkout yet."""
    names = ("gpen_video.window", "gpen_video.io", "gpen_video.restore.stage", "gpen_video.model")
    try:
        return all(importlib.util.find_spec(name) is not None for name in names)
    except ModuleNotFoundError:
        return False


def engine_args() -> dict[str, Any]:
    """gpen() keywords for a small real GPEN and the real mobile detector, on the CPU; skips without them."""
    if not has_engine_stack():
        pytest.skip("the window engine is not in this checkout yet")
    if not (TINY_GPEN.exists() and (DETECTOR_DIR / "detection_mobilenet0.25_Final.pth").exists()):
        pytest.skip(f"shared golden model or detector weights not found under {SHARED}")
    return {"model": str(TINY_GPEN), "weights": str(DETECTOR_DIR), "detector": "retinaface_mobile0.25",
            "device_index": -1}
