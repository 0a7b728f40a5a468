"""Faces in video: detection (facexlib RetinaFace), scene cuts, tracking and landmark smoothing.

Only the records are imported eagerly; the stages load on first use, so code that just passes
``Detections`` / ``TrackedFaces`` around imports neither facexlib, filterpy nor scipy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from gpen_video.faces.records import Detections, TrackedFaces

if TYPE_CHECKING:
    from gpen_video.faces.detect import Detector
    from gpen_video.faces.scenecut import frame_signature, frame_signatures, is_cut
    from gpen_video.faces.track import track_window

_LAZY = {
    "Detector": "gpen_video.faces.detect",
    "frame_signature": "gpen_video.faces.scenecut",
    "frame_signatures": "gpen_video.faces.scenecut",
    "is_cut": "gpen_video.faces.scenecut",
    "track_window": "gpen_video.faces.track",
}
__all__ = [
    "Detections",
    "Detector",
    "TrackedFaces",
    "frame_signature",
    "frame_signatures",
    "is_cut",
    "track_window",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gpen_video.faces' has no attribute {name!r}")
