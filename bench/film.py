"""Film-scan fidelity: grain on the face against its surroundings, colour kept, monochrome untouched.

On a real photo (scikit-image's astronaut, her head and its surroundings) with film-like grain of
known std, a stand-in "plastic" restorer (a heavy denoise, as GAN restorers look on grain) replaces
the face. Reported:

- grain: noise std (Y, Cb, Cr) of the face and of its surroundings, and the face's radial spectrum
  (share of residual power above half Nyquist), before and after ``add_grain``;
- colour: mean CIE76 delta-E of a low pass inside the mask between source and output, for a restorer
  with a warm cast, with and without ``match_colour``;
- mono: the largest chroma change of a black-and-white frame through the engine's composite (0 means
  bit for bit).

    python bench/film.py
"""

from __future__ import annotations

import platform
from types import SimpleNamespace

import numpy as np
import torch
from skimage.color import rgb2lab
from skimage.data import astronaut

from gpen_video.restore import film
from gpen_video.restore.mask import face_mask

GRAIN = 0.03  # 8 codes of 8-bit film grain


def _photo() -> torch.Tensor:
    return torch.from_numpy(astronaut()).permute(2, 0, 1).float() / 255


def _high_share(image: torch.Tensor) -> float:
    """Share of the luma residual's power above half Nyquist: grain texture, not picture."""
    residual = film.to_ycc(image)[0] - film._blur(film.to_ycc(image)[None], 4.0)[0, 0]
    power = torch.fft.fftshift(torch.fft.fft2(residual)).abs() ** 2
    h, w = power.shape
    y, x = torch.meshgrid(torch.arange(h) - h // 2, torch.arange(w) - w // 2, indexing="ij")
    radius = torch.sqrt((y / (h / 2)) ** 2 + (x / (w / 2)) ** 2)
    return float(power[radius > 0.5].sum() / power.sum())


def grain_rows() -> list[tuple[str, str, str, str]]:
    generator = torch.Generator().manual_seed(0)
    photo = _photo()
    source = (photo + torch.randn(photo.shape, generator=generator) * GRAIN).clamp(0, 1)
    face, around = (slice(None), slice(40, 200), slice(150, 310)), (slice(None), slice(300, 460), slice(0, 160))
    plastic = source.clone()
    plastic[face] = film._blur(source[face][None], 3.0)[0]  # the "restored" face: clean and smooth
    mask = torch.zeros(1, *photo.shape[1:])
    mask[face] = 1
    region = (slice(None), slice(0, 256), slice(96, 352))  # the face and what surrounds it
    grainy = plastic.clone()
    grainy[region] = film.add_grain(plastic[region], source[region], mask[region], seed=film.seed_for(0))
    ones = torch.ones(1, 160, 160)

    def row(name: str, image: torch.Tensor) -> tuple[str, str, str, str]:
        std = film.grain_std(image[face], ones)
        return (name, " / ".join(f"{v:.4f}" for v in std.tolist()), f"{_high_share(image[face]):.3f}", "")

    surroundings = film.grain_std(source[around], ones)
    return [("surroundings (source)", " / ".join(f"{v:.4f}" for v in surroundings.tolist()),
             f"{_high_share(source[around]):.3f}", ""),
            row("face, source", source), row("face, plastic restorer", plastic), row("face, + add_grain", grainy)]


def colour_rows() -> list[tuple[str, str]]:
    photo = _photo()[:, 40:200, 150:310]
    source = torch.nn.functional.interpolate(photo[None], size=(256, 256), mode="area")
    cast = (source * torch.tensor([1.12, 1.0, 0.85]).view(1, 3, 1, 1) + 0.04).clamp(0, 1)
    mask = face_mask(256)
    matched = film.match_colour(cast, source, mask)

    def delta_e(image: torch.Tensor) -> float:
        low = [film._blur(x, 8.0)[0].permute(1, 2, 0).numpy() for x in (image, source)]
        diff = np.linalg.norm(rgb2lab(low[0]) - rgb2lab(low[1]), axis=-1)
        weight = mask[0, 0].numpy()
        return float((diff * weight).sum() / weight.sum())

    return [("warm, pale restorer", f"{delta_e(cast):.2f}"), ("+ match_colour", f"{delta_e(matched):.2f}")]


def mono_rows() -> list[tuple[str, str]]:
    from gpen_video.options import Options
    from gpen_video.restore.stage import CropRecipe, FaceStage

    luma = (film.to_ycc(_photo())[0] * 219 + 16).round().to(torch.uint8)
    chroma = torch.full((256, 256), 128, dtype=torch.uint8)
    planes = [luma.numpy(), chroma.numpy(), chroma.clone().numpy()]
    stage = FaceStage(Options(), model=_StandIn(), device="cpu")
    layout = SimpleNamespace(family="yuv", bit_depth=8, subsampling=(1, 1), has_alpha=False)
    video = SimpleNamespace(layout=layout, matrix="bt601", range="tv")
    points = np.array([[204, 103], [245, 104], [224, 129], [203, 139], [245, 140]], dtype=np.float32)
    rgb = torch.stack([luma.float() / 255] * 3)
    recipe = stage.align(rgb, [CropRecipe(0, 0, points, 0)])[0]
    crops = (recipe.source[None] * torch.tensor([1.2, 0.9, 0.8]).view(1, 3, 1, 1)).clamp(0, 1)  # tinted
    out = stage.composite(0, planes, video, [recipe], crops, np.ones(1, np.float32))
    change = max(int(np.abs(o.astype(int) - p.astype(int)).max()) for o, p in zip(out[1:], planes[1:], strict=True))
    luma_change = int((out[0] != planes[0]).sum())
    return [("largest chroma change (codes)", str(change)), ("luma pixels restored", str(luma_change))]


class _StandIn(torch.nn.Module):
    """A 'network' of the right size: the bench measures what happens around it."""

    size = 128

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


def main() -> None:
    print(f"machine: {platform.machine()}, torch {torch.__version__}, CPU\n")
    print(f"| grain (source std {GRAIN}) | std Y / Cb / Cr | power above Nyquist/2 |\n|---|---|---|")
    for name, std, share, _ in grain_rows():
        print(f"| {name} | {std} | {share} |")
    print("\n| colour | mean delta-E (CIE76, low pass, in mask) |\n|---|---|")
    for name, value in colour_rows():
        print(f"| {name} | {value} |")
    print("\n| black-and-white frame through composite | |\n|---|---|")
    for name, value in mono_rows():
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
