"""The soft square paste-back mask of the reference GPEN (and ModelScope) demo, built on the device.

At 512 px: zeros, the square from 26 to 486 filled with ones, then two Gaussian blurs with kernel 101
and sigma 4 (cv2 semantics, reflect-101 borders). The square is cv2's inclusive rectangle, so it
reaches one pixel nearer the far edges; kept, to match the reference. Every length scales with the
crop size so that a 256 or 1024 model gets the same mask relative to the face. Older GPEN releases
blurred with sigma 11; ``sigma`` is a parameter for that reason. Built once per (size, sigma, device,
dtype) and cached, since compositing asks for it every frame.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

_REFERENCE_SIZE = 512
_BORDER = 26
_KERNEL = 101
_SIGMA = 4.0
_cache: dict[tuple[int, float, str, torch.dtype], torch.Tensor] = {}


def gaussian_kernel(ksize: int, sigma: float, device: torch.device | str | None = None) -> torch.Tensor:
    """cv2.getGaussianKernel: ``ksize`` taps, normalised to sum 1, float32."""
    x = torch.arange(ksize, dtype=torch.float64, device=device) - (ksize - 1) / 2
    k = torch.exp(-(x**2) / (2 * sigma**2))
    return (k / k.sum()).to(torch.float32)


def gaussian_blur(img: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Separable blur of (B, 1, H, W) by a 1-D ``kernel``, reflect-101 borders as cv2.GaussianBlur.

    Shared with the temporal blend, which blurs its guide with it.
    """
    r = len(kernel) // 2
    img = F.conv2d(F.pad(img, (r, r, 0, 0), mode="reflect"), kernel.view(1, 1, 1, -1))
    return F.conv2d(F.pad(img, (0, 0, r, r), mode="reflect"), kernel.view(1, 1, -1, 1))


def _build(size: int, sigma: float, device: torch.device) -> torch.Tensor:
    scale = size / _REFERENCE_SIZE
    border = int(round(_BORDER * scale))
    ksize = max(3, int(round(_KERNEL * scale)) | 1)
    kernel = gaussian_kernel(ksize, sigma * scale, device)
    mask = torch.zeros((1, 1, size, size), dtype=torch.float32, device=device)
    mask[..., border : size - border + 1, border : size - border + 1] = 1.0
    return gaussian_blur(gaussian_blur(mask, kernel), kernel)


def face_mask(size: int, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32,
              sigma: float = _SIGMA) -> torch.Tensor:
    """The (1, 1, S, S) soft mask in [0, 1] for crops of side ``size``; cached, do not modify it."""
    device = torch.device(device or "cpu")
    key = (size, float(sigma), str(device), dtype)
    if key not in _cache:
        if size < 8 or not math.isfinite(sigma) or sigma <= 0:
            raise ValueError(f"face mask needs size >= 8 and sigma > 0, got {size}, {sigma}")
        _cache[key] = _build(size, sigma, device).to(dtype)
    return _cache[key]


def feather(face_map: torch.Tensor, sigma: float = 11.0 / _REFERENCE_SIZE, border: float = 10 / _REFERENCE_SIZE
            ) -> torch.Tensor:
    """A soft mask (N, 1, S, S) from a hard face map: two Gaussian blurs (``sigma`` of the crop side, as
    GFPGAN feathers its parse masks) and a cleared ``border``, so nothing reaches the crop's edge."""
    size = face_map.shape[-1]
    px = max(0.5, sigma * size)
    kernel = gaussian_kernel(2 * math.ceil(3 * px) + 1, px, face_map.device)
    mask = gaussian_blur(gaussian_blur(face_map.float(), kernel), kernel)
    edge = max(1, round(border * size))
    mask[..., :edge, :] = 0
    mask[..., -edge:, :] = 0
    mask[..., :edge] = 0
    mask[..., -edge:] = 0
    return mask.clamp(0.0, 1.0)

