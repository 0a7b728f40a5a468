"""Where the reference data lives, and how tests run the real ``gpen-video`` command.

``../shared`` beside the checkout holds the golden GPEN models, the real RetinaFace mobile0.25 weights
and two real face clips; tests that need them skip cleanly when it is absent (``require``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
GPEN_MID = SHARED / "golden" / "gpen_mid.pth"  # 128 px, the real generator with random weights
WEIGHTS = SHARED / "weights"
MOBILE_WEIGHTS = WEIGHTS / "detection_mobilenet0.25_Final.pth"
INTERVIEW = SHARED / "media" / "face_interview_390x512.mp4"
DETECTOR_ARGS = ["--detector", "retinaface_mobile0.25", "--weights-dir", str(WEIGHTS)]
MODEL_ARGS = ["--model", str(GPEN_MID), *DETECTOR_ARGS]  # the real network and detector, CPU-sized


def require(*paths: Path) -> None:
    """Skip the calling test or fixture unless every reference file is there."""
    for path in paths:
        if not path.is_file():
            pytest.skip(f"reference data not found: {path}")


def gpen_video(*args: str | Path, env: dict[str, str] | None = None, check: bool = True,
               timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real command as a user would; stdout and stderr captured as text."""
    result = subprocess.run([sys.executable, "-m", "gpen_video", *map(str, args)], capture_output=True,
                            text=True, timeout=timeout, cwd=REPO, env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"gpen-video failed ({result.returncode}):\n{result.stderr}")
    return result
