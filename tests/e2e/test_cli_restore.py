"""The ``gpen-video`` command end to end: what a user runs, checked the way a film restorer would."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from e2e_media import decoded

from tests.media import make_video, stream_packets
from tests.reference import DETECTOR_ARGS, INTERVIEW, MODEL_ARGS, REPO, gpen_video


@pytest.fixture(scope="module")
def restored(face_clip, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("restored") / "out.mkv"
    gpen_video(face_clip, out, *MODEL_ARGS, "--codec", "ffv1")
    return out


@pytest.fixture(scope="module")
def tracks(face_clip, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("tracks") / "tracks.json"
    gpen_video("track", face_clip, "--json", out, *DETECTOR_ARGS)
    return json.loads(out.read_text())


def test_frames_timestamps_and_audio_are_kept(face_clip, restored):
    before, after = decoded(face_clip), decoded(restored)
    assert [pts for pts, _ in after] == [pts for pts, _ in before]
    source_audio, output_audio = stream_packets(face_clip), stream_packets(restored)
    assert list(output_audio.values()) == list(source_audio.values())  # byte-identical packets


def test_only_faces_change(face_clip, restored, tracks):
    """Pixels outside the faces' crop squares are those of the lossless input, bit for bit."""
    for (_, source), (_, output), record in zip(decoded(face_clip), decoded(restored), tracks["frames"],
                                                 strict=True):
        changed = source[0] != output[0]
        assert record["tracks"], "the real face was not tracked"
        assert changed.any(), f"frame {record['index']}: no face was restored"
        allowed = np.zeros_like(changed)
        for track in record["tracks"]:
            x0, y0, x1, y1 = track["box"]
            side = max(x1 - x0, y1 - y0)  # the GPEN crop is looser than the detector's box
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            allowed[max(0, int(cy - 1.6 * side)):int(cy + 1.6 * side),
                    max(0, int(cx - 1.6 * side)):int(cx + 1.6 * side)] = True
        assert not (changed & ~allowed).any(), f"frame {record['index']}: pixels changed outside the faces"


def test_same_output_twice(face_clip, restored, tmp_path):
    again = tmp_path / "again.mkv"
    gpen_video(face_clip, again, *MODEL_ARGS, "--codec", "ffv1")
    for (_, a), (_, b) in zip(decoded(restored), decoded(again), strict=True):
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_windowed_run_equals_whole_run(face_clip, restored, tmp_path):
    """Restoring only 0.4 s .. 0.8 s gives exactly the whole run's pixels there (DESIGN rule 1)."""
    part = tmp_path / "part.mkv"
    gpen_video(face_clip, part, *MODEL_ARGS, "--codec", "ffv1", "--start", "0.4", "--end", "0.8")
    source, whole, windowed = decoded(face_clip), decoded(restored), decoded(part)
    inside = [i for i, (pts, _) in enumerate(source) if 0.4 <= pts / 1000 < 0.8]  # mkv: 1 ms ticks
    assert inside
    for i in range(len(source)):
        expected = whole[i][1] if i in inside else source[i][1]
        assert all(np.array_equal(x, y) for x, y in zip(windowed[i][1], expected, strict=True)), i


def test_video_without_faces_is_a_faithful_transcode(tmp_path, shared_present):
    source = make_video(tmp_path / "noface.mkv", codec="ffv1", pix_fmt="yuv420p10le", n_frames=10,
                        size=(96, 64), audio_tracks=("eng", "deu"))
    out = tmp_path / "out.mkv"
    gpen_video(source, out, *MODEL_ARGS, "--codec", "ffv1")
    before, after = decoded(source), decoded(out)
    assert [p for p, _ in after] == [p for p, _ in before]
    for (_, a), (_, b) in zip(before, after, strict=True):
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert list(stream_packets(out).values()) == list(stream_packets(source).values())


def test_ctrl_c_leaves_nothing_behind(tmp_path, shared_present):
    out = tmp_path / "out.mp4"
    process = subprocess.Popen([sys.executable, "-m", "gpen_video", str(INTERVIEW), str(out), *MODEL_ARGS],
                               cwd=REPO, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(tmp_path.iterdir()):
        time.sleep(0.2)  # wait until the temporary output exists: the run is under way
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []


ERROR_CASES = {  # name: (arguments, exit code, words the message must hold)
    "missing input": (["{tmp}/missing.mp4", "{tmp}/out.mp4"], 1, "not found"),
    "bad strength": (["{clip}", "{tmp}/out.mp4", "--strength", "2"], 2, "--strength"),
    "output is the input": (["{clip}", "{clip}"], 1, "input"),
    "missing checkpoint": (["{clip}", "{tmp}/out.mp4", "--model", "{tmp}/nowhere.pth"], 1, "nowhere.pth"),
    "unknown codec": (["{clip}", "{tmp}/out.mp4", "--codec", "nosuchcodec"], 2, "nosuchcodec"),
    "unknown device": (["{clip}", "{tmp}/out.mp4", "--device", "tpu"], 2, "tpu"),
}


@pytest.mark.parametrize("case", ERROR_CASES)
def test_errors_are_one_clear_line(face_clip, tmp_path, case):
    template, code, words = ERROR_CASES[case]
    args = [a.format(clip=face_clip, tmp=tmp_path) for a in template]
    args += DETECTOR_ARGS if "--model" in args else MODEL_ARGS  # the test detector either way
    result = gpen_video(*args, check=False)
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpen-video: ") and words in lines[0], result.stderr
    assert not (tmp_path / "out.mp4").exists()


def test_help_reads_well():
    result = gpen_video("--help")
    assert "Restore the faces" in result.stdout and "--strength" in result.stdout
    assert "weights list" in result.stdout
