"""Film-scan fidelity on real photos and footage: grain measured and matched, colour kept, mono left alone."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from skimage.data import astronaut

from gpen_video.restore import film
from gpen_video.restore.film_ops import shape_noise
from gpen_video.restore.mask import face_mask
from tests.reference import INTERVIEW, require

GRAIN = torch.tensor([0.025, 0.008, 0.008]).view(1, 3, 1, 1)  # Y, Cb, Cr std: 6 and 2 codes of 8-bit


def _photo() -> torch.Tensor:
    return torch.from_numpy(astronaut()).permute(2, 0, 1).float()[None] / 255


@pytest.fixture(scope="module")
def face() -> torch.Tensor:
    """The astronaut's head, (3, 128, 128) in [0, 1]."""
    t = _photo()[:, :, 40:200, 150:310]
    return torch.nn.functional.interpolate(t, size=(128, 128), mode="area")[0]


@pytest.fixture(scope="module")
def scene() -> torch.Tensor:
    """Her head and what surrounds it, (1, 3, 256, 256), lightly blurred so that its own grain is gone."""
    return film._blur(_photo(), 1.0)[:, :, 20:276, 120:376]


@pytest.fixture(scope="module")
def oval() -> torch.Tensor:
    """A soft face-shaped mask (1, 1, 256, 256) with room around it, as a parsing mask leaves."""
    y, x = torch.meshgrid(torch.arange(256.0), torch.arange(256.0), indexing="ij")
    inside = (((x - 128) / 70) ** 2 + ((y - 120) / 90) ** 2 <= 1).float()[None, None]
    return film._blur(inside, 4.0)


def _grain(shape: torch.Size, sigma: float, seed: int) -> torch.Tensor:
    """Model film grain (N, 3, H, W) in Y'CbCr with GRAIN's std and correlation ``sigma`` px."""
    white = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    return shape_noise(white, sigma) * GRAIN


@pytest.mark.parametrize("sigma", [0.0, 1.0])
def test_grain_estimate_recovers_known_noise(scene, oval, sigma):
    grain = _grain(scene.shape, sigma, seed=1)
    stats = film.estimate_grain(scene + film.from_ycc(grain), oval)
    truth = grain.std(dim=(2, 3))
    assert torch.allclose(stats.std, truth, rtol=0.15), (stats.std, truth)
    assert (stats.sigma - sigma).abs().max() <= 0.45, stats.sigma  # sigma 0.4 is near white: side taps 4%
    assert torch.isfinite(stats.face_std).all() and torch.isfinite(stats.around_std).all()
    assert torch.allclose(stats.spectrum.sum(dim=1), torch.ones(1))


def test_grain_is_seeded(scene, oval):
    stats = film.estimate_grain(scene + film.from_ycc(_grain(scene.shape, 0.7, seed=2)), oval)
    plastic = film._blur(scene, 2.0)
    once = film.apply_grain(plastic, stats, oval, [film.seed_for(7)])
    assert torch.equal(once, film.apply_grain(plastic, stats, oval, [film.seed_for(7)]))  # same frame
    assert not torch.equal(once, film.apply_grain(plastic, stats, oval, [film.seed_for(8)]))
    # a face's grain does not depend on its batch-mates (rule 1: the same frame in any batch)
    pair = film.apply_grain(torch.cat([plastic, scene]), film.GrainStats.cat([stats, stats]), oval,
                            [film.seed_for(7), 5])
    assert torch.equal(pair[:1], once)
    assert torch.equal(film.apply_grain(plastic, stats, torch.zeros_like(oval), [1]), plastic)  # no mask
    assert film.apply_grain(plastic, stats, oval, [1], amount=0.0) is plastic


@pytest.mark.parametrize("sigma", [0.0, 1.2])
def test_grain_on_a_clean_face_matches_its_surroundings(scene, oval, sigma):
    """The engine's frame-space step: a plastic face blended over a grainy frame gets the frame's grain,
    under the face, across the seam and around it alike (measured against the known clean picture)."""
    grain = _grain(scene.shape, sigma, seed=3)
    source = scene + film.from_ycc(grain)
    plastic = film._blur(source, 3.0)
    layer = film.add_grain(plastic[0], source[0], oval[0], seed=film.seed_for(11))
    after = source * (1 - oval) + layer[None] * oval  # what the compositor does with it
    seen = film.to_ycc(after - (scene * (1 - oval) + film._blur(scene, 3.0) * oval))[0]  # grain a viewer sees
    m = oval[0, 0]
    regions = {"face": m > 0.98, "seam": (m > 0.3) & (m < 0.7), "around": m < 0.02}
    truth = grain[0][:, regions["around"]].std(dim=1)
    for name, where in regions.items():
        assert torch.allclose(seen[:, where].std(dim=1), truth, rtol=0.15), (name, seen[:, where].std(dim=1), truth)
    correlation = film.estimate_grain((0.5 + film.from_ycc(seen))[None], oval)
    assert (correlation.sigma - sigma).abs().max() <= 0.45, correlation.sigma  # 0.4 px is still near white
    assert torch.equal(layer, film.add_grain(plastic[0], source[0], oval[0], seed=film.seed_for(11)))
    assert torch.equal(film.add_grain(plastic[0], source[0], torch.zeros_like(oval[0]), seed=1), plastic[0])


@pytest.mark.parametrize("size", [(8, 8), (20, 40), (48, 48)])
def test_small_regions(size):
    """A small face's region is measured whole; one too small for a measurement gets no grain."""
    source = 0.5 + film.from_ycc(_grain(torch.Size((1, 3, *size)), 0.0, seed=4))
    mask = torch.ones((1, 1, *size))
    stats = film.estimate_grain(source, mask)
    layer = film.add_grain(torch.full((3, *size), 0.5), source[0], mask[0], seed=1)
    if min(size) < 32:
        assert torch.equal(stats.std, torch.zeros(1, 3)) and torch.equal(layer, torch.full((3, *size), 0.5))
    else:
        assert torch.allclose(stats.std, GRAIN.flatten()[None], rtol=0.3) and not torch.equal(layer, source[0])


def test_a_faces_result_does_not_depend_on_its_batch_mates(scene, oval):
    """Rule 1: the same frame gives the same pixels whichever faces it is batched with."""
    restored = film._blur(scene, 2.0) * 1.1
    others = torch.cat([scene.flip(-1), scene * 0.5])
    for call in (lambda r, s: film.match_colour(r, s, oval), film.detail_only, film.luma_only,
                 lambda r, s: film.estimate_grain(s, oval).std):
        alone = call(restored, scene)
        batched = call(torch.cat([restored, others]), torch.cat([scene, others]))[:1]
        assert torch.equal(alone, batched)


def test_colour_match_removes_a_cast_and_keeps_detail(face):
    mask = face_mask(128)
    cast = (face * torch.tensor([1.15, 0.95, 0.8]).view(3, 1, 1)).clamp(0, 1)  # a warm, pale "restoration"
    matched = film.match_colour(cast[None], face[None], mask)[0]
    weight = mask[0]

    def mean(x: torch.Tensor) -> torch.Tensor:
        return (x * weight).sum(dim=(1, 2)) / weight.sum()

    assert (mean(matched) - mean(face)).abs().max() < 0.01 < (mean(cast) - mean(face)).abs().max()
    detail = cast - film._blur(cast[None], 1.0)[0]
    kept = matched - film._blur(matched[None], 1.0)[0]
    inside = weight[0] > 0.5
    moved = (kept - detail)[:, inside].abs()
    assert moved.quantile(0.99) < 1 / 255 and moved.mean() < 1e-3  # fine detail kept (but where clipped)


def test_colour_match_leaves_a_matching_face_alone(face):
    assert torch.allclose(film.match_colour(face[None], face[None], face_mask(128))[0], face, atol=1e-5)


def test_detail_only_takes_low_frequencies_from_the_source(face):
    restored = (face * 0.7 + 0.2 + 0.05 * torch.randn(face.shape, generator=torch.Generator().manual_seed(0)))
    restored = restored.clamp(0, 1)
    out = film.detail_only(restored[None], face[None])[0]
    px = film.DETAIL_SIGMA * 128
    low = film._blur(out[None], 4 * px)[0]
    assert (low - film._blur(face[None], 4 * px)[0]).abs().mean() < 0.01
    assert (low - film._blur(restored[None], 4 * px)[0]).abs().mean() > 0.05
    high_out, high_restored = (x - film._blur(x[None], px)[0] for x in (out, restored))
    assert torch.corrcoef(torch.stack([high_out.flatten(), high_restored.flatten()]))[0, 1] > 0.9


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
    sepia = torch.full((64, 64), 120, dtype=torch.uint8), torch.full((64, 64), 136, dtype=torch.uint8)
    assert film.is_monochrome([gray[0], *sepia], "yuv", 8)  # a toned print is monochrome
    assert film.is_monochrome([gray[0].numpy(), chroma.numpy() * 4, chroma.numpy() * 4], "yuv", 10)


def test_luma_only_keeps_the_source_chroma(face):
    restored = (face.flip(-1) * 0.9).clamp(0, 1)
    out = film.luma_only(restored, face)
    in_gamut = ((out > 0) & (out < 1)).all(dim=0)  # where no channel had to be clamped
    assert in_gamut.float().mean() > 0.9
    assert torch.allclose(film.to_ycc(out)[1:, in_gamut], film.to_ycc(face)[1:, in_gamut], atol=1e-5)
    assert torch.allclose(film.to_ycc(out)[0, in_gamut], film.to_ycc(restored)[0, in_gamut], atol=1e-5)
    gray = face.mean(dim=0, keepdim=True).expand(3, -1, -1)
    out = film.luma_only(restored, gray)
    assert torch.allclose(film.to_ycc(out)[1:], torch.zeros(2, 128, 128), atol=1e-6)  # grey stays grey


@pytest.mark.parametrize(("value", "amount"), [("auto", 1.0), ("off", 0.0), ("0.5", 0.5), (None, 0.0)])
def test_grain_values(value, amount):
    assert film.parse_grain(value) == amount


@pytest.mark.parametrize("value", ["lots", "-1", "nan", "9"])
def test_bad_grain_value_is_one_clear_sentence(value):
    with pytest.raises(ValueError, match="grain must be"):
        film.parse_grain(value)


@pytest.fixture(scope="module")
def interview() -> list[np.ndarray]:
    """Frames 0, 1 and 60 of the real interview clip, RGB uint8 (512, 390, 3)."""
    require(INTERVIEW)
    capture = cv2.VideoCapture(str(INTERVIEW))
    frames = []
    for index in range(61):
        ok, frame = capture.read()
        assert ok, f"could not read frame {index} of {INTERVIEW}"
        if index in (0, 1, 60):
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


def _planes(rgb: np.ndarray) -> list[np.ndarray]:
    """4:2:0 Y, U, V planes of an RGB frame, as the decoder hands them to the engine."""
    h, w = rgb.shape[:2]
    i420 = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
    return [i420[:h], i420[h : h + h // 4].reshape(h // 2, w // 2), i420[h + h // 4 :].reshape(h // 2, w // 2)]


def test_real_footage_colour_and_black_and_white(interview):
    rng = np.random.default_rng(0)
    for rgb in interview:
        y, u, v = _planes(rgb)
        assert not film.is_monochrome([y, u, v], "yuv", 8)
        neutral = np.full_like(u, 128)
        assert film.is_monochrome([y, neutral, neutral], "yuv", 8)
        scanned = [np.clip(128 + 4 + rng.normal(0, 2, u.shape), 0, 255).astype(np.uint8) for _ in range(2)]
        assert film.is_monochrome([y, *scanned], "yuv", 8)  # B&W through a colour scanner: tint and noise


def test_real_footage_grain_is_steady_and_seeded(interview):
    """The face box of the interview (x 80-336, y 110-366): a steady estimate, frame after frame."""
    crops = torch.stack([torch.from_numpy(f[110:366, 80:336]).permute(2, 0, 1).float() / 255 for f in interview])
    mask = face_mask(256)
    stats = film.estimate_grain(crops, mask)
    assert (stats.std[:, 0] > 0).all() and (stats.std[:, 0] < 0.05).all()
    assert (stats.std[:2, 0] - stats.std[0, 0]).abs().max() <= 0.2 * stats.std[0, 0]  # consecutive frames
    seeds = [film.seed_for(i) for i in (0, 1, 60)]
    out = film.apply_grain(crops, stats, mask, seeds)
    assert torch.equal(out, film.apply_grain(crops, stats, mask, seeds))
    assert torch.equal(out[2:], film.apply_grain(crops[2:], stats[2], mask, seeds[2:]))

