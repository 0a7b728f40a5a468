"""Detector plus tracker on made clips with real pictures: a moving face, a face leaving, a cut, no face."""

from __future__ import annotations

import numpy as np
import pytest
from face_data import to_tensor

from gpen_video.faces.records import Detections, TrackedFaces
from gpen_video.faces.scenecut import frame_signatures, is_cut
from gpen_video.faces.track import track_clip, track_window
from gpen_video.options import TrackOptions

OPTS = TrackOptions()
R = OPTS.track_radius


def _detect(detector, frames: np.ndarray) -> list[Detections]:
    return [d for i in range(0, len(frames), 16) for d in detector.detect(to_tensor(frames[i : i + 16]))]


def _cuts(frames: np.ndarray) -> list[bool]:
    sigs = frame_signatures(to_tensor(frames))
    return [False] + [is_cut(a, b) for a, b in zip(sigs[:-1], sigs[1:], strict=True)]


def _slide(astronaut: np.ndarray, xs: list[int], canvas=(240, 320), background=(120, 120, 120)) -> np.ndarray:
    """The astronaut's head pasted on a plain canvas at x positions (may be partly or wholly outside)."""
    head = astronaut[40:210, 150:300]
    frames = np.empty((len(xs), *canvas, 3), dtype=np.uint8)
    frames[:] = np.array(background, dtype=np.uint8)
    for f, x in zip(frames, xs, strict=True):
        x0, x1 = max(x, 0), min(x + head.shape[1], canvas[1])
        if x1 > x0:
            f[30 : 30 + head.shape[0], x0:x1] = head[:, x0 - x : x1 - x]
    return frames


@pytest.fixture(scope="module")
def moving(detector, sample_module):
    frames, truth = sample_module.make_moving_face(n_frames=36, size=(288, 256), seed=3)
    return frames, truth, _detect(detector, frames)


def test_sample_clip_is_tracked_and_smoothed(moving):
    frames, truth, dets = moving
    assert all(len(d) == 1 for d in dets)
    assert not any(_cuts(frames))
    faces = track_clip(dets, [False] * len(dets), OPTS, (frames.shape[2], frames.shape[1]))
    assert all(len(f) == 1 and f.weights[0] == 1.0 for f in faces)
    raw = np.stack([d.points[0] for d in dets]).astype(np.float64)
    smooth = np.stack([f.points[0] for f in faces]).astype(np.float64)
    iod = np.linalg.norm(truth[:, 1] - truth[:, 0], axis=-1)[:, None]

    def scores(p):
        dev = p - truth
        d2 = dev[2:] - 2 * dev[1:-1] + dev[:-2]
        return np.sqrt(np.mean((np.linalg.norm(dev, axis=-1) / iod) ** 2)), np.sqrt(np.mean(d2**2))

    (raw_err, raw_jit), (err, jit) = scores(raw), scores(smooth)
    assert err <= raw_err and jit < 0.3 * raw_jit
    assert raw_err < 0.1  # the sample's truth fits the detector: error under 10% of the eye distance


def test_results_do_not_depend_on_the_order_frames_are_asked_in(moving):
    frames, _, dets = moving
    n, size = len(dets), (frames.shape[2], frames.shape[1])

    def at(t: int) -> TrackedFaces:
        lo, hi = max(0, t - R), min(n, t + R + 1)
        return track_window(dets[lo:hi], [False] * (hi - lo), t - lo, OPTS, size)

    in_order = [at(t) for t in range(n)]
    for t in np.random.default_rng(0).permutation(n):
        again = at(int(t))
        for name in again.__dataclass_fields__:
            assert np.array_equal(getattr(in_order[t], name), getattr(again, name)), (t, name)


def test_face_leaving_the_frame_fades_out(detector, astronaut):
    xs = [80 - 16 * i for i in range(16)]  # fully inside, then out past the left edge
    frames = _slide(astronaut, xs)
    dets = _detect(detector, frames)
    assert len(dets[0]) == 1 and len(dets[-1]) == 0
    faces = track_clip(dets, _cuts(frames), OPTS, (320, 240))
    w = np.array([f.weights.sum() for f in faces])
    assert w[0] == 1.0 and w[-1] == 0.0
    assert np.all(np.abs(np.diff(w)) <= 1 / (OPTS.ramp + 1) + 1e-6)  # no pop on the way out
    last = max(t for t, f in enumerate(faces) if len(f))
    assert len(dets[last]) == 1  # it fades while still detected, not on predictions past the edge


def test_two_faces_one_of_them_leaving(detector, astronaut):
    still = _slide(astronaut, [400] * 14, canvas=(240, 560))  # the head at x=400 in a wide frame
    leaving = _slide(astronaut, [60 - 20 * i for i in range(14)], canvas=(240, 560))
    frames = np.where(np.arange(560)[None, None, :, None] >= 380, still, leaving).astype(np.uint8)
    dets = _detect(detector, frames)
    assert len(dets[0]) == 2
    faces = track_clip(dets, _cuts(frames), OPTS, (560, 240))
    assert len(faces[0]) == 2 and len(faces[-1]) == 1
    right = [f.points[np.argmax(f.points[:, 2, 0]), 2, 0] for f in faces]
    assert np.ptp(right) < 3.0  # the still face stays put while the other one goes
    assert all(f.weights[np.argmax(f.points[:, 2, 0])] == 1.0 for f in faces)


def test_cut_between_two_shots_splits_the_tracks(detector, astronaut):
    shot_a = _slide(astronaut, [90] * 8)
    shot_b = np.ascontiguousarray(_slide(astronaut, [84] * 8, background=(30, 60, 20))[:, :, ::-1])  # mirrored
    frames = np.concatenate([shot_a, shot_b])
    cuts = _cuts(frames)
    assert cuts == [i == 8 for i in range(16)]
    dets = _detect(detector, frames)
    faces = track_clip(dets, cuts, OPTS, (320, 240))
    assert all(len(f) == 1 and f.weights[0] == 1.0 for f in faces)  # no fade at a cut
    for t in range(16):
        row = faces[t].chain[0]
        other_shot = [c for c in range(2 * R + 1) if 0 <= t - R + c < 16 and (t - R + c >= 8) != (t >= 8)]
        assert np.all(row[other_shot] == -1)
    # The cut flag is what splits them: the two heads overlap enough to link otherwise.
    joined = track_clip(dets, [False] * 16, OPTS, (320, 240))
    assert np.all(joined[8].chain[0, :16] >= 0)  # frames 0..15 (frame 16 is past the end)


def test_frames_without_faces_give_no_faces(detector):
    rng = np.random.default_rng(0)
    frames = np.concatenate(
        [np.full((2, 120, 160, 3), 40, np.uint8), rng.integers(0, 256, (3, 120, 160, 3), dtype=np.uint8)]
    )
    dets = _detect(detector, frames)
    assert all(len(d) == 0 for d in dets)
    assert all(len(f) == 0 for f in track_clip(dets, _cuts(frames), OPTS, (160, 120)))
