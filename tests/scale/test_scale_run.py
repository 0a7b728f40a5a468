"""Split runs on Ray: the same file as a single-process run, bit for bit; resumable; damage redone.

One small Ray cluster (2 CPUs) serves the module, as a cluster would (``--ray-address``); one test
starts its own local Ray with ``--workers 2``. Every run is the real command in a subprocess, on a
lossless codec, so frames, timestamps and the copied audio can be compared exactly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scale_media import ONE_THREAD, RESTORE_ARGS, decoded, gpen_video, packets

from gpen_video.scale.manifest import Manifest, manifest_path, parts_folder
from tests.reference import REPO

SPLIT = ["--segment-frames", "8"]  # keyframes every 8 frames: 4 segments of 8
HOOK = "GPEN_VIDEO_SCALE_TEST_HOOK"


@pytest.fixture(scope="module")
def cluster(gop_clip):
    """The address of a 2-CPU Ray cluster whose workers run torch on one thread."""
    ray = pytest.importorskip("ray")
    saved = {name: os.environ.get(name) for name in ONE_THREAD}
    os.environ.update(ONE_THREAD)  # the cluster's processes inherit it
    try:
        context = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    finally:
        for name, value in saved.items():
            os.environ.pop(name) if value is None else os.environ.__setitem__(name, value)
    yield context.address_info["gcs_address"]
    ray.shutdown()


@pytest.fixture(scope="module")
def reference(gop_clip, tmp_path_factory) -> Path:
    """The single-process run everything is compared with."""
    out = tmp_path_factory.mktemp("reference") / "single.mkv"
    gpen_video(gop_clip, out, *RESTORE_ARGS)
    return out


def assert_same_file(path: Path, reference: Path) -> None:
    ours, theirs = decoded(path), decoded(reference)
    assert [pts for pts, _ in ours] == [pts for pts, _ in theirs]
    differing = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a[1] != b[1]]
    assert differing == [], f"frames {differing} differ from the single-process run"
    assert packets(path, "audio") == packets(reference, "audio")
    assert not parts_folder(path).exists() and not manifest_path(path).exists()


def test_local_workers_equal_single_process(gop_clip, reference, tmp_path):
    out = tmp_path / "split.mkv"
    result = gpen_video(gop_clip, out, *RESTORE_ARGS, *SPLIT, "--workers", "2")
    assert "4 segments: 0 reused, 4 rendered" in result.stderr
    assert_same_file(out, reference)


def test_killed_run_resumes_to_the_same_file(gop_clip, reference, cluster, tmp_path):
    out = tmp_path / "killed.mkv"
    args = [gop_clip, out, *RESTORE_ARGS, *SPLIT, "--ray-address", cluster]
    run = subprocess.Popen([sys.executable, "-m", "gpen_video", *map(str, args)], cwd=REPO,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           env={**os.environ, **ONE_THREAD, HOOK: "hang:2"})  # segment 2 never ends
    try:
        done = _wait_for_parts(manifest_path(out), run, at_least=1)
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
    assert done and not out.exists()
    result = gpen_video(*args, "--resume")
    assert f"4 segments: {len(done)} reused, {4 - len(done)} rendered" in result.stderr
    assert_same_file(out, reference)


def test_failed_segment_then_damaged_part_is_redone(gop_clip, reference, cluster, tmp_path):
    out = tmp_path / "damaged.mkv"
    args = [gop_clip, out, *RESTORE_ARGS, *SPLIT, "--ray-address", cluster]
    failed = gpen_video(*args, env={HOOK: "fail:3"}, check=False)
    assert failed.returncode == 1 and not out.exists()
    assert failed.stderr.strip().splitlines()[-1].startswith("gpen-video: segment 3 (frames 24..31)")
    assert "Traceback" not in failed.stderr
    recorded = Manifest.load(manifest_path(out)).parts
    assert recorded and 3 not in recorded
    victim = parts_folder(out) / recorded[min(recorded)].file
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(data)

    result = gpen_video(*args)  # the same command again resumes
    assert f"redone: {victim.name} is damaged" in result.stderr
    assert f"4 segments: {len(recorded) - 1} reused, {5 - len(recorded)} rendered" in result.stderr
    assert_same_file(out, reference)


def _wait_for_parts(path: Path, run: subprocess.Popen, at_least: int, timeout: float = 240) -> dict:
    """The parts the manifest records once it lists ``at_least`` of them (fails if the run ends first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        manifest = Manifest.load(path)
        if manifest is not None and len(manifest.parts) >= at_least:
            return manifest.parts
        if run.poll() is not None:
            pytest.fail(f"the run ended before it was killed:\n{run.stderr.read().decode()}")
        time.sleep(0.1)
    pytest.fail(f"no segment finished within {timeout} s")
