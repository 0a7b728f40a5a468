"""Film-scan fidelity end to end: black-and-white stays black-and-white, grain only on faces."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from e2e_media import decoded

from tests.reference import MODEL_ARGS, gpen_video


def _monochrome_copy(source: Path, target: Path, pix_fmt: str, frames: int = 12) -> Path:
    """The source's luma as a black-and-white ffv1 clip: gray, or yuv420p with neutral chroma."""
    with av.open(str(source)) as src, av.open(str(target), "w") as out:
        stream = out.add_stream("ffv1", rate=20)
        stream.width, stream.height, stream.pix_fmt = 390, 512, pix_fmt
        for i, frame in zip(range(frames), src.decode(video=0), strict=False):
            luma = frame.to_ndarray(format="gray")
            mono = av.VideoFrame.from_ndarray(luma, format="gray")
            if pix_fmt != "gray":
                mono = mono.reformat(format=pix_fmt)
            mono.pts, mono.time_base = i, Fraction(1, 20)
            out.mux(stream.encode(mono))
        out.mux(stream.encode())
    return target


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "gray"])
def test_black_and_white_stays_black_and_white(face_clip, tmp_path, pix_fmt):
    source = _monochrome_copy(face_clip, tmp_path / f"bw_{pix_fmt}.mkv", pix_fmt)
    out = tmp_path / "out.mkv"
    gpen_video(source, out, *MODEL_ARGS, "--codec", "ffv1")
    for (_, before), (_, after) in zip(decoded(source), decoded(out), strict=True):
        assert len(after) == len(before)
        assert not np.array_equal(after[0], before[0])  # the face's luma was restored
        for chroma_before, chroma_after in zip(before[1:], after[1:], strict=True):
            assert np.array_equal(chroma_after, chroma_before)  # chroma bit for bit


def test_grain_changes_only_faces(face_clip, tmp_path):
    with_grain, without = tmp_path / "grain.mkv", tmp_path / "plain.mkv"
    gpen_video(face_clip, with_grain, *MODEL_ARGS, "--codec", "ffv1", "--grain", "2")
    gpen_video(face_clip, without, *MODEL_ARGS, "--codec", "ffv1", "--grain", "off")
    source = decoded(face_clip)
    for (_, a), (_, b), (_, s) in zip(decoded(with_grain), decoded(without), source, strict=True):
        differs = a[0] != b[0]
        assert differs.any()  # grain was added
        untouched = (a[0] == s[0]) & (b[0] == s[0])
        assert untouched[480:].all()  # below the faces, both are the source


def test_bad_grain_value_is_a_usage_error(face_clip, tmp_path):
    result = gpen_video(face_clip, tmp_path / "out.mkv", *MODEL_ARGS, "--grain", "lots", check=False)
    assert result.returncode == 2 and "--grain must be auto, off or a number" in result.stderr
