"""Temporal blend: per-frame at temporal=0, removes invented texture, follows real motion."""

from __future__ import annotations

import torch

from gpen_video.restore.blend import TOLERANCE, temporal_blend

S, B = 64, 2
T = 2 * B + 1


def face(t: int, mouth_speed: int = 0, contrast: float = 0.45) -> torch.Tensor:
    """A smooth static 'face' (3, S, S) with a bright 'mouth' bar moving ``mouth_speed`` px per frame."""
    yy, xx = torch.meshgrid(torch.arange(S).float(), torch.arange(S).float(), indexing="ij")
    img = 0.5 + 0.2 * torch.sin(xx / 5) * torch.cos(yy / 7)
    y0 = 36 + mouth_speed * t
    img[y0 : y0 + 6, 20:44] += contrast
    return img.expand(3, S, S).clone()


def texture(n: int, seed: int, strength: float = 0.05) -> torch.Tensor:
    """Fresh per-frame 'hallucinated' texture, as a GAN invents it anew each frame."""
    g = torch.Generator().manual_seed(seed)
    return strength * torch.randn(n, 3, S, S, generator=g)


def blend_clip(restored: torch.Tensor, source: torch.Tensor, temporal: float) -> torch.Tensor:
    """Blend every frame t of a (F, 3, S, S) clip that has a full window, like the engine does."""
    frames = len(restored)
    out = []
    for t in range(B, frames - B):
        window = slice(t - B, t + B + 1)
        out.append(temporal_blend(restored[None, window], source[None, window],
                                  torch.ones(1, T, dtype=torch.bool), temporal)[0])
    return torch.stack(out)


def test_temporal_zero_is_per_frame_exactly() -> None:
    restored = torch.rand(3, T, 3, S, S)
    source = torch.rand(3, T, 3, S, S)
    out = temporal_blend(restored, source, torch.ones(3, T, dtype=torch.bool), 0.0)
    assert torch.equal(out, restored[:, B])


def test_missing_neighbours_are_ignored_even_if_garbage() -> None:
    source = torch.stack([face(t) for t in range(T)])[None]
    restored = source + texture(T, 0)[None]
    valid = torch.tensor([[False, True, True, False, False]])
    garbage, zeros = restored.clone(), restored.clone()
    garbage[0, 0], garbage[0, 3:] = float("nan"), 1e9
    zeros[0, 0], zeros[0, 3:] = 0.0, 0.0
    junk_source = source.clone()
    junk_source[0, 0] = float("nan")
    out = temporal_blend(garbage, junk_source, valid, 1.0)
    assert torch.equal(out, temporal_blend(zeros, source, valid, 1.0))
    assert not torch.equal(out, restored[:, B])  # the one valid neighbour was used
    only_centre = temporal_blend(garbage, junk_source, torch.tensor([[False, False, True, False, False]]), 1.0)
    assert torch.equal(only_centre, restored[:, B])


def test_static_source_loses_most_of_the_invented_texture() -> None:
    frames = 16
    source = torch.stack([face(0)] * frames)
    restored = source + texture(frames, 1)
    out = blend_clip(restored, source, 1.0)
    before = (restored[B + 1 : frames - B] - restored[B : frames - B - 1]).abs().mean()
    after = (out[1:] - out[:-1]).abs().mean()
    assert before / after > 4.0


def test_a_moving_mouth_is_followed_without_a_ghost() -> None:
    frames = 12
    source = torch.stack([face(t, mouth_speed=2) for t in range(frames)])
    out = blend_clip(source, source, 1.0)  # a perfect restorer: any difference is ghosting
    ghost = (out - source[B : frames - B]).abs().max()
    assert ghost < 0.02
    # low contrast motion is the hard case: its difference is near the tolerance
    faint = torch.stack([face(t, mouth_speed=2, contrast=TOLERANCE) for t in range(frames)])
    ghost_faint = (blend_clip(faint, faint, 1.0) - faint[B : frames - B]).abs().max()
    assert ghost_faint < 0.5 * TOLERANCE


def test_blend_is_batched_and_deterministic() -> None:
    source = torch.stack([torch.stack([face(t, s) for t in range(T)]) for s in range(3)])
    restored = source + texture(3 * T, 2).view(3, T, 3, S, S)
    valid = torch.ones(3, T, dtype=torch.bool)
    together = temporal_blend(restored, source, valid, 0.7)
    assert together.shape == (3, 3, S, S) and together.dtype == torch.float32
    for i in range(3):
        assert torch.equal(temporal_blend(restored[i : i + 1], source[i : i + 1], valid[i : i + 1], 0.7)[0],
                           together[i])
    assert torch.equal(temporal_blend(restored, source, valid, 0.7), together)
