"""Temporal blend of one face's restored crops: a cross-bilateral filter over time, guided by the source.

GPEN invents texture (pores, hair, grain) afresh on every frame, which reads as flicker. The restored
crops of one track at t-B .. t+B are already aligned by the smoothed transforms, so averaging them
removes what differs from frame to frame. To keep real motion, each neighbour s is weighted per pixel
by how alike the *source* crops are there:

    w_s(p) = valid_s * temporal * exp(-(s-t)^2 / (2 B^2)) * exp(-(d_s(p) / tolerance)^2),   w_t = 1,
    d_s = G * Y(I_s) - G * Y(I_t)       (Y: luma, G: a small Gaussian blur that ignores grain)
    out = sum_s w_s R_s / sum_s w_s

Where the source changed (a mouth opens, an eye blinks), d is large and the neighbour drops out, so a
ghost is bounded by about max_D D exp(-(D/tol)^2) = tol / sqrt(2e) per unit of neighbour weight for
features wider than the blur. ``temporal`` = 0 returns R_t exactly. The window is bounded by B and the
arithmetic is a fixed sequence of tensor ops, so the result is deterministic (rule 1).
"""

from __future__ import annotations

import math

import torch

from gpen_video.restore.mask import gaussian_blur, gaussian_kernel

TOLERANCE = 0.03  # source luma difference (in [0,1]) at which a neighbour's weight falls to 1/e
GUIDE_SIGMA = 1.0 / 256  # guide blur, as a fraction of the crop side (2 px at 512)
_LUMA = (0.299, 0.587, 0.114)  # only a guide, so one fixed matrix serves every video


def blend_weights(source: torch.Tensor, valid: torch.Tensor, temporal: float,
                  tolerance: float = TOLERANCE) -> torch.Tensor:
    """Per-pixel neighbour weights (N, T, 1, S, S) from source crops (N, T, 3, S, S); centre weight 1.

    ``valid`` (N, T) bool marks the neighbours that exist (a face missing on a frame, or a frame
    outside the video or shot, is False). T = 2B + 1 with t in the middle.
    """
    n, t_len, _, s, _ = source.shape
    centre = t_len // 2
    luma = torch.tensor(_LUMA, dtype=torch.float32, device=source.device).view(1, 1, 3, 1, 1)
    guide = (source.float() * luma).sum(dim=2).reshape(n * t_len, 1, s, s)
    sigma = max(0.5, GUIDE_SIGMA * s)
    kernel = gaussian_kernel(2 * math.ceil(3 * sigma) + 1, sigma, source.device)
    guide = gaussian_blur(guide, kernel).view(n, t_len, 1, s, s)
    similar = torch.exp(-(((guide - guide[:, centre : centre + 1]) / tolerance) ** 2))
    offsets = torch.arange(t_len, dtype=torch.float32, device=source.device) - centre
    reach = max(centre, 1)
    kernel_t = temporal * torch.exp(-(offsets**2) / (2.0 * reach**2))
    kernel_t[centre] = 1.0
    weights = similar * kernel_t.view(1, t_len, 1, 1, 1)
    weights[:, centre] = 1.0
    keep = valid.to(device=source.device, dtype=torch.bool).clone()
    keep[:, centre] = True
    return torch.where(keep.view(n, t_len, 1, 1, 1), weights, torch.zeros((), device=source.device))


def temporal_blend(restored: torch.Tensor, source: torch.Tensor, valid: torch.Tensor, temporal: float,
                   tolerance: float = TOLERANCE) -> torch.Tensor:
    """Blend restored crops (N, T, 3, S, S) over time -> (N, 3, S, S) float32 for the centre frame.

    ``source`` are the aligned input crops of the same faces and frames (the guide); ``valid`` (N, T)
    bool; ``temporal`` in [0, 1] scales the neighbours' weight (0 = per-frame, R_t unchanged).
    Entries of ``restored``/``source`` where ``valid`` is False are ignored, whatever they hold.
    """
    if restored.shape != source.shape or restored.dim() != 5 or restored.shape[2] != 3:
        raise ValueError(f"restored and source must both be (N,T,3,S,S), got {tuple(restored.shape)}"
                         f" and {tuple(source.shape)}")
    if valid.shape != restored.shape[:2]:
        raise ValueError(f"valid must be (N,T)={tuple(restored.shape[:2])}, got {tuple(valid.shape)}")
    if not 0.0 <= temporal <= 1.0:
        raise ValueError(f"temporal must be in [0, 1], got {temporal}")
    centre = restored.shape[1] // 2
    if temporal == 0.0 or restored.shape[1] == 1:
        return restored[:, centre].float().clone()
    weights = blend_weights(source, valid, temporal, tolerance)
    # where a neighbour is missing its crop may be garbage; zero it rather than trust 0 * x == 0
    present = (weights > 0).expand_as(restored)
    values = torch.where(present, restored.float(), torch.zeros((), device=restored.device))
    return (weights * values).sum(dim=1) / weights.sum(dim=1)
