"""Film-scan fidelity: keep the source's grain, colour and monochrome on restored faces.

Face restorers fail film restorers three known ways: a clean "plastic" face pasted into a grainy frame,
a colour cast on faces in black-and-white footage, and no honest control of how far to go. These are
the remedies, all pure, deterministic tensor functions on the crops' device (grain is seeded by the
frame number), so the window rule and VapourSynth random access still hold. In the engine's order:

- ``match_colour`` (crop space, after GPEN): the face keeps the source's white balance and exposure;
- ``detail_only`` (crop space, after GPEN): low frequencies from the source, fine detail from GPEN;
- temporal blend (``restore.blend``), on the corrected crops;
- ``is_monochrome`` (per frame, on its planes) -> ``luma_only`` for RGB families, or, for Y'CbCr,
  the compositor writes the Y plane only, so the chroma planes stay bit for bit;
- ``add_grain`` (frame space, inside the compositor, on the blended face layer): grain measured on the
  source under and around the faces, synthesised to match (std and correlation length per Y/Cb/Cr)
  at the film's own pixel scale; ``estimate_grain``/``apply_grain`` are the batched pieces it uses,
  usable on aligned crops as well.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from gpen_video.errors import UsageError
from gpen_video.restore.film_grain import (
    GrainStats,
    add_grain,
    apply_grain,
    estimate_grain,
    grain_std,
    radial_spectrum,
    seed_for,
)
from gpen_video.restore.film_ops import blur, from_ycc, to_ycc

MONO_TOLERANCE = 3.0 / 255  # largest chroma spread (99th percentile, [0,1] units) a monochrome frame shows
MONO_POOL = 4  # chroma is averaged over 4x4 blocks first, so a colour scanner's noise does not count
MONO_PERCENTILE = 0.99  # objects covering 1% of the frame in colour make it a colour frame
DETAIL_SIGMA = 1.0 / 64  # detail-only split, as a fraction of the crop side (8 px at 512)
COLOUR_SIGMA = 1.0 / 16  # colour match works on this low pass of the crop (32 px at 512)
COLOUR_GAIN = (0.5, 2.0)  # bounds of the chroma spread correction


def parse_grain(value: str | float | None) -> float:
    """``--grain``: "auto" = 1.0 x the measured grain, "off" = 0, or a number (a multiplier, 0..4)."""
    if value is None or value == "off":
        return 0.0
    if value == "auto":
        return 1.0
    try:
        amount = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"grain must be auto, off or a number, not {value!r}") from None
    if not 0.0 <= amount <= 4.0 or math.isnan(amount):
        raise UsageError(f"grain must be between 0 and 4, not {amount}")
    return amount


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur of (N, C, H, W) per channel, ``sigma`` px, edges replicated."""
    return blur(x, sigma)


def _low_pass(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """A wide Gaussian low pass of ``sigma`` px, run on an area-downsampled copy and upsampled again:
    a few times cheaper than the full-size blur, and the colour statistics cannot tell the difference."""
    f = int(sigma // 4)
    if f < 2:
        return blur(x, sigma)
    h, w = x.shape[-2:]
    small = F.interpolate(x, size=(max(1, h // f), max(1, w // f)), mode="area")
    return F.interpolate(blur(small, sigma / f), size=(h, w), mode="bilinear", align_corners=False)


def _weighted_moments(x: torch.Tensor, weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std (N, C, 1, 1) of x (N, C, H, W) weighted by ``weight`` (N, 1, H, W).

    One sample at a time: how a large sum is split between threads depends on how many there are.
    """
    means, stds = [], []
    for xi, wi in zip(x, weight, strict=True):
        total = wi.sum().clamp_min(1e-6)
        mean = (xi * wi).sum(dim=(1, 2), keepdim=True) / total
        means.append(mean)
        stds.append((((xi - mean) ** 2 * wi).sum(dim=(1, 2), keepdim=True) / total).sqrt())
    return torch.stack(means), torch.stack(stds)


def match_colour(restored: torch.Tensor, source: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Give restored crops (N, 3, S, S) the source's low-frequency colour and exposure inside ``mask``.

    GPEN was trained on colour photos and pulls faces towards its own white balance and exposure (pale
    or red faces on film stock). In Y'CbCr of a COLOUR_SIGMA low pass, the mask-weighted means are
    matched (a shift: no detail changes), and the chroma spread of the low pass is scaled to the
    source's, so a pale or oversaturated face comes back without touching its fine detail. Luma spread
    is left to GPEN: restoring contrast is part of restoring. ``mask`` (1 or N, 1, S, S).
    """
    x = restored.float()
    n, _, h, w = x.shape
    sigma = max(1.0, COLOUR_SIGMA * w)
    low_r, low_s = to_ycc(_low_pass(x, sigma)), to_ycc(_low_pass(source.float().to(x.device), sigma))
    weight = mask.to(x.device, torch.float32).expand(n, 1, h, w)
    mean_r, std_r = _weighted_moments(low_r, weight)
    mean_s, std_s = _weighted_moments(low_s, weight)
    gain = torch.ones_like(std_r)
    gain[:, 1:] = (std_s[:, 1:] / std_r[:, 1:].clamp_min(1e-4)).clamp(*COLOUR_GAIN)
    change = (mean_s - mean_r) + (low_r - mean_r) * (gain - 1.0)
    return (x + from_ycc(change)).clamp(0.0, 1.0).to(restored.dtype)


def detail_only(restored: torch.Tensor, source: torch.Tensor, sigma: float = DETAIL_SIGMA) -> torch.Tensor:
    """Low frequencies from the source, fine detail from GPEN: "restore, don't replace".

    ``restored``, ``source`` (N, 3, S, S); ``sigma`` a fraction of S: the split is a Gaussian blur of
    ``sigma * S`` px. The face's shapes, shading and colour stay the film's; GPEN only sharpens.
    """
    px = max(0.5, sigma * restored.shape[-1])
    x = restored.float()
    return (x + _blur(source.float() - x, px)).clamp(0.0, 1.0).to(restored.dtype)


def is_monochrome(planes: Sequence[torch.Tensor | np.ndarray], family: str, bit_depth: int) -> bool:
    """Whether a frame carries no colour: a gray format, or chroma (U,V / R-G,B-G) flat everywhere.

    Flat means: averaged over MONO_POOL blocks (grain and a colour scanner's noise average out), 99% of
    the frame lies within MONO_TOLERANCE of its median chroma. Measured about the median, not neutral
    grey, so a toned (sepia, tinted) print counts as monochrome: its faces keep the source's tone.
    """
    if family == "gray":
        return True
    scale = float((1 << bit_depth) - 1)
    if family == "yuv":
        chroma = [torch.as_tensor(plane).float() / scale for plane in planes[1:3]]
    else:
        r, g, b = (torch.as_tensor(plane).float() / scale for plane in planes[:3])
        chroma = [r - g, b - g]
    return all(_flat(c) for c in chroma)


def _flat(chroma: torch.Tensor) -> bool:
    """Whether one chroma plane (H, W) stays within MONO_TOLERANCE of its median (see is_monochrome)."""
    k = max(1, min(MONO_POOL, *chroma.shape))
    pooled = F.avg_pool2d(chroma[None, None], k).flatten()
    spread = (pooled - pooled.median()).abs()
    rank = max(1, math.ceil(MONO_PERCENTILE * spread.numel()))
    return bool(spread.kthvalue(rank).values <= MONO_TOLERANCE)


def luma_only(restored: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    """The restored luma with the source's chroma, in RGB (..., 3, S, S), for monochrome RGB frames.

    Exact in Y'CbCr up to float error where no channel had to be clipped to [0, 1]; on a grey source
    (R = G = B) the result is grey. Y'CbCr frames do not need it: the compositor writes Y only.
    """
    ycc = to_ycc(source.float())
    ycc[..., :1, :, :] = to_ycc(restored.float())[..., :1, :, :]
    return from_ycc(ycc).clamp(0.0, 1.0).to(restored.dtype)


__all__ = [
    "GrainStats",
    "add_grain",
    "apply_grain",
    "detail_only",
    "estimate_grain",
    "from_ycc",
    "grain_std",
    "is_monochrome",
    "luma_only",
    "match_colour",
    "parse_grain",
    "radial_spectrum",
    "seed_for",
    "to_ycc",
]
