"""The Detections and TrackedFaces records validate their arrays and cannot be changed in place."""

from __future__ import annotations

import numpy as np
import pytest

from gpen_video.faces.records import Detections, TrackedFaces


def _tracked(n: int = 1, radius: int = 2, **override) -> TrackedFaces:
    chain = np.full((n, 2 * radius + 1), -1)
    chain[:, radius] = np.arange(n)
    fields = {
        "points": np.zeros((n, 5, 2)),
        "boxes_xyxy": np.zeros((n, 4)),
        "scores": np.ones(n),
        "weights": np.ones(n),
        "det_index": np.arange(n),
        "chain": chain,
        "track_id": np.arange(n),
    }
    return TrackedFaces(**(fields | override))


def test_detections_coerce_dtypes_and_are_read_only():
    d = Detections([[0, 0, 10, 10]], np.ones((1, 5, 2), dtype=np.float64), [0.95])
    assert d.boxes_xyxy.dtype == np.float32 and d.points.dtype == np.float32 and d.scores.dtype == np.float32
    assert len(d) == 1
    with pytest.raises(ValueError):
        d.points[0, 0, 0] = 5


def test_detections_copy_their_input():
    pts = np.ones((1, 5, 2), dtype=np.float32)
    d = Detections(np.zeros((1, 4)), pts, np.ones(1))
    pts[:] = 7
    assert d.points.max() == 1


@pytest.mark.parametrize(
    ("boxes", "points", "scores"),
    [
        (np.zeros((1, 5)), np.zeros((1, 5, 2)), np.zeros(1)),  # box with 5 values
        (np.zeros((1, 4)), np.zeros((1, 4, 2)), np.zeros(1)),  # 4 landmarks
        (np.zeros((2, 4)), np.zeros((1, 5, 2)), np.zeros(1)),  # lengths differ
        (np.zeros((1, 4)), np.full((1, 5, 2), np.nan), np.zeros(1)),  # not finite
    ],
)
def test_detections_reject_bad_arrays(boxes, points, scores):
    with pytest.raises(ValueError):
        Detections(boxes, points, scores)


def test_empty_records():
    assert len(Detections.empty()) == 0
    empty = TrackedFaces.empty(radius=3)
    assert len(empty) == 0 and empty.chain.shape == (0, 7) and empty.radius == 3


def test_tracked_faces_valid_record():
    t = _tracked(n=2, radius=2)
    assert len(t) == 2 and t.radius == 2 and t.chain.dtype == np.int64


@pytest.mark.parametrize(
    "override",
    [
        {"weights": np.array([1.5])},
        {"det_index": np.array([3])},  # not the chain's centre column
        {"chain": np.zeros((1, 4), dtype=np.int64)},  # even width
        {"track_id": np.array([0, 0]), "points": np.zeros((2, 5, 2))},  # lengths differ
    ],
)
def test_tracked_faces_reject_inconsistent_fields(override):
    with pytest.raises(ValueError):
        _tracked(**override)


def test_tracked_faces_reject_duplicate_track_ids():
    with pytest.raises(ValueError, match="unique"):
        _tracked(n=2, track_id=np.array([4, 4]))
