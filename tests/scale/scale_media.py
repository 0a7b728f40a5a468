"""Fixtures for the scale-out tests: a real face clip with short GOPs and audio, and the real command.

The clip is the shared interview footage re-encoded here (h264 with B-frames, a keyframe every 8
frames, an AAC track), so a split run has several keyframes to cut at, reorders frames on decode and
copies a stream at the join. The network is the golden GPEN-mid and the detector the real RetinaFace
mobile0.25, both from ``../shared``; tests skip cleanly without it.
"""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from tests.reference import GPEN_MID, INTERVIEW, WEIGHTS
from tests.reference import gpen_video as _run

CLIP_FRAMES, GOP, FPS = 32, 8, 20
# the real network and detector, small enough for the CPU; a short window (K = 4 + 1) keeps it quick
RESTORE_ARGS = ["--model", str(GPEN_MID), "--detector", "retinaface_mobile0.25", "--weights-dir", str(WEIGHTS),
                "--track-radius", "4", "--blend-radius", "1", "--codec", "ffv1", "--stats"]
# CPU kernels may round differently with another thread count; one thread in every process (the
# reference run, local Ray workers, the test cluster's workers) makes "bit for bit" hold on any machine
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def gpen_video(*args: str | Path, env: dict[str, str] | None = None, check: bool = True,
               timeout: float = 300) -> subprocess.CompletedProcess:
    """The real command, one thread per process (see ONE_THREAD)."""
    return _run(*args, env={**ONE_THREAD, **(env or {})}, check=check, timeout=timeout)


def decoded(path: Path) -> list[tuple[int, bytes]]:
    """(pts, sample bytes) of every video frame, as stored (no conversion, no row padding)."""
    with av.open(str(path)) as container:
        return [(frame.pts, frame.to_ndarray().tobytes()) for frame in container.decode(video=0)]


def packets(path: Path, kind: str) -> list[tuple[int | None, bytes]]:
    """(pts, payload) of every packet of the first stream of ``kind`` ("audio", ...)."""
    with av.open(str(path)) as container:
        stream = getattr(container.streams, kind)[0]
        return [(p.pts, bytes(p)) for p in container.demux(stream) if p.size]


@pytest.fixture(scope="session")
def gop_clip(tmp_path_factory, shared_present) -> Path:
    """32 frames of the interview at half size, h264 (B-frames, keyframes 0, 8, 16, 24) plus AAC."""
    path = tmp_path_factory.mktemp("scale-media") / "interview.mp4"
    options = {"g": str(GOP), "keyint_min": str(GOP), "sc_threshold": "0", "bf": "2", "crf": "18"}
    with av.open(str(INTERVIEW)) as source, av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS, options=options)
        video.width, video.height, video.pix_fmt = 194, 256, "yuv420p"
        audio = out.add_stream("aac", rate=16000, layout="mono")  # every stream before the first packet
        for i, frame in enumerate(source.decode(video=0)):
            if i == CLIP_FRAMES:
                break
            small = frame.reformat(width=194, height=256, format="yuv420p")
            small.pts, small.time_base = i, Fraction(1, FPS)
            out.mux(video.encode(small))
        out.mux(video.encode())
        _add_tone(out, audio, seconds=CLIP_FRAMES / FPS)
    return path


@pytest.fixture(scope="session")
def synthetic_clip(tmp_path_factory) -> Path:
    """40 moving-gradient frames, 64x48, h264 with B-frames and a keyframe every 8, plus AAC."""
    path = tmp_path_factory.mktemp("scale-synthetic") / "gradient.mp4"
    options = {"g": str(GOP), "keyint_min": str(GOP), "sc_threshold": "0", "bf": "2"}
    y, x = np.mgrid[0:48, 0:64]
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS, options=options)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = out.add_stream("aac", rate=16000, layout="mono")
        for i in range(40):
            rgb = np.stack([(x * 4 + i * 6) % 256, (y * 5 + i * 3) % 256, np.full_like(x, i * 6)], -1)
            frame = av.VideoFrame.from_ndarray(rgb.astype(np.uint8), format="rgb24").reformat(format="yuv420p")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        _add_tone(out, audio, seconds=40 / FPS)
    return path


def _add_tone(out: av.container.OutputContainer, audio: av.audio.stream.AudioStream, seconds: float) -> None:
    rate = audio.rate
    tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(int(rate * seconds)) / rate)).astype(np.float32)
    for start in range(0, len(tone), 1024):
        chunk = av.AudioFrame.from_ndarray(tone[None, start:start + 1024], format="flt", layout="mono")
        chunk.sample_rate, chunk.pts, chunk.time_base = rate, start, Fraction(1, rate)
        out.mux(audio.encode(chunk))
    out.mux(audio.encode())
