"""Scene-cut detection from the frames themselves, as a pure function of two consecutive frames.

Tracks must not link a face across a cut (the next shot's face is another crop, often another person),
and smoothing across one would drag landmarks between shots. A cut test that looks only at frames t-1
and t keeps the bounded-window rule: each frame's signature is computed once and cached, and the flag
between two frames never depends on which window asked.

The signature is a coarse per-channel colour histogram (robust to motion inside the shot) plus a tiny
grey thumbnail (catches cuts between shots of similar colours). A cut needs the histogram to change a
lot, or the thumbnail and the histogram to change together; camera motion and a face turning change
the thumbnail but hardly the histogram, a flash changes brightness but keeps the thumbnail's layout.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

HIST_BINS = 16  # per channel
THUMB = 16  # thumbnail side, pixels
HIST_CUT = 0.45  # histogram distance (half L1, 0..1) that alone means a cut
HIST_WITH_THUMB = 0.12  # histogram distance that means a cut when the thumbnail also changed
THUMB_CUT = 0.3  # thumbnail change (1 - correlation) that counts as "also changed"


def frame_signatures(rgb: torch.Tensor) -> np.ndarray:
    """Signatures of a batch of frames (N,3,H,W) float in [0,1] -> float32 (N, 3*HIST_BINS + THUMB**2).

    Computed on the frames' device; only the small signatures come back to the CPU.
    """
    if rgb.ndim != 4 or rgb.shape[1] != 3:
        raise ValueError(f"expected frames as (N,3,H,W), got {tuple(rgb.shape)}")
    rgb = rgb.float().clamp(0, 1)
    n = rgb.shape[0]
    # Histograms of a 64x64 area-average: cheap, and blind to noise and grain.
    small = F.adaptive_avg_pool2d(rgb, 64).reshape(n * 3, -1)
    bins = (small * HIST_BINS).long().clamp_(max=HIST_BINS - 1)
    hist = torch.zeros(n * 3, HIST_BINS, device=rgb.device).scatter_add_(1, bins, torch.ones_like(small))
    hist = (hist / small.shape[1]).reshape(n, 3 * HIST_BINS)
    grey = F.adaptive_avg_pool2d(rgb.mean(dim=1, keepdim=True), THUMB).reshape(n, THUMB * THUMB)
    return torch.cat([hist, grey], dim=1).cpu().numpy().astype(np.float32)


def frame_signature(rgb: torch.Tensor) -> np.ndarray:
    """Signature of one frame (3,H,W) float in [0,1] -> float32 (3*HIST_BINS + THUMB**2,)."""
    if rgb.ndim != 3:
        raise ValueError(f"expected one frame as (3,H,W), got {tuple(rgb.shape)}")
    return frame_signatures(rgb[None])[0]


def _thumb_change(a: np.ndarray, b: np.ndarray) -> float:
    """1 - correlation of two thumbnails: 0 for the same layout, even under a brightness change."""
    a = a - a.mean()
    b = b - b.mean()
    norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
    if norm < 1e-6:  # a flat frame (black, fade): only a histogram change can show the cut
        return 0.0
    return 1.0 - float((a * b).sum()) / norm


def is_cut(sig_prev: np.ndarray, sig: np.ndarray) -> bool:
    """Whether a new shot starts at the frame of ``sig`` (its predecessor has ``sig_prev``)."""
    h = 3 * HIST_BINS
    hist_dist = 0.5 * float(np.abs(sig_prev[:h] - sig[:h]).sum()) / 3.0
    if hist_dist > HIST_CUT:
        return True
    return hist_dist > HIST_WITH_THUMB and _thumb_change(sig_prev[h:], sig[h:]) > THUMB_CUT
