"""Film-scan fidelity on real photos: grain measured and matched, colour kept, mono left alone."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.data import astronaut

from gpen_video.restore import film
from gpen_video.restore.mask import face_mask


@pytest.fixture(scope="module")
def face() -> torch.Tensor:
    """The astronaut's head, (3, 128, 128) in [0, 1]."""
    crop = astronaut()[40:200, 150:310]
    t = torch.from_numpy(crop).permute(2, 0, 1).float()[None] / 255
    return torch.nn.functional.interpolate(t, size=(128, 128), mode="area")[0]


def _noisy(image: torch.Tensor, std: float, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return image + torch.randn(image.shape, generator=generator) * std


def test_grain_estimate_recovers_known_noise():
    """On the whole photo (face, suit and background, as the engine measures a face's surroundings)."""
    photo = torch.from_numpy(astronaut()).permute(2, 0, 1).float()[None] / 255
    smooth = film._blur(torch.nn.functional.interpolate(photo, size=(256, 256), mode="area"), 1.0)[0]
    for std in (0.015, 0.03):  # 4 and 8 codes of 8-bit film grain
        measured = film.grain_std(_noisy(smooth, std), torch.ones(1, 256, 256))
        truth = film.to_ycc(torch.randn(3, 4096, 1) * std).std(dim=(1, 2))
        assert torch.allclose(measured, truth, rtol=0.15), (measured, truth)


def test_grain_on_a_clean_face_matches_its_surroundings(face):
    source = _noisy(face, 0.025)
    clean = film._blur(face[None], 2.0)[0]
    mask = torch.ones(1, 128, 128)
    grainy = film.add_grain(clean, source, mask, seed=film.seed_for(7))
    want, got = film.grain_std(source, mask), film.grain_std(grainy, mask)
    assert torch.allclose(got, want, rtol=0.15), (got, want)
    assert torch.equal(grainy, film.add_grain(clean, source, mask, seed=film.seed_for(7)))  # same frame
    assert not torch.equal(grainy, film.add_grain(clean, source, mask, seed=film.seed_for(8)))
    outside = torch.zeros(1, 128, 128)
    assert torch.equal(film.add_grain(clean, source, outside, seed=1), clean)  # nothing outside the mask


def test_colour_match_removes_a_cast_and_keeps_detail(face):
    mask = face_mask(128)
    cast = (face * torch.tensor([1.15, 0.95, 0.8]).view(3, 1, 1)).clamp(0, 1)  # a warm, pale "restoration"
    matched = film.match_colour(cast[None], face[None], mask)[0]
    weight = mask[0]
    def mean(x):
        return (x * weight).sum(dim=(1, 2)) / weight.sum()

    assert (mean(matched) - mean(face)).abs().max() < 0.01 < (mean(cast) - mean(face)).abs().max()
    detail = cast - film._blur(cast[None], 1.0)[0]
    kept = matched - film._blur(matched[None], 1.0)[0]
    assert torch.corrcoef(torch.stack([detail.flatten(), kept.flatten()]))[0, 1] > 0.9


def test_detail_only_takes_low_frequencies_from_the_source(face):
    restored = (face * 0.7 + 0.2).clamp(0, 1)
    out = film.detail_only(restored[None], face[None])[0]
    px = film.DETAIL_SIGMA * 128
    low = film._blur(out[None], 4 * px)[0]
    assert (low - film._blur(face[None], 4 * px)[0]).abs().mean() < 0.02
    assert (low - film._blur(restored[None], 4 * px)[0]).abs().mean() > 0.05


def test_monochrome_frames_are_recognised(face):
    gray = (face.mean(dim=0, keepdim=True) * 255).round().to(torch.uint8)
    chroma = torch.full((64, 64), 128, dtype=torch.uint8)
    assert film.is_monochrome([gray[0], chroma, chroma], "yuv", 8)
    assert film.is_monochrome([gray[0]], "gray", 8)
    assert film.is_monochrome([gray[0], gray[0], gray[0]], "rgb", 8)
    colour = (face * 255).round().to(torch.uint8)
    assert not film.is_monochrome(list(colour), "rgb", 8)
    tinted = chroma.clone()
    tinted[:32] = 140
    assert not film.is_monochrome([gray[0], tinted, chroma], "yuv", 8)


def test_luma_only_keeps_the_source_chroma(face):
    restored = (face.flip(-1) * 0.9).clamp(0, 1)
    out = film.luma_only(restored, face)
    in_gamut = ((out > 0) & (out < 1)).all(dim=0)  # where no channel had to be clamped
    assert in_gamut.float().mean() > 0.9
    assert torch.allclose(film.to_ycc(out)[1:, in_gamut], film.to_ycc(face)[1:, in_gamut], atol=1e-4)
    assert torch.allclose(film.to_ycc(out)[0, in_gamut], film.to_ycc(restored)[0, in_gamut], atol=1e-4)


@pytest.mark.parametrize(("value", "amount"), [("auto", 1.0), ("off", 0.0), ("0.5", 0.5)])
def test_grain_values(value, amount):
    assert film.parse_grain(value) == amount


def test_bad_grain_value_is_one_clear_sentence():
    with pytest.raises(ValueError, match="grain must be auto, off or a number"):
        film.parse_grain("lots")
    assert np.isfinite(film._HIGHPASS_KEEP)
