"""track_window on synthetic detections: linking, gaps, cuts, ramps, selection, window determinism."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from face_data import dets_from_points, face_points

from gpen_video.errors import UsageError
from gpen_video.faces.records import Detections, TrackedFaces
from gpen_video.faces.track import track_clip, track_window
from gpen_video.options import TrackOptions

OPTS = TrackOptions()
R = OPTS.track_radius
SIZE = (640, 480)


def _walk(n: int, start=(200.0, 200.0), step=(2.0, 0.5)) -> list[np.ndarray]:
    return [face_points(start[0] + i * step[0], start[1] + i * step[1]) for i in range(n)]


def _weights(faces: list[TrackedFaces]) -> np.ndarray:
    return np.array([f.weights.sum() for f in faces])


def _assert_same(a: TrackedFaces, b: TrackedFaces) -> None:
    for name in a.__dataclass_fields__:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_steady_face_is_followed_with_full_weight():
    path = _walk(30)
    dets = [dets_from_points(p) for p in path]
    faces = track_clip(dets, [False] * 30, OPTS, SIZE)
    assert all(len(f) == 1 for f in faces)
    assert np.all(_weights(faces) == 1.0)
    for t, f in enumerate(faces):
        assert f.det_index[0] == 0 and f.chain.shape == (1, 2 * R + 1)
        known = [c for c in range(2 * R + 1) if 0 <= t - R + c < 30]
        assert np.all(f.chain[0, known] == 0) and np.all(np.delete(f.chain[0], known) == -1)
        np.testing.assert_allclose(f.points[0], path[t], atol=0.05)  # a straight line stays straight
        assert f.boxes_xyxy[0, 0] < path[t][:, 0].min() and f.boxes_xyxy[0, 2] > path[t][:, 0].max()


def test_smoothing_removes_most_of_the_jitter():
    rng = np.random.default_rng(1)
    n = 80
    t = np.arange(n)
    centre = np.stack([300 + 60 * np.sin(t / 15), 240 + 30 * np.cos(t / 11)], axis=1)
    truth = np.stack([face_points(x, y, 60) for x, y in centre])
    noisy = truth + rng.normal(0, 1.5, truth.shape)
    faces = track_clip([dets_from_points(p) for p in noisy], [False] * n, OPTS, SIZE)
    smooth = np.stack([f.points[0] for f in faces])

    def jitter(p):
        d = p - truth
        return np.sqrt(np.mean((d[2:] - 2 * d[1:-1] + d[:-2]) ** 2))

    assert jitter(smooth) < 0.25 * jitter(noisy)
    assert np.sqrt(np.mean((smooth - truth) ** 2)) < np.sqrt(np.mean((noisy - truth) ** 2))


def test_fast_move_is_followed_without_lag():
    n = 40
    x = 200 + 120 * np.clip((np.arange(n) - 18) / 4, 0, 1)  # 120 px in 4 frames
    truth = np.stack([face_points(v, 240, 60) for v in x])
    faces = track_clip([dets_from_points(p) for p in truth], [False] * n, OPTS, SIZE)
    smooth = np.stack([f.points[0] for f in faces])
    assert np.abs(smooth - truth).max() < 0.1 * 60


def test_two_faces_keep_their_chains():
    a, b = _walk(25, (150, 200), (3, 0)), _walk(25, (450, 210), (-3, 0))
    dets = [
        dets_from_points(p, q) if i % 2 else dets_from_points(q, p) for i, (p, q) in enumerate(zip(a, b, strict=True))
    ]
    faces = track_clip(dets, [False] * 25, OPTS, SIZE)
    for t, f in enumerate(faces):
        assert len(f) == 2 and len(set(f.track_id)) == 2
        left = int(np.argmin(f.points[:, 2, 0]))
        np.testing.assert_allclose(f.points[left], a[t], atol=0.2)
        np.testing.assert_allclose(f.points[1 - left], b[t], atol=0.2)
        for c in range(2 * R + 1):  # the chain follows face a whichever slot it has
            s = t - R + c
            if 0 <= s < 25:
                assert f.chain[left, c] == (0 if s % 2 else 1)


def test_short_occlusion_is_bridged():
    path = _walk(30)
    gap = range(12, 15)  # 3 frames <= max_misses
    dets = [Detections.empty() if i in gap else dets_from_points(p) for i, p in enumerate(path)]
    faces = track_clip(dets, [False] * 30, OPTS, SIZE)
    assert all(len(f) == 1 for f in faces) and np.all(_weights(faces) == 1.0)
    for t in gap:
        assert faces[t].det_index[0] == -1
        np.testing.assert_allclose(faces[t].points[0], path[t], atol=0.5)


def test_long_occlusion_fades_out_and_in():
    path = _walk(40)
    gap = range(15, 15 + OPTS.max_misses + 3)
    dets = [Detections.empty() if i in gap else dets_from_points(p) for i, p in enumerate(path)]
    w = _weights(track_clip(dets, [False] * 40, OPTS, SIZE))
    assert np.all(w[list(gap)] == 0)
    step = 1 / (OPTS.ramp + 1)
    assert np.all(np.abs(np.diff(w)) <= step + 1e-6)  # never pops
    np.testing.assert_allclose(w[gap.start - 1], step)
    np.testing.assert_allclose(w[gap.stop], step)


def test_a_face_needs_min_hits():
    dets = [Detections.empty() for _ in range(20)]
    dets[10] = dets_from_points(face_points(100, 100))
    dets[11] = dets_from_points(face_points(101, 100))
    assert all(len(f) == 0 for f in track_clip(dets, [False] * 20, OPTS, SIZE))


def test_no_faces_give_no_faces():
    faces = track_clip([Detections.empty()] * 12, [False] * 12, OPTS, SIZE)
    assert all(len(f) == 0 and f.chain.shape == (0, 2 * R + 1) for f in faces)


def test_cut_splits_chains_and_does_not_fade():
    near = [face_points(300 + i, 200) for i in range(30)]  # the same place before and after the cut
    cuts = [i == 15 for i in range(30)]
    faces = track_clip([dets_from_points(p) for p in near], cuts, OPTS, SIZE)
    assert np.all(_weights(faces) == 1.0)
    for t in (12, 14):
        assert np.all(faces[t].chain[0, R + (15 - t) :] == -1)
    assert np.all(faces[15].chain[0, :R] == -1)
    # Without the cut it is one chain.
    assert np.all(track_clip([dets_from_points(p) for p in near], [False] * 30, OPTS, SIZE)[14].chain >= 0)


def test_video_ends_clipped_or_padded_windows_agree():
    path = _walk(20)
    dets = [dets_from_points(p) for p in path]
    for t in (0, 3, 19):
        lo, hi = max(0, t - R), min(20, t + R + 1)
        clipped = track_window(dets[lo:hi], [False] * (hi - lo), t - lo, OPTS, SIZE)
        padded = [dets[s] if 0 <= s < 20 else None for s in range(t - R, t + R + 1)]
        _assert_same(clipped, track_window(padded, [False] * len(padded), R, OPTS, SIZE))
        # Longer windows: what lies farther than R from t is ignored.
        wide = [dets[s] if 0 <= s < 20 else None for s in range(t - R - 3, t + R + 4)]
        _assert_same(clipped, track_window(wide, [False] * len(wide), R + 3, OPTS, SIZE))
        assert clipped.weights[0] == 1.0  # a face present at the video's ends does not fade there


def test_shuffled_order_gives_identical_results():
    rng = np.random.default_rng(5)
    a = [p + rng.normal(0, 1.0, p.shape) for p in _walk(40, (150, 200), (2, 1))]
    b = [p + rng.normal(0, 1.0, p.shape) for p in _walk(40, (450, 220), (-1, 1))]
    dets = [dets_from_points(*([p] if 10 <= i < 14 else [p, q])) for i, (p, q) in enumerate(zip(a, b, strict=True))]
    cuts = [i == 30 for i in range(40)]

    def at(t: int) -> TrackedFaces:
        idx = range(t - R, t + R + 1)
        window = [dets[s] if 0 <= s < 40 else None for s in idx]
        return track_window(window, [0 <= s < 40 and cuts[s] for s in idx], R, OPTS, SIZE)

    in_order = [at(t) for t in range(40)]
    for t in rng.permutation(40):
        _assert_same(in_order[t], at(int(t)))


def test_largest_and_center_selection():
    small, big = face_points(100, 100, 30), face_points(500, 300, 80)
    centred = face_points(320, 240, 40)
    dets = [dets_from_points(small, big, centred)] * 10
    largest = track_clip(dets, [False] * 10, dataclasses.replace(OPTS, faces="largest"), SIZE)[5]
    np.testing.assert_allclose(largest.points[0], big, atol=0.1)
    central = track_clip(dets, [False] * 10, dataclasses.replace(OPTS, faces="center"), SIZE)[5]
    np.testing.assert_allclose(central.points[0], centred, atol=0.1)
    assert largest.det_index[0] == 1 and central.det_index[0] == 2


def test_low_confidence_lowers_the_weight():
    dets = [dets_from_points(p, score=0.7) for p in _walk(12)]
    w = _weights(track_clip(dets, [False] * 12, OPTS, SIZE))
    assert np.all((w > 0.3) & (w < 0.7))


@pytest.mark.parametrize(
    "bad",
    [
        {"track_radius": 0},
        {"min_hits": 0},
        {"min_hits": R + 2},
        {"faces": "biggest"},
        {"smooth_space": "bezier"},
        {"point_noise": 0.0},
        {"max_misses": -1},
    ],
)
def test_bad_options_are_usage_errors(bad):
    dets = [dets_from_points(face_points(100, 100))] * 3
    with pytest.raises(UsageError):
        track_window(dets, [False] * 3, 1, dataclasses.replace(OPTS, **bad), SIZE)


def test_bad_windows_are_value_errors():
    dets = [dets_from_points(face_points(100, 100))] * 3
    with pytest.raises(ValueError):
        track_window(dets, [False] * 2, 1, OPTS, SIZE)
    with pytest.raises(ValueError):
        track_window([None, *dets], [False] * 4, 0, OPTS, SIZE)  # t itself has no frame
