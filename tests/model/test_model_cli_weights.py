"""``gpen-video weights list / verify`` as a user runs them, against a temporary weights folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def gpen_video(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    env.pop("GPEN_VIDEO_WEIGHTS", None)
    return subprocess.run([sys.executable, "-m", "gpen_video", "weights", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)


def test_list_shows_every_entry_and_its_state(tmp_path: Path) -> None:
    (tmp_path / "GPEN-BFR-512.pth").write_bytes(b"not the real file")
    result = gpen_video("list", "--weights-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"weights folder: {tmp_path}"
    rows = {line.split()[0]: line for line in lines[2:]}
    assert list(rows) == ["GPEN-BFR-256", "GPEN-BFR-512", "GPEN-BFR-1024", "GPEN-BFR-2048",
                          "retinaface_resnet50", "retinaface_mobile0.25", "parsenet"]
    assert " corrupt " in rows["GPEN-BFR-512"] and "284.1 MB" in rows["GPEN-BFR-512"]
    assert " missing " in rows["GPEN-BFR-256"] and "non-commercial" in rows["GPEN-BFR-256"]


def test_verify_passes_a_good_file(shared_weights: Path, tmp_path: Path) -> None:
    shutil.copy(shared_weights / "detection_mobilenet0.25_Final.pth", tmp_path)
    result = gpen_video("--weights-dir", str(tmp_path), "verify")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("retinaface_mobile0.25: verified")
    listed = gpen_video("list", "--weights-dir", str(tmp_path)).stdout
    assert any(line.startswith("retinaface_mobile0.25") and " verified " in line for line in listed.splitlines())


def test_verify_fails_a_corrupt_file_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "detection_mobilenet0.25_Final.pth").write_bytes(b"\0" * 1789735)
    result = gpen_video("verify", "--weights-dir", str(tmp_path))
    assert result.returncode == 1
    assert "retinaface_mobile0.25: corrupt" in result.stdout
    assert result.stderr.startswith("gpen-video: retinaface_mobile0.25 failed verification")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_verify_of_a_missing_name_and_usage_errors(tmp_path: Path) -> None:
    missing = gpen_video("verify", "GPEN-BFR-256", "--weights-dir", str(tmp_path))
    assert missing.returncode == 1 and "weights fetch GPEN-BFR-256" in missing.stderr
    unknown = gpen_video("fetch", "GPEN-BFR-99", "--weights-dir", str(tmp_path))
    assert unknown.returncode == 2 and "unknown weights name: GPEN-BFR-99" in unknown.stderr
    nothing = gpen_video("fetch", "--weights-dir", str(tmp_path))
    assert nothing.returncode == 2
    assert list(tmp_path.iterdir()) == []
