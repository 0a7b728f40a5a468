"""The small tensor operations the film corrections share: Y'CbCr for statistics, and Gaussian blurs.

Kept apart so that ``film`` (colour, detail, monochrome) and ``film_grain`` (grain) use one definition
of each: the grain estimator's gain table is computed with exactly the blur it measures with. Pure
torch on the input's device, per sample (a face's result never depends on its batch-mates).
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F

# BT.601 weights, chroma centred on 0. Only statistics are taken in this space (and monochrome luma is
# swapped in it for RGB families), so one fixed matrix is enough; files keep their own in ``colour``.
_YCC = torch.tensor([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]],
                    dtype=torch.float64)
_RGB = torch.linalg.inv(_YCC)


def to_ycc(rgb: torch.Tensor) -> torch.Tensor:
    """RGB (..., 3, H, W) -> Y, Cb, Cr with chroma centred on 0 (BT.601 weights)."""
    return _mix(_YCC, rgb)


def from_ycc(ycc: torch.Tensor) -> torch.Tensor:
    """Y, Cb, Cr (..., 3, H, W) -> RGB; the exact inverse of ``to_ycc`` (a linear map, so it also maps
    differences: ``from_ycc(delta)`` is the RGB change of a Y'CbCr change ``delta``)."""
    return _mix(_RGB, ycc)


def _mix(matrix: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """matrix (3, 3) applied to the channels of x (..., 3, H, W), written out term by term so that every
    pixel is summed in the same order whatever the batch (a matmul may block differently per size)."""
    a = [float(v) for v in matrix.flatten().tolist()]
    c0, c1, c2 = x[..., 0:1, :, :], x[..., 1:2, :, :], x[..., 2:3, :, :]
    return torch.cat([a[3 * i] * c0 + a[3 * i + 1] * c1 + a[3 * i + 2] * c2 for i in range(3)], dim=-3)


@functools.lru_cache(maxsize=64)
def gaussian_taps(sigma: float) -> torch.Tensor:
    """1-D Gaussian (float64, CPU, sum 1) truncated at 3 sigma; sigma <= 0 gives the identity [1]."""
    if sigma <= 0.0:
        return torch.ones(1, dtype=torch.float64)
    r = max(1, math.ceil(3.0 * sigma))
    x = torch.arange(-r, r + 1, dtype=torch.float64)
    k = torch.exp(-(x**2) / (2.0 * sigma**2))
    return k / k.sum()


def separable(x: torch.Tensor, taps: torch.Tensor, pad: str = "replicate") -> torch.Tensor:
    """Convolve every channel of ``x`` (N, C, H, W) with the 1-D ``taps`` along W, then along H, one
    sample at a time (convolutions of different batch sizes may differ in their last bits).

    Edges are replicated (works for any image size, unlike reflection); ``pad="constant"`` zero-pads,
    which the gain table uses on an isolated impulse.
    """
    n, c, h, w = x.shape
    k = taps.to(x.device, x.dtype)
    r = len(k) // 2
    if not r:
        return x
    out = []
    for sample in x:  # one convolution per sample: a face's result never depends on its batch-mates
        y = F.conv2d(F.pad(sample[:, None], (r, r, 0, 0), mode=pad), k.view(1, 1, 1, -1))
        out.append(F.conv2d(F.pad(y, (0, 0, r, r), mode=pad), k.view(1, 1, -1, 1))[:, 0])
    return torch.stack(out)


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur of (N, C, H, W), per channel, ``sigma`` in pixels, edges replicated."""
    return separable(x, gaussian_taps(float(sigma)))


def shape_noise(noise: torch.Tensor, sigma: float) -> torch.Tensor:
    """White unit noise (N, C, H, W) blurred to correlation length ``sigma`` px, still of unit std.

    The blurred field's std is the 2-D kernel's L2 norm, the square of the 1-D one (separable).
    """
    taps = gaussian_taps(float(sigma))
    return separable(noise, taps) / float(taps.square().sum())


def dilate(flag: torch.Tensor, radius: int) -> torch.Tensor:
    """Boolean (N, 1, H, W) grown by ``radius`` px (a square neighbourhood)."""
    if radius <= 0:
        return flag
    k = 2 * radius + 1
    grown = F.max_pool2d(flag.float(), (1, k), stride=1, padding=(0, radius))  # separable: rows, then columns
    return F.max_pool2d(grown, (k, 1), stride=1, padding=(radius, 0)) > 0.5
