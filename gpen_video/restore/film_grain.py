"""Film grain: measure the source's grain around and under a face, and lay matching grain on the restored
face, so that it carries the film's texture instead of looking plastic.

The grain model is Gaussian noise per Y/Cb/Cr channel, made by blurring white noise with a Gaussian of
``sigma`` px: its std and its correlation length (a film scanned finer than its grain, a 4:2:0 chroma,
an upscaled crop all have ``sigma`` > 0). Both are measured per 16 px block (the variance of the
high-pass residual, image minus a Gaussian blur of ``HIGHPASS`` px, and of differences at the lags
``LAGS``), and the flattest tenth of the blocks decides: picture texture can only add variance, grain
is everywhere. What these statistics report for model grain of each ``sigma`` is measured once by
running them on model grain, so the lag profile gives ``sigma`` and the high-pass variance the std with
no empirical constant (the bias of picking the flattest blocks included). The face itself and its
surroundings are measured apart and the smaller std wins per channel.

Everything here works on any images with a soft mask: aligned crops (N, 3, S, S) in crop space, or the
engine's frame region around the faces (where the grain lives at the film's own pixel scale).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F

from gpen_video.restore.film_ops import blur, dilate, from_ycc, shape_noise, to_ycc

HIGHPASS = 3.0  # px: the grain's std is measured on image - blur(image, HIGHPASS)
LAGS = (1, 2, 4)  # px: differences at these lags give the correlation length
BLOCK = 16  # px: grain is measured per block ...
FLAT = 0.1  # ... and the flattest tenth of the blocks decides
MIN_BLOCKS = 4  # a region with fewer whole blocks gives no estimate (faces from about 48 px get grain)
CALIBRATION = 512  # px: side of the model-grain field the gain table is measured on
SIGMA_STEP = 0.1  # px: resolution of the correlation length
SIGMA_MAX = 2.5  # px: longer correlations are reported (and synthesised) as this; see estimate_grain
BANDS = (0.0, 1 / 8, 1 / 4, 3 / 8, 1 / 2, 1.0)  # cycles/px: edges of the radial spectrum's bands
CLIP = 1.0 / 255  # values this near 0 or 1 (and their neighbours) carry clipped grain: not measured
TILE = 32  # px: squares the radial spectrum is taken over
SEAM_FLOOR = 0.4  # mask weight below which the seam boost stops growing (grain at most 2x there)


@dataclass(frozen=True)
class GrainStats:
    """The grain of N images (faces or frame regions), in the terms ``apply_grain`` synthesises it.

    ``std`` (N, 3): grain std of Y, Cb, Cr in [0, 1] units (0 where nothing could be measured).
    ``sigma`` (N, 3): correlation length per channel, the px sigma of the Gaussian that shapes white
    noise into this grain (0 = white). ``face_std``/``around_std`` (N, 3): the estimates under the mask
    and around it (NaN where fewer than MIN_BLOCKS whole blocks were usable); ``std`` is the smaller.
    ``spectrum`` (N, len(BANDS) - 1): share of the luma residual's power per radial band of ``BANDS``,
    of the region ``std`` came from (NaN where no tile fitted in it), a coarse view for reports.
    """

    std: torch.Tensor
    sigma: torch.Tensor
    face_std: torch.Tensor
    around_std: torch.Tensor
    spectrum: torch.Tensor

    def __post_init__(self) -> None:
        n = self.std.shape[0]
        for name in ("std", "sigma", "face_std", "around_std"):
            if tuple(getattr(self, name).shape) != (n, 3):
                raise ValueError(f"GrainStats.{name} must be ({n}, 3), got {tuple(getattr(self, name).shape)}")
        if tuple(self.spectrum.shape) != (n, len(BANDS) - 1):
            raise ValueError(f"GrainStats.spectrum must be ({n}, {len(BANDS) - 1}), got {tuple(self.spectrum.shape)}")

    def __len__(self) -> int:
        return int(self.std.shape[0])

    def __getitem__(self, index: int | slice | torch.Tensor) -> GrainStats:
        """Some rows, still a batch (an int gives a batch of one): one face's grain from a frame's."""
        if isinstance(index, int):
            index = slice(index, index + 1) if index != -1 else slice(-1, None)
        return GrainStats(*(getattr(self, f.name)[index] for f in fields(self)))

    @classmethod
    def cat(cls, parts: Sequence[GrainStats]) -> GrainStats:
        """The rows of several records, in order (faces of several frames in one batch)."""
        return cls(*(torch.cat([getattr(p, f.name) for p in parts]) for f in fields(cls)))


def estimate_grain(images: torch.Tensor, mask: torch.Tensor) -> GrainStats:
    """Measure the grain of ``images`` (N, 3, H, W) RGB in [0, 1], under and around ``mask``.

    ``mask`` (1 or N, 1, H, W) soft, in [0, 1]: "under" is where it reaches half its peak, "around" the
    rest; a region too small for either is measured whole. Clipped pixels and the blur's reach around
    them are left out (so is a warp's black border).
    Correlations longer than SIGMA_MAX px are taken as picture, not grain: at the film's own pixel
    scale (the engine's frame space) grain is finer than that.
    """
    x, m = _prepare(images, mask)
    ycc = to_ycc(x)
    residual = ycc - blur(ycc, HIGHPASS)
    usable = ~dilate(((x <= CLIP) | (x >= 1.0 - CLIP)).any(dim=1, keepdim=True), math.ceil(3 * HIGHPASS))
    under = _under(m)
    measures = _block_measures(ycc, residual)
    tile = min(TILE, *x.shape[-2:])
    power = _tile_power(residual[:, :1], tile)
    fits, spectra = [], []
    for region in (usable & under, usable & ~under, usable):  # the last for regions too small to split
        fits.append(_fit(*_pool_flattest(measures, _blocks_inside(region))))
        spectra.append(_bands(power, region, tile))
    (face_std, face_sigma), (around_std, around_sigma), (all_std, all_sigma) = fits
    use_around = torch.isnan(face_std) | (around_std < face_std)
    use_all = torch.isnan(face_std) & torch.isnan(around_std)
    std = torch.where(use_all, all_std, torch.where(use_around, around_std, face_std))
    sigma = torch.where(use_all, all_sigma, torch.where(use_around, around_sigma, face_sigma))
    spectrum = torch.where(use_all[:, :1], spectra[2], torch.where(use_around[:, :1], spectra[1], spectra[0]))
    return GrainStats(std=torch.nan_to_num(std, nan=0.0), sigma=torch.nan_to_num(sigma, nan=0.0),
                      face_std=face_std, around_std=around_std, spectrum=spectrum)


def apply_grain(images: torch.Tensor, stats: GrainStats, mask: torch.Tensor,
                seeds: torch.Tensor | Sequence[int], amount: float = 1.0) -> torch.Tensor:
    """Add grain like ``stats`` x ``amount`` to ``images`` (N, 3, H, W) where ``mask`` > 0; RGB in [0, 1].

    What the images already carry (measured the same way under the mask) is subtracted in quadrature,
    so a plastic face gets the full grain and a grainy one little. ``mask`` must be the weight the
    images will be blended with over the source, ``out = source (1 - m) + image m``: where m < 1 the
    grain is raised by sqrt(2/m - 1) (at most 2x), so that the blend of the source's grain and ours
    keeps the film's variance across the seam. ``seeds`` (N,) int: the noise is drawn on the CPU from
    ``torch.Generator().manual_seed(seed)`` and then moved, so one seed gives the same grain on every
    device and in every batch (the engine seeds by frame number: random access repeats it).
    """
    x, m = _prepare(images, mask)
    n, _, h, w = x.shape
    if amount <= 0.0 or not bool((m > 0).any()):
        return images
    seed_list = [int(s) for s in (seeds.tolist() if torch.is_tensor(seeds) else seeds)]
    if len(seed_list) != n or len(stats) != n:
        raise ValueError(f"apply_grain needs one seed and one GrainStats row per image ({n}), "
                         f"got {len(seed_list)} seeds and {len(stats)} rows")
    sigma = stats.sigma.to(x.device)
    ycc = to_ycc(x)
    measures = _block_measures(ycc, ycc - blur(ycc, HIGHPASS))
    pooled, share = _pool_flattest(measures, _blocks_inside(_under(m)))
    present = pooled[..., 0] / _gain_at(sigma, share)
    wanted = (amount * stats.std.to(x.device)).square()
    boost = 2.0 / m.clamp_min(SEAM_FLOOR) - 1.0
    missing = (wanted[..., None, None] * boost - torch.nan_to_num(present, nan=0.0)[..., None, None]).clamp_min(0)
    noise = _shaped_noise(seed_list, sigma.tolist(), (h, w)).to(x.device)
    grained = (x + from_ycc(noise * missing.sqrt())).clamp(0.0, 1.0)
    return torch.where(m > 0, grained, x).to(images.dtype)


def grain_std(image: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Grain std (3,) of Y, Cb, Cr of ``image`` (3, H, W), measured where ``weight`` (1, H, W) > 0.5."""
    ycc = to_ycc(image.float()[None])
    measures = _block_measures(ycc, ycc - blur(ycc, HIGHPASS))
    std, _ = _fit(*_pool_flattest(measures, _blocks_inside((weight > 0.5)[None].to(image.device))))
    return torch.nan_to_num(std[0], nan=0.0)


def radial_spectrum(images: torch.Tensor, region: torch.Tensor, tile: int = TILE) -> torch.Tensor:
    """Share of the luma high-pass residual's power per radial band of ``BANDS`` (N, B), over ``tile``
    px squares that lie (90%) inside ``region`` (N, 1, H, W) bool; NaN where none does."""
    y = to_ycc(images.float())[:, :1]
    tile = min(tile, *y.shape[-2:])
    return _bands(_tile_power(y - blur(y, HIGHPASS), tile), region.to(y.device), tile)


def _tile_power(residual: torch.Tensor, tile: int) -> torch.Tensor:
    """Power spectra (N, T, tile, tile) of the Hann-windowed ``tile`` px squares of (N, 1, H, W)."""
    n = residual.shape[0]
    tiles = F.unfold(residual, tile, stride=tile).transpose(1, 2).reshape(n, -1, tile, tile)
    window = torch.hann_window(tile, periodic=False, device=residual.device, dtype=residual.dtype)
    tiles = (tiles - tiles.mean(dim=(-2, -1), keepdim=True)) * (window[:, None] * window[None, :])
    return torch.fft.fft2(tiles).abs().square()


def _bands(power: torch.Tensor, region: torch.Tensor, tile: int) -> torch.Tensor:
    """Share of ``power`` (N, T, t, t) per band of BANDS over the tiles inside ``region`` (N, 1, H, W)."""
    inside = F.unfold(region.float(), tile, stride=tile).mean(dim=1) >= 0.9  # (N, T)
    total = (power * inside[..., None, None]).sum(dim=1)
    freq = torch.fft.fftfreq(tile, device=power.device, dtype=power.dtype)
    radius = torch.sqrt(freq[:, None] ** 2 + freq[None, :] ** 2)
    bands = torch.stack([(total * ((radius >= lo) & (radius < hi))).sum(dim=(-2, -1))
                         for lo, hi in zip(BANDS[:-1], BANDS[1:], strict=True)], dim=-1)
    share = bands / bands.sum(dim=-1, keepdim=True).clamp_min(torch.finfo(power.dtype).tiny)
    return torch.where(inside.any(dim=1, keepdim=True), share, torch.full_like(share, math.nan))


def _prepare(images: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Check shapes; float32 images (N, 3, H, W) and the mask expanded to (N, 1, H, W) on their device."""
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"film grain needs RGB images (N, 3, H, W), got {tuple(images.shape)}")
    n, _, h, w = images.shape
    if mask.ndim != 4 or mask.shape[1] != 1 or tuple(mask.shape[-2:]) != (h, w) or mask.shape[0] not in (1, n):
        raise ValueError(f"film grain needs a mask (1 or {n}, 1, {h}, {w}), got {tuple(mask.shape)}")
    return images.float(), mask.to(images.device, torch.float32).expand(n, 1, h, w)


def _under(m: torch.Tensor) -> torch.Tensor:
    """Where a soft mask (N, 1, H, W) reaches half its own peak (strength and ramps scale the peak)."""
    peak = m.amax(dim=(2, 3), keepdim=True)
    return (m >= 0.5 * peak) & (peak > 0)


def _blocks(t: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, T, BLOCK, BLOCK): the whole blocks, row by row."""
    n, c, h, w = t.shape
    rows, cols = h // BLOCK, w // BLOCK
    t = t[..., : rows * BLOCK, : cols * BLOCK].reshape(n, c, rows, BLOCK, cols, BLOCK)
    return t.permute(0, 1, 2, 4, 3, 5).reshape(n, c, rows * cols, BLOCK, BLOCK)


def _blocks_inside(region: torch.Tensor) -> torch.Tensor:
    """Which blocks (N, 1, T) lie wholly inside ``region`` (N, 1, H, W) bool."""
    return _blocks(region.float()).amin(dim=(-2, -1)) > 0.5


def _block_measures(ycc: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
    """Per block (N, C, T, 1 + len(LAGS)): the variance of the high-pass ``residual``, then of the
    horizontal and vertical differences at each lag inside the block, mean removed (so smooth shading
    does not count)."""
    yb = _blocks(ycc)
    if yb.shape[2] == 0:
        return yb.new_zeros((*yb.shape[:3], 1 + len(LAGS)))
    parts = [_blocks(residual).var(dim=(-2, -1))]
    for k in LAGS:
        dx, dy = yb[..., :, k:] - yb[..., :, :-k], yb[..., k:, :] - yb[..., :-k, :]
        parts.append((dx.var(dim=(-2, -1)) + dy.var(dim=(-2, -1))) / 2)
    return torch.stack(parts, dim=-1)


def _ranked_cumsum(v: torch.Tensor, inside: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Running sums (N, C, T, M) of ``v`` (N, C, T, M) over the blocks ``inside`` (N, 1, T), flattest
    (lowest residual variance) first, per image and channel; and how many blocks are inside (N, 1)."""
    key = torch.where(inside, v[..., 0], torch.full_like(v[..., 0], math.inf))
    ranked = v.gather(2, key.argsort(dim=-1, stable=True)[..., None].expand_as(v))
    return ranked.cumsum(dim=2), inside.sum(dim=-1)


def _pool_flattest(v: torch.Tensor, inside: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (N, C, M) of ``v`` (N, C, T, M) over the FLAT share (at least MIN_BLOCKS) of the blocks
    ``inside`` (N, 1, T) whose residual variance is lowest, per image and channel (picture texture only
    adds variance, grain is everywhere; NaN with fewer than MIN_BLOCKS blocks), and the share of the
    blocks that was pooled (N,), which sets the bias the gain table corrects for."""
    n, c, t, m = v.shape
    if t == 0:
        return torch.full((n, c, m), math.nan, device=v.device), torch.ones(n, device=v.device)
    total, count = _ranked_cumsum(v, inside)
    take = (count * FLAT).ceil().clamp_min(MIN_BLOCKS).clamp_max(count.clamp_min(1)).long()
    pooled = total.gather(2, (take - 1)[..., None, None].expand(-1, c, 1, m))[:, :, 0] / take[..., None]
    pooled = torch.where((count >= MIN_BLOCKS)[..., None], pooled, torch.full_like(pooled, math.nan))
    return pooled, (take / count.clamp_min(1))[:, 0]


def _fit(variances: torch.Tensor, share: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(std, sigma), each (N, C), of the model grain that best explains ``variances`` (N, C, M) pooled
    over ``share`` (N,) of the blocks.

    sigma: the grid value whose lag profile matches the measured one in log space, up to a common
    factor (least squares); std from the high-pass variance and that sigma's high-pass gain.
    """
    table = _table_for(share)  # (N, G, M)
    logv = variances.clamp_min(1e-12).log()[..., None, 1:]  # (N, C, 1, L)
    resid = logv - table[:, None, :, 1:].log()  # (N, C, G, L)
    err = (resid - resid.mean(dim=-1, keepdim=True)).square().sum(dim=-1)
    best = torch.nan_to_num(err, nan=math.inf).argmin(dim=-1)  # (N, C)
    std = (variances[..., 0] / table[..., 0].gather(1, best)).sqrt()
    sigma = torch.where(torch.isnan(std), torch.full_like(std, math.nan), best * SIGMA_STEP)
    return std, sigma


def _gain_at(sigma: torch.Tensor, share: torch.Tensor) -> torch.Tensor:
    """The pooled high-pass variance (N, C) of unit model grain with correlation ``sigma`` (N, C)."""
    table = _table_for(share)
    index = (sigma / SIGMA_STEP).round().long().clamp(0, table.shape[1] - 1)
    return table[..., 0].gather(1, index)


def _table_for(share: torch.Tensor) -> torch.Tensor:
    """The gain table (N, G, M) calibrated for the pooled share nearest to each of ``share`` (N,)."""
    shares, table = (t.to(share.device) for t in _gain_table())
    nearest = (shares.log()[None, :] - share.clamp_min(1e-6).log()[:, None]).abs().argmin(dim=1)
    return table[nearest]


@functools.lru_cache(maxsize=1)
def _gain_table() -> tuple[torch.Tensor, torch.Tensor]:
    """Pooled shares (Q,) and the pooled block measures (Q, G, 1 + len(LAGS)) of unit model grain on
    the sigma grid (G,): 0, SIGMA_STEP, .. SIGMA_MAX.

    Measured by running the estimator's own block statistics on model grain (a fixed seed, CALIBRATION
    px square, on the CPU), so the choice of the flattest blocks and its bias, for each share of blocks
    pooled, are all in it: the estimator needs no empirical constant. Under a second, once per process.
    """
    sigmas = torch.arange(0.0, SIGMA_MAX + SIGMA_STEP / 2, SIGMA_STEP).tolist()
    shares = torch.logspace(math.log10(FLAT), 0.0, 12)
    white = torch.randn((1, 1, CALIBRATION, CALIBRATION), generator=torch.Generator().manual_seed(0))
    inside = _blocks_inside(torch.ones((1, 1, CALIBRATION, CALIBRATION), dtype=torch.bool))
    takes = (shares * inside.sum()).ceil().long()
    rows = []
    for s in sigmas:
        grain = shape_noise(white, s)
        total, _ = _ranked_cumsum(_block_measures(grain, grain - blur(grain, HIGHPASS)), inside)
        rows.append(total[0, 0, takes - 1] / takes[:, None])  # (Q, M)
    return shares, torch.stack(rows, dim=1)


def _shaped_noise(seeds: Sequence[int], sigmas: Sequence[Sequence[float]], size: tuple[int, int]) -> torch.Tensor:
    """Unit-std noise (N, 3, H, W) on the CPU, image i from ``seeds[i]``, channel c shaped to sigmas[i][c]."""
    out = []
    for seed, sigma in zip(seeds, sigmas, strict=True):
        white = torch.randn((3, 1, *size), generator=torch.Generator().manual_seed(seed))
        out.append(torch.cat([shape_noise(white[c : c + 1], s) for c, s in enumerate(sigma)])[:, 0])
    return torch.stack(out)


def seed_for(frame: int, face: int = 0, salt: int = 0x5EED) -> int:
    """The grain seed of a frame (and a face on it): a fixed function of the numbers, so that random
    access and any batching repeat the same grain."""
    z = (frame * 0x9E3779B97F4A7C15 + face * 0xBF58476D1CE4E5B9 + salt) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return (z ^ (z >> 31)) & 0x7FFFFFFFFFFFFFFF


def add_grain(layer: torch.Tensor, background: torch.Tensor, mask: torch.Tensor, seed: int,
              amount: float = 1.0) -> torch.Tensor:
    """The engine's grain step, in frame space: grain like the source's on the restored face ``layer``.

    ``layer`` (3, H, W) is the restored faces over a frame region, ``background`` the source there and
    ``mask`` (1, H, W) the weight the compositor blends ``layer`` with (ramp and strength included).
    Grain is measured on ``background`` under and around the faces and added where ``mask`` > 0, at
    the film's own pixel scale (no resampling in between), seeded by ``seed`` (``seed_for(frame)``).
    """
    if amount <= 0.0:
        return layer
    stats = estimate_grain(background[None], mask[None])
    return apply_grain(layer[None], stats, mask[None], [seed], amount)[0]
