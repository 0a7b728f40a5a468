"""Fixtures for end-to-end tests: the real ``gpen-video`` command on clips made here and on real faces.

The network is the golden GPEN-mid from ``../shared/golden`` (128 px, random weights: it restores
nothing, but it is the real generator, so every stage runs as for a user); the detector is the real
RetinaFace mobile0.25 from ``../shared/weights``. Tests skip cleanly without ``../shared``.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from tests.reference import INTERVIEW


def decoded(path: Path) -> list[tuple[int, tuple[np.ndarray, ...]]]:
    """(pts, planes) of every video frame, planes as stored (no conversion)."""
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            planes = []
            for plane in frame.planes:
                dtype = np.uint16 if plane.line_size >= 2 * plane.width and frame.format.name.endswith("le") \
                    else np.uint8
                item = np.dtype(dtype).itemsize
                rows = np.frombuffer(plane, dtype).reshape(plane.height, plane.line_size // item)
                planes.append(rows[:, : plane.width].copy())
            frames.append((frame.pts, tuple(planes)))
    return frames


@pytest.fixture(scope="session")
def face_clip(tmp_path_factory, shared_present) -> Path:
    """24 frames of the real interview clip as lossless video (ffv1), with a French AAC track."""
    path = tmp_path_factory.mktemp("media") / "face.mkv"
    with av.open(str(INTERVIEW)) as source, av.open(str(path), "w") as out:
        video = out.add_stream("ffv1", rate=20)
        video.width, video.height, video.pix_fmt = 390, 512, "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "stereo"
        audio.metadata["language"] = "fra"
        for i, frame in enumerate(source.decode(video=0)):
            if i == 24:
                break
            frame.pts, frame.time_base = i, Fraction(1, 20)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        samples = np.zeros((2, 1024), dtype=np.float32)
        for k in range(int(24 / 20 * 48000 / 1024)):
            samples[:] = np.sin(np.arange(1024) * 0.05 + k)[None] * 0.2
            chunk = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
            chunk.sample_rate, chunk.pts = 48000, k * 1024
            out.mux(audio.encode(chunk))
        out.mux(audio.encode())
    return path
