"""Film-scan fidelity: grain on the face against its surroundings, colour kept, monochrome untouched.

Made inputs: scikit-image's astronaut (a real photo), lightly blurred so that its own grain is gone,
with model film grain of known std and correlation length added; a stand-in "plastic" restorer (a
heavy denoise, as GAN restorers look on grain) replaces the face. Reported:

- grain, crop space: std (Y, Cb, Cr) of the grain a viewer sees under the face, across the seam and
  around it (the output minus the known clean picture), its correlation length and radial spectrum,
  with the plastic restorer alone and after ``apply_grain``;
- grain, the engine's path: a 4:2:0 8-bit frame with grain in its planes through ``FaceStage.align``
  and ``FaceStage.composite`` (``--grain auto`` vs ``off``), measured in plane codes;
- the estimator: measured std and correlation length against the truth;
- colour: mean delta-E (CIEDE2000 and CIE76) of a low pass inside the mask between source and output,
  for restorers with a cast, with and without ``match_colour``, and how much fine detail moved;
- mono: chroma change of a black-and-white frame through the engine's composite (0 = bit for bit),
  and of ``luma_only`` on grey crops (RGB families);
- cost per call on this machine's CPU.

    python bench/film.py
"""

from __future__ import annotations

import platform
import time
from types import SimpleNamespace

import numpy as np
import torch
from skimage.color import deltaE_cie76, deltaE_ciede2000, rgb2lab
from skimage.data import astronaut

from gpen_video.colour import planes_to_rgb
from gpen_video.restore import film
from gpen_video.restore.composite import composite
from gpen_video.restore.film_ops import shape_noise
from gpen_video.restore.mask import face_mask

GRAIN = (0.025, 0.008, 0.008)  # Y, Cb, Cr std of the model grain: about 6 and 2 codes of 8-bit
POINTS = np.array([[204, 103], [245, 104], [224, 129], [203, 139], [245, 140]], dtype=np.float32)  # her face


def _photo() -> torch.Tensor:
    """The astronaut (1, 3, 512, 512), lightly blurred so that the photo's own grain is gone."""
    return film._blur(torch.from_numpy(astronaut()).permute(2, 0, 1).float()[None] / 255, 1.0)


def _grain(shape: tuple[int, ...], sigma: float, seed: int) -> torch.Tensor:
    white = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    return shape_noise(white, sigma) * torch.tensor(GRAIN).view(1, 3, 1, 1)


def _oval(size: int) -> torch.Tensor:
    y, x = torch.meshgrid(torch.arange(float(size)), torch.arange(float(size)), indexing="ij")
    c, a, b = size / 2, 0.27 * size, 0.35 * size
    return film._blur((((x - c) / a) ** 2 + ((y - 0.47 * size) / b) ** 2 <= 1).float()[None, None], 4.0)


def _fmt(values: torch.Tensor, digits: int = 4) -> str:
    return " / ".join(f"{v:.{digits}f}" for v in values.tolist())


def _spectrum(seen: torch.Tensor, where: torch.Tensor) -> str:
    """Luma residual power per band of film.BANDS (cycles/px), as percentages."""
    share = film.radial_spectrum((0.5 + seen), where[None, None].expand(len(seen), 1, -1, -1))[0]
    return " ".join(f"{100 * v:.0f}" for v in share.tolist()) if bool(torch.isfinite(share).all()) else "-"


def crop_grain_rows(sigma: float) -> list[tuple[str, ...]]:
    """Seen grain per region, crop space, for the plastic restorer alone and with apply_grain."""
    scene = _photo()[:, :, 20:276, 120:376]
    mask = _oval(256)
    truth = _grain(scene.shape, sigma, seed=1)
    source = scene + film.from_ycc(truth)
    plastic = film._blur(source, 3.0)
    stats = film.estimate_grain(source, mask)
    grainy = film.apply_grain(plastic, stats, mask, [film.seed_for(0)])
    clean = scene * (1 - mask) + film._blur(scene, 3.0) * mask
    m = mask[0, 0]
    regions = {"face": m > 0.98, "seam": (m > 0.3) & (m < 0.7), "around": m < 0.02}
    rows = [(f"sigma {sigma}: truth", "all", _fmt(truth[0].flatten(1).std(dim=1)), f"{sigma:.1f}",
             _spectrum(film.from_ycc(truth), torch.ones_like(m, dtype=torch.bool)))]
    for name, face in (("plastic restorer", plastic), ("+ apply_grain", grainy)):
        seen = film.from_ycc(film.to_ycc(source * (1 - mask) + face * mask - clean))
        fit = film.estimate_grain(0.5 + seen, mask)
        for region, where in regions.items():
            if region == "around" and name != "plastic restorer":
                continue
            std = film.to_ycc(seen)[0][:, where].std(dim=1)
            corr = f"{float(fit.sigma[0, 0]):.1f}" if region == "face" else ""
            rows.append((f"sigma {sigma}: {name}", region, _fmt(std), corr, _spectrum(seen, where)))
    return rows


def estimator_rows() -> list[tuple[str, ...]]:
    """The estimator on the photo with model grain (std, sigma) against the truth."""
    scene = _photo()[:, :, 20:276, 120:376]
    rows = []
    for sigma in (0.0, 0.6, 1.2, 2.0):
        truth = _grain(scene.shape, sigma, seed=2)
        stats = film.estimate_grain(scene + film.from_ycc(truth), _oval(256))
        ratio = stats.std[0] / truth[0].flatten(1).std(dim=1)
        rows.append((f"{sigma:.1f}", _fmt(ratio, 2), _fmt(stats.sigma[0], 1)))
    return rows


def engine_grain_rows() -> list[tuple[str, ...]]:
    """A 4:2:0 frame with grain in its planes through the engine's own align and composite."""
    from gpen_video.options import Options, RestoreOptions
    from gpen_video.restore.stage import CropRecipe, FaceStage

    rgb = _photo()[0]
    ycc = film.to_ycc(rgb)
    gen = torch.Generator().manual_seed(3)
    y_grain = shape_noise(torch.randn((1, 1, 512, 512), generator=gen), 1.0)[0, 0] * 6.0
    c_grain = torch.randn((2, 256, 256), generator=gen) * 2.0

    def planes(noisy: bool) -> list[np.ndarray]:
        y = ycc[0] * 219 + 16 + (y_grain if noisy else 0)
        c = torch.nn.functional.avg_pool2d(ycc[1:][None], 2)[0] * 224 + 128 + (c_grain if noisy else 0)
        return [p.round().clamp(0, 255).to(torch.uint8).numpy() for p in (y, c[0], c[1])]

    layout = SimpleNamespace(family="yuv", bit_depth=8, subsampling=(1, 1), has_alpha=False)
    video = SimpleNamespace(layout=layout, matrix="bt601", range="tv")
    outs = {}
    for grain in ("auto", "off"):
        stage = FaceStage(Options(restore=RestoreOptions(grain=grain, mono="off")), model=_StandIn(), device="cpu")
        for noisy in (True, False):
            p = planes(noisy)
            frame = planes_to_rgb([torch.from_numpy(x) for x in p], layout, "bt601", "tv")
            recipe = stage.align(frame, [CropRecipe(0, 0, POINTS, 0)])[0]
            crops = film._blur(recipe.source[None], 3.0)  # the plastic restorer
            outs[grain, noisy] = stage.composite(0, p, video, [recipe], crops, stage.mask, np.ones(1, np.float32))
    m = _frame_mask(recipe.affine, stage.mask, 512)
    regions = {"face": m > 0.98, "seam": (m > 0.3) & (m < 0.7), "around": _around(m)}
    rows = [("source planes (truth)", "", f"{y_grain.std():.2f}", f"{c_grain[0].std():.2f} / {c_grain[1].std():.2f}")]
    for grain in ("off", "auto"):
        seen = [a.astype(np.float64) - b.astype(np.float64) for a, b in zip(outs[grain, True], outs["off", False],
                                                                           strict=True)]
        for region, where in regions.items():
            w = where.numpy()
            wc = w[::2, ::2] & w[1::2, ::2] & w[::2, 1::2] & w[1::2, 1::2]
            rows.append((f"--grain {grain}", region, f"{seen[0][w].std():.2f}",
                         f"{seen[1][wc].std():.2f} / {seen[2][wc].std():.2f}"))
    return rows


def _frame_mask(affine: torch.Tensor, mask: torch.Tensor, size: int) -> torch.Tensor:
    """The compositor's blend weight in the frame (H, W): a white crop pasted on a black 16-bit gray frame."""
    gray = SimpleNamespace(family="gray", bit_depth=16, subsampling=(0, 0), has_alpha=False)
    plane = torch.zeros((size, size), dtype=torch.int32)
    crops = torch.ones((1, 3, mask.shape[-1], mask.shape[-1]))
    return composite([plane], gray, "bt601", "pc", crops, affine[None], [1.0], mask)[0].float() / 65535


def _around(m: torch.Tensor, reach: int = 24) -> torch.Tensor:
    """Pixels within ``reach`` px of the face mask but outside it."""
    near = torch.nn.functional.max_pool2d((m > 0).float()[None, None], 2 * reach + 1, 1, reach)[0, 0] > 0
    return near & (m == 0)


def colour_rows() -> list[tuple[str, ...]]:
    source = torch.nn.functional.interpolate(_photo()[:, :, 40:200, 150:310], size=(256, 256), mode="area")
    mask = face_mask(256)
    weight = mask[0, 0].numpy()
    restorers = {
        "warm cast (x1.12 R, x0.85 B, +0.04)": source * torch.tensor([1.12, 1.0, 0.85]).view(1, 3, 1, 1) + 0.04,
        "pale (chroma x0.6, +0.06)": film.from_ycc(film.to_ycc(source) * torch.tensor([1.0, 0.6, 0.6]).view(1, 3, 1, 1))
        + 0.06,
        "red (Cr +0.04)": film.from_ycc(film.to_ycc(source) + torch.tensor([0.0, 0.0, 0.04]).view(1, 3, 1, 1)),
    }
    low_source = rgb2lab(film._blur(source, 8.0)[0].permute(1, 2, 0).clamp(0, 1).numpy())

    def delta_e(image: torch.Tensor) -> str:
        low = rgb2lab(film._blur(image, 8.0)[0].permute(1, 2, 0).clamp(0, 1).numpy())
        means = [float((f(low_source, low) * weight).sum() / weight.sum()) for f in (deltaE_ciede2000, deltaE_cie76)]
        return f"{means[0]:.2f} / {means[1]:.2f}"

    rows = []
    for name, restored in restorers.items():
        restored = restored.clamp(0, 1)
        matched = film.match_colour(restored, source, mask)
        detail = (matched - film._blur(matched, 1.0)) - (restored - film._blur(restored, 1.0))
        moved = detail[0][:, weight > 0.5].abs()
        rows.append((name, delta_e(restored), delta_e(matched), f"{255 * moved.mean():.3f} / {255 * moved.max():.2f}"))
    return rows


def mono_rows() -> list[tuple[str, str]]:
    from gpen_video.options import Options
    from gpen_video.restore.stage import CropRecipe, FaceStage

    luma = (film.to_ycc(_photo()[0])[0] * 219 + 16).round().to(torch.uint8)
    chroma = torch.full((256, 256), 128, dtype=torch.uint8)
    planes = [luma.numpy(), chroma.numpy(), chroma.clone().numpy()]
    stage = FaceStage(Options(), model=_StandIn(), device="cpu")
    layout = SimpleNamespace(family="yuv", bit_depth=8, subsampling=(1, 1), has_alpha=False)
    video = SimpleNamespace(layout=layout, matrix="bt601", range="tv")
    rgb = torch.stack([luma.float() / 255] * 3)
    recipe = stage.align(rgb, [CropRecipe(0, 0, POINTS, 0)])[0]
    crops = (recipe.source[None] * torch.tensor([1.2, 0.9, 0.8]).view(1, 3, 1, 1)).clamp(0, 1)  # tinted
    out = stage.composite(0, planes, video, [recipe], crops, stage.mask, np.ones(1, np.float32))
    change = max(int(np.abs(o.astype(int) - p.astype(int)).max()) for o, p in zip(out[1:], planes[1:], strict=True))
    luma_change = int((out[0] != planes[0]).sum())
    grey = recipe.source[None].mean(dim=1, keepdim=True).expand(-1, 3, -1, -1)
    swapped = film.to_ycc(film.luma_only(crops, grey))
    return [("yuv420p: largest chroma change through composite (codes)", str(change)),
            ("yuv420p: luma pixels restored", str(luma_change)),
            ("rgb crop: largest chroma (Cb, Cr) after luma_only on a grey source",
             f"{float(swapped[:, 1:].abs().max()):.1e}")]


def cost_rows() -> list[tuple[str, str]]:
    crops = _photo()[:, :, :, :].expand(4, -1, -1, -1).contiguous()
    mask = face_mask(512)
    stats = film.estimate_grain(crops, mask)
    frame = [np.zeros((1080, 1920), np.uint8), np.full((540, 960), 128, np.uint8), np.full((540, 960), 128, np.uint8)]
    region = _photo()[0, :, :400, :400]
    calls = {
        "estimate_grain, 4 crops of 512": lambda: film.estimate_grain(crops, mask),
        "apply_grain, 4 crops of 512": lambda: film.apply_grain(crops, stats, mask, [1, 2, 3, 4]),
        "add_grain (engine), a 400x400 frame region": lambda: film.add_grain(region, region, mask[0, :, :400, :400], 1),
        "match_colour, 4 crops of 512": lambda: film.match_colour(crops, crops, mask),
        "detail_only, 4 crops of 512": lambda: film.detail_only(crops, crops),
        "is_monochrome, a 1080p 4:2:0 frame": lambda: film.is_monochrome(frame, "yuv", 8),
    }
    rows = []
    for name, call in calls.items():
        call()
        start = time.perf_counter()
        for _ in range(3):
            call()
        rows.append((name, f"{(time.perf_counter() - start) / 3 * 1000:.0f}"))
    return rows


class _StandIn(torch.nn.Module):
    """A 'network' of the right size: the bench measures what happens around it."""

    size = 256

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


def _table(header: str, rows: list[tuple[str, ...]]) -> None:
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def main() -> None:
    torch.set_grad_enabled(False)
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}, CPU\n")
    _table("| grain (crop space, oval mask) | region | seen std Y / Cb / Cr | sigma px | spectrum % per band |",
           crop_grain_rows(0.0) + crop_grain_rows(1.2))
    _table("| estimator: true sigma px | measured std / true, Y / Cb / Cr | measured sigma Y / Cb / Cr |",
           estimator_rows())
    _table("| grain (engine: align + composite, 4:2:0 8-bit) | region | seen std Y (codes) | U / V (codes) |",
           engine_grain_rows())
    _table("| colour restorer | delta-E 2000 / 76 before | after match_colour | detail moved mean / max (codes) |",
           colour_rows())
    _table("| black-and-white | |", mono_rows())
    _table("| cost (CPU) | ms per call |", cost_rows())


if __name__ == "__main__":
    main()
