"""Data the face tests share: synthetic detections, the astronaut's reference points, frame tensors.

A plain module (not conftest) so tests can import it; pytest puts this folder on sys.path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from gpen_video.faces.records import Detections

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"  # beside the repository; tests that need it skip without it
WEIGHTS = SHARED / "weights"
MOBILE_FILE = WEIGHTS / "detection_mobilenet0.25_Final.pth"
INTERVIEW = SHARED / "media" / "face_interview_390x512.mp4"

# The astronaut's landmarks per ../shared/weights/README.md.
ASTRONAUT_POINTS = np.array([[204, 103], [245, 104], [224, 129], [203, 139], [245, 140]], dtype=np.float64)


def to_tensor(frames: np.ndarray) -> torch.Tensor:
    """RGB uint8 (H,W,3) or (N,H,W,3) -> float (N,3,H,W) in [0,1]."""
    frames = np.ascontiguousarray(frames if frames.ndim == 4 else frames[None])
    return torch.from_numpy(frames).permute(0, 3, 1, 2).float().div(255)


def dets_from_points(*faces: np.ndarray, score: float = 0.99) -> Detections:
    """Detections of faces given by their 5 points (each (5,2)); boxes put around the points."""
    if not faces:
        return Detections.empty()
    pts = np.stack(faces).astype(np.float32)
    centre = pts.mean(axis=1)
    half = 1.2 * np.abs(pts - centre[:, None]).max(axis=(1, 2))[:, None]
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    return Detections(boxes, pts, np.full(len(pts), score))


def face_points(cx: float, cy: float, size: float = 40.0) -> np.ndarray:
    """5 points of an upright face centred at (cx, cy) with inter-ocular distance ``size``."""
    unit = np.array([[-0.5, -0.4], [0.5, -0.4], [0.0, 0.15], [-0.4, 0.6], [0.4, 0.6]])
    return unit * size + np.array([cx, cy])
