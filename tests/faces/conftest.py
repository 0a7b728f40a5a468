"""Fixtures for the face tests: the real detector, the astronaut, interview frames, the sample maker.

``../shared`` (beside the repository) holds the real RetinaFace mobile0.25 weights and two short face
clips; tests that need them skip when it is absent.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

import numpy as np
import pytest
import torch
from face_data import INTERVIEW, MOBILE_FILE, REPO, WEIGHTS

from gpen_video.options import DetectOptions


@pytest.fixture(scope="session")
def detector():
    if not MOBILE_FILE.is_file():
        pytest.skip(f"detector weights not found: {MOBILE_FILE}")
    from gpen_video.faces.detect import Detector

    torch.manual_seed(0)
    return Detector("retinaface_mobile0.25", WEIGHTS, "cpu", DetectOptions(detector="retinaface_mobile0.25"))


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    skimage_data = pytest.importorskip("skimage.data")
    return skimage_data.astronaut()


@pytest.fixture(scope="session")
def interview_frames() -> np.ndarray:
    """The first 24 frames of the shared interview clip, RGB uint8 (24,512,390,3)."""
    if not INTERVIEW.is_file():
        pytest.skip(f"media not found: {INTERVIEW}")
    import cv2  # reading test media only; the product decodes with PyAV in gpen_video.io

    cap = cv2.VideoCapture(str(INTERVIEW))
    frames = []
    while len(frames) < 24:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    cap.release()
    if not frames:
        pytest.skip(f"cv2 cannot decode {INTERVIEW}")
    return np.stack(frames)


@pytest.fixture(scope="session")
def sample_module() -> ModuleType:
    """samples/make_moving_face.py, loaded by path (samples/ is not a package)."""
    pytest.importorskip("skimage")
    path = REPO / "samples" / "make_moving_face.py"
    spec = importlib.util.spec_from_file_location("make_moving_face", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
