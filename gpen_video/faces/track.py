"""Decide the faces of frame t from the cached detections of its window t-R .. t+R (R = track_radius).

``track_window`` is a pure function of its arguments, so frame t gets the same faces whatever order or
batch frames are rendered in (DESIGN rule 1). Steps: place the given frames on the window, keep only
the shot that contains t (cut flags and frames outside the video end it), link detections into chains
(``link``), drop chains that do not cover t or have fewer than ``min_hits`` detections, smooth each
chain's landmarks (``smooth``), and give each face a weight that ramps at chain ends inside the shot.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gpen_video.errors import UsageError
from gpen_video.faces.link import Chain, face_size, link_chains
from gpen_video.faces.records import Detections, TrackedFaces
from gpen_video.faces.smooth import SPACES, smooth_points
from gpen_video.options import TrackOptions

FACE_CHOICES = ("all", "largest", "center")
CONF_ZERO, CONF_FULL = 0.5, 0.9  # detector score where a face's weight factor is 0, and where it is 1


def check_track_options(options: TrackOptions) -> None:
    """Raise UsageError for option values track_window cannot honour."""
    r = options.track_radius
    if r < 1:
        raise UsageError(f"track_radius must be at least 1, got {r}")
    if not 1 <= options.min_hits <= r + 1:
        raise UsageError(f"min_hits must be 1 .. track_radius+1 ({r + 1}), got {options.min_hits}")
    if options.max_misses < 0 or options.ramp < 0:
        raise UsageError("max_misses and ramp must not be negative")
    if options.faces not in FACE_CHOICES:
        raise UsageError(f"faces must be one of {', '.join(FACE_CHOICES)}, got {options.faces!r}")
    if options.smooth_space not in SPACES:
        raise UsageError(f"smooth_space must be one of {', '.join(SPACES)}, got {options.smooth_space!r}")
    if options.point_noise <= 0 or options.motion_noise <= 0:
        raise UsageError("point_noise and motion_noise must be positive")


def _place(
    detections: Sequence[Detections | None], cuts: Sequence[bool], center: int, radius: int
) -> tuple[list[Detections | None], list[bool]]:
    """The window as 2R+1 slots with t in slot R; slots with no frame (video ends) are None."""
    if len(cuts) != len(detections):
        raise ValueError(f"got {len(detections)} detections but {len(cuts)} cut flags")
    if not 0 <= center < len(detections) or detections[center] is None:
        raise ValueError(f"center {center} must index a frame of the window (use Detections.empty())")
    dets: list[Detections | None] = [None] * (2 * radius + 1)
    cut = [False] * (2 * radius + 1)
    for i in range(max(0, center - radius), min(len(detections), center + radius + 1)):
        dets[i - center + radius], cut[i - center + radius] = detections[i], bool(cuts[i])
    return dets, cut


def _shot(dets: list[Detections | None], cut: list[bool], radius: int) -> tuple[int, int]:
    """First and last slot of the run of frames around t with no cut and no missing frame between."""
    lo = hi = radius
    while lo > 0 and dets[lo - 1] is not None and not cut[lo]:
        lo -= 1
    while hi < len(dets) - 1 and dets[hi + 1] is not None and not cut[hi + 1]:
        hi += 1
    return lo, hi


def _chain_points(chain: Chain, dets: list[Detections | None]) -> np.ndarray:
    """The chain's raw landmarks over its span (first..last slot), NaN on frames it was not seen."""
    pts = np.full((chain.last - chain.first + 1, 5, 2), np.nan)
    for f, d in zip(chain.frames, chain.dets, strict=True):
        pts[f - chain.first] = dets[f].points[d]
    return pts


def _box_at(chain: Chain, dets: list[Detections | None], points: np.ndarray) -> np.ndarray:
    """A box for smoothed ``points`` (5,2): the chain's typical box relative to its landmarks."""
    rel = []
    for f, d in zip(chain.frames, chain.dets, strict=True):
        p, b = dets[f].points[d].astype(np.float64), dets[f].boxes_xyxy[d].astype(np.float64)
        rel.append((b.reshape(2, 2) - p.mean(axis=0)) / max(float(face_size(p)), 1e-6))
    corners = np.median(np.stack(rel), axis=0) * float(face_size(points)) + points.mean(axis=0)
    return corners.reshape(4)


def _score_near_t(chain: Chain, dets: list[Detections | None], radius: int, reach: int) -> float:
    """Mean detector score of the chain within ``reach`` frames of t (its score where it was seen)."""
    pairs = list(zip(chain.frames, chain.dets, strict=True))
    near = [dets[f].scores[d] for f, d in pairs if abs(f - radius) <= reach]
    return float(np.mean(near if near else [dets[f].scores[d] for f, d in pairs]))


def _weight(chain: Chain, lo: int, hi: int, score: float, options: TrackOptions) -> float:
    """Ramp in/out at chain ends inside the shot, times a factor from the detector's confidence.

    A chain that starts at the shot's first slot (window edge, video start, cut) or ends at its last
    counts as continuing: no ramp there. The ramp is capped at R-1 frames so that a chain start seen at
    the window edge by one frame's window weighs 1 in its neighbour's window too.
    """
    radius = options.track_radius
    ramp = min(options.ramp, radius - 1)
    w_in = 1.0 if chain.first == lo else min(1.0, (radius - chain.first + 1) / (ramp + 1))
    w_out = 1.0 if chain.last == hi else min(1.0, (chain.last - radius + 1) / (ramp + 1))
    confidence = float(np.clip((score - CONF_ZERO) / (CONF_FULL - CONF_ZERO), 0.0, 1.0))
    return min(w_in, w_out) * confidence


def _face(chain: Chain, dets: list[Detections | None], lo: int, hi: int, options: TrackOptions) -> dict:
    """Everything TrackedFaces holds about one chain's face at t (slot R)."""
    radius = options.track_radius
    smoothed = smooth_points(
        _chain_points(chain, dets), options.smooth_space, options.point_noise, options.motion_noise
    )
    points = smoothed[radius - chain.first]
    row = np.full(2 * radius + 1, -1, dtype=np.int64)
    row[chain.frames] = chain.dets
    score = _score_near_t(chain, dets, radius, max(options.ramp, 1))
    return {
        "points": points,
        "box": _box_at(chain, dets, points),
        "score": score,
        "weight": _weight(chain, lo, hi, score, options),
        "chain": row,
    }


def _choose(faces: list[dict], options: TrackOptions, frame_size: tuple[int, int]) -> list[dict]:
    """Apply ``options.faces``: every face, the largest, or the one nearest the frame centre."""
    if options.faces == "all" or len(faces) <= 1:
        return faces
    if options.faces == "largest":
        return [max(faces, key=lambda f: float(face_size(f["points"])))]
    centre = np.array(frame_size, dtype=np.float64) / 2
    return [min(faces, key=lambda f: float(np.linalg.norm(f["points"].mean(axis=0) - centre)))]


def track_window(
    detections: Sequence[Detections | None],
    cuts: Sequence[bool],
    center: int,
    options: TrackOptions,
    frame_size: tuple[int, int],
) -> TrackedFaces:
    """The faces of frame t, from the window's cached detections and scene-cut flags.

    ``detections[i]`` is frame ``t - center + i`` (``None``: no such frame, e.g. before the video's
    start); ``cuts[i]`` is True when a new shot starts at that frame (a cut between it and the frame
    before). ``center`` is where t sits: normally R with 2R+1 entries; clipped at the video's ends
    (e.g. ``center=0`` on the first frame) or padded with ``None``. Entries farther than R from t are
    ignored. ``frame_size`` is (width, height) in px. The chain columns of the result are t-R .. t+R.
    """
    check_track_options(options)
    radius = options.track_radius
    dets, cut = _place(detections, cuts, center, radius)
    lo, hi = _shot(dets, cut, radius)
    chains = link_chains(dets, lo, hi, options.max_misses)
    faces = [
        _face(chain, dets, lo, hi, options) | {"id": i}
        for i, chain in enumerate(chains)
        if chain.first <= radius <= chain.last and chain.hits() >= options.min_hits
    ]
    faces = _choose(faces, options, frame_size)
    if not faces:
        return TrackedFaces.empty(radius)
    rows = np.stack([f["chain"] for f in faces])
    return TrackedFaces(
        points=np.stack([f["points"] for f in faces]),
        boxes_xyxy=np.stack([f["box"] for f in faces]),
        scores=np.array([f["score"] for f in faces]),
        weights=np.array([f["weight"] for f in faces]),
        det_index=rows[:, radius],
        chain=rows,
        track_id=np.array([f["id"] for f in faces]),
    )


def track_clip(
    detections: Sequence[Detections],
    cuts: Sequence[bool],
    options: TrackOptions,
    frame_size: tuple[int, int],
) -> list[TrackedFaces]:
    """``track_window`` for every frame of an in-memory clip (tests, benches, small tools).

    The streaming engine calls ``track_window`` itself with the windows it holds; this is the same
    computation, frame by frame, with ``None`` beyond the clip's ends.
    """
    if len(cuts) != len(detections):
        raise ValueError(f"got {len(detections)} detections but {len(cuts)} cut flags")
    r, n = options.track_radius, len(detections)
    out = []
    for t in range(n):
        idx = range(t - r, t + r + 1)
        window = [detections[i] if 0 <= i < n else None for i in idx]
        flags = [bool(cuts[i]) if 0 <= i < n else False for i in idx]
        out.append(track_window(window, flags, r, options, frame_size))
    return out
