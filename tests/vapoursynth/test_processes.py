"""The filter as users run it: ``vspipe`` writing y4m to stdout, and frame for frame against the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import vapoursynth as vs
import vsgpen
from vs_clips import ROOT, clip_from_planes, clip_planes, decode_face_video, decode_planes, engine_args, write_ffv1

COUNT = 6
SCRIPT = """\
import sys
import vapoursynth as vs
sys.path.insert(0, {tests!r})
from vs_clips import clip_from_planes, decode_planes
import vsgpen
clip = clip_from_planes(decode_planes({source!r}), vs.YUV420P8)
vsgpen.gpen(clip, **{args!r}).set_output()
"""


@pytest.fixture(scope="module")
def made_input(tmp_path_factory) -> Path:
    return write_ffv1(tmp_path_factory.mktemp("media") / "interview.mkv", decode_face_video(COUNT))


@pytest.fixture(scope="module")
def filtered(made_input) -> list[tuple[np.ndarray, ...]]:
    """The filter's frames, in this process, for the frames decoded from the made file."""
    out = vsgpen.gpen(clip_from_planes(decode_planes(made_input), vs.YUV420P8), **engine_args())
    return [clip_planes(out, n) for n in range(out.num_frames)]


def _environment() -> dict[str, str]:
    # a plain checkout (not installed) still finds both packages
    paths = [str(ROOT), str(ROOT / "vapoursynth_plugin"), os.environ.get("PYTHONPATH", "")]
    return os.environ | {"PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def _read_y4m(data: bytes, width: int, height: int) -> list[tuple[np.ndarray, ...]]:
    header, _, body = data.partition(b"\n")
    assert header.startswith(b"YUV4MPEG2 ") and f" W{width} H{height} ".encode() in header + b" "
    cw, ch = (width + 1) // 2, (height + 1) // 2
    size = width * height + 2 * cw * ch
    frames = []
    while body:
        assert body.startswith(b"FRAME\n"), "stdout holds something other than y4m frames"
        raw = np.frombuffer(body[6:6 + size], np.uint8)
        assert raw.size == size, "truncated frame"
        frames.append((raw[:width * height].reshape(height, width),
                       raw[width * height:width * height + cw * ch].reshape(ch, cw),
                       raw[width * height + cw * ch:].reshape(ch, cw)))
        body = body[6 + size:]
    return frames


def test_vspipe_writes_clean_y4m_with_the_filters_frames(made_input, filtered, tmp_path) -> None:
    vspipe = shutil.which("vspipe", path=str(Path(sys.executable).parent)) or shutil.which("vspipe")
    if vspipe is None:
        pytest.skip("vspipe not found")
    script = tmp_path / "restore.vpy"
    tests = str(Path(__file__).parent)
    script.write_text(SCRIPT.format(tests=tests, source=str(made_input), args=engine_args()))
    done = subprocess.run([vspipe, "-c", "y4m", str(script), "-"], capture_output=True, env=_environment(),
                          timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    frames = _read_y4m(done.stdout, 390, 512)
    assert len(frames) == COUNT
    for n, (got, expected) in enumerate(zip(frames, filtered, strict=True)):
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_array_equal(g, e, err_msg=f"frame {n}")


def test_frames_equal_the_clis_for_the_same_decoded_input(made_input, filtered, tmp_path) -> None:
    if not (ROOT / "gpen_video" / "cli" / "restore.py").exists():
        pytest.skip("the restore CLI is not in this checkout yet")
    args = engine_args()
    output = tmp_path / "restored.mkv"
    command = [sys.executable, "-m", "gpen_video", str(made_input), str(output), "--model", args["model"],
               "--weights-dir", args["weights"], "--detector", args["detector"], "--device", "cpu",
               "--codec", "ffv1", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, env=_environment(), timeout=300)
    assert done.returncode == 0, done.stderr
    restored = decode_planes(output)
    assert len(restored) == COUNT
    for n, (got, expected) in enumerate(zip(filtered, restored, strict=True)):
        assert not np.array_equal(got[0], decode_planes(made_input)[n][0])  # faces were restored
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_array_equal(g, e, err_msg=f"frame {n}")
