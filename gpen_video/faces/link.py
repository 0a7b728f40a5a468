"""Link one window's cached detections into chains: the same face on neighbouring frames.

Frames are visited in order; on each, the open chains are matched to the frame's detections by one
assignment (Hungarian, ``scipy.optimize.linear_sum_assignment``) on a cost that adds box overlap and
landmark distance (relative to the face size), with each chain's position predicted from its last two
observations so a fast-moving face or a short gap still lines up. A chain stays open through up to
``max_misses`` frames without a detection. Everything is a pure function of the window's detections.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from gpen_video.faces.records import Detections

MAX_POINT_DIST = 1.0  # mean landmark distance / face size (after prediction) above which faces never link
MIN_SIZE_RATIO = 0.6  # face sizes of linked detections differ by at most this factor
_NO_LINK = 1e6


@dataclass
class Chain:
    """One face's detections inside a window: window positions (ascending) and det indices there."""

    frames: list[int] = field(default_factory=list)
    dets: list[int] = field(default_factory=list)

    @property
    def first(self) -> int:
        return self.frames[0]

    @property
    def last(self) -> int:
        return self.frames[-1]

    def hits(self) -> int:
        return len(self.frames)


def face_size(points: np.ndarray) -> np.ndarray:
    """A scale for faces (..., 5, 2): RMS distance of the landmarks from their centroid, in px.

    Landmarks rather than boxes: both are noisy, but landmarks are what we smooth and warp by.
    """
    centred = points - points.mean(axis=-2, keepdims=True)
    return np.sqrt((centred**2).sum(axis=-1).mean(axis=-1))


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of boxes a (M,4) against b (N,4) -> (M,N)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=-1)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=-1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=-1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def _predict(chain: Chain, dets: Sequence[Detections | None], at: int) -> tuple[np.ndarray, np.ndarray]:
    """Points (5,2) and box (4,) of ``chain`` extrapolated to window position ``at``.

    Constant velocity from the last two observations; the velocity is only trusted for a few frames
    (a long extrapolation overshoots more than standing still would).
    """
    f1, d1 = chain.frames[-1], chain.dets[-1]
    p1, b1 = dets[f1].points[d1].astype(np.float64), dets[f1].boxes_xyxy[d1].astype(np.float64)
    if chain.hits() < 2:
        return p1, b1
    f0, d0 = chain.frames[-2], chain.dets[-2]
    steps = min(at - f1, 2)
    dp = (p1 - dets[f0].points[d0]) / (f1 - f0)
    db = (b1 - dets[f0].boxes_xyxy[d0]) / (f1 - f0)
    return p1 + steps * dp, b1 + steps * db


def _cost_matrix(chains: list[Chain], dets: Sequence[Detections | None], at: int) -> np.ndarray:
    """Link costs (chains x detections at ``at``): (1 - IoU) + landmark distance / face size."""
    cur = dets[at]
    preds = [_predict(c, dets, at) for c in chains]
    p_pts = np.stack([p for p, _ in preds])
    p_box = np.stack([b for _, b in preds])
    iou = box_iou(p_box, cur.boxes_xyxy.astype(np.float64))
    size_pred = face_size(p_pts)[:, None]
    size_det = face_size(cur.points.astype(np.float64))[None, :]
    dist = np.linalg.norm(p_pts[:, None] - cur.points[None].astype(np.float64), axis=-1).mean(axis=-1)
    dist = dist / np.maximum(np.maximum(size_pred, size_det), 1e-6)
    ratio = np.minimum(size_pred, size_det) / np.maximum(np.maximum(size_pred, size_det), 1e-6)
    cost = (1.0 - iou) + dist
    cost[(dist > MAX_POINT_DIST) | (ratio < MIN_SIZE_RATIO)] = _NO_LINK
    return cost


def link_chains(dets: Sequence[Detections | None], lo: int, hi: int, max_misses: int) -> list[Chain]:
    """Chains over window positions lo..hi (inclusive; every entry there is a Detections).

    Returned in a deterministic order: by first frame, then by det index there.
    """
    done: list[Chain] = []
    open_: list[Chain] = []
    for at in range(lo, hi + 1):
        still = [c for c in open_ if at - c.last - 1 <= max_misses]
        done += [c for c in open_ if at - c.last - 1 > max_misses]
        open_ = still
        n_det = len(dets[at])
        taken = np.zeros(n_det, dtype=bool)
        if open_ and n_det:
            cost = _cost_matrix(open_, dets, at)
            for ci, di in zip(*linear_sum_assignment(cost), strict=True):
                if cost[ci, di] < _NO_LINK:
                    open_[ci].frames.append(at)
                    open_[ci].dets.append(int(di))
                    taken[di] = True
        open_ += [Chain([at], [int(di)]) for di in np.flatnonzero(~taken)]
    chains = done + open_
    chains.sort(key=lambda c: (c.first, c.dets[0]))
    return chains
