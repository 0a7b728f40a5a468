"""The window request mechanism, with a stand-in engine whose output depends on the whole window.

The stand-in averages the window's frames, so a frame fetched from the wrong place, a stand-in edge
frame passed as a real one, or a result that depends on request order all change the pixels.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pytest
import vapoursynth as vs
from vs_clips import clip_from_planes, clip_planes, planes_equal
from vsgpen._formats import ClipFormat, clip_format
from vsgpen._request import restore_clip, shifted


class MeanEngine:
    """Output t = the mean of the window's frames; frames where ``keep(t)`` come back untouched."""

    def __init__(self, radius: int, count: int, keep=lambda t: False):
        self.radius, self.count, self.keep = radius, count, keep
        self.calls: list[tuple[list[int], list[int]]] = []  # (ts, frames given) per render

    def window(self, t: int) -> range:
        return range(max(0, t - self.radius), min(self.count, t + self.radius + 1))

    def render(self, ts: Sequence[int], frames: Mapping[int, object]) -> list[object]:
        self.calls.append((list(ts), sorted(frames)))
        return [frames[t] if self.keep(t) else Result(t, self._mean(t, frames)) for t in ts]

    def _mean(self, t: int, frames: Mapping[int, object]) -> tuple[np.ndarray, ...]:
        stack = [np.stack([frames[i].planes[p].astype(np.int64) for i in self.window(t)])
                 for p in range(len(frames[t].planes))]
        return tuple((s.sum(0) // len(s)).astype(frames[t].planes[0].dtype) for s in stack)


@dataclass
class Result:
    index: int
    planes: tuple[np.ndarray, ...]


def _frames(count: int, fmt=vs.YUV420P10, size=(24, 16), seed=0) -> list[tuple[np.ndarray, ...]]:
    rng = np.random.default_rng(seed)
    ref = vs.core.std.BlankClip(width=size[0], height=size[1], format=fmt, length=1)
    top = 2 ** ref.format.bits_per_sample
    dtype = np.uint8 if ref.format.bytes_per_sample == 1 else np.uint16
    return [tuple(rng.integers(0, top, (ref.height >> (p and ref.format.subsampling_h),
                                        ref.width >> (p and ref.format.subsampling_w))).astype(dtype)
                  for p in range(ref.format.num_planes)) for _ in range(count)]


def _expected(frames, radius: int, t: int) -> tuple[np.ndarray, ...]:
    window = frames[max(0, t - radius): t + radius + 1]
    return tuple((np.stack([f[p].astype(np.int64) for f in window]).sum(0) // len(window)).astype(f[p].dtype)
                 for p, f in enumerate([frames[t]] * len(frames[t])))


def _filter(frames, radius: int, fmt=vs.YUV420P10, chunk: int = 8, **engine_args):
    clip = clip_from_planes(frames, fmt)
    engine = MeanEngine(radius, len(frames), **engine_args)
    return restore_clip(clip, engine, clip_format(clip, {}), chunk), engine


@pytest.mark.parametrize("count", [1, 3, 10])
@pytest.mark.parametrize("offset", [-12, -4, -1, 1, 4, 12])
def test_shifted_clamps_at_both_ends(count: int, offset: int) -> None:
    frames = [(np.full((4, 8), i, np.uint8),) for i in range(count)]
    moved = shifted(clip_from_planes(frames, vs.GRAY8), offset)
    assert moved.num_frames == count
    assert [int(clip_planes(moved, n)[0][0, 0]) for n in range(count)] == \
        [min(max(n + offset, 0), count - 1) for n in range(count)]


@pytest.mark.parametrize(("count", "chunk"), [(2, 8), (11, 1), (11, 4), (23, 8)])
def test_every_frame_sees_its_window_only(count: int, chunk: int) -> None:
    frames = _frames(count)
    clip, engine = _filter(frames, radius=3, chunk=chunk)
    for n in range(count):
        assert planes_equal(clip_planes(clip, n), _expected(frames, 3, n))
    # one render per aligned chunk, given exactly the real frames of its outputs' windows
    chunks = [list(range(a, min(a + chunk, count))) for a in range(0, count, chunk)]
    assert engine.calls == [(ts, list(range(max(0, ts[0] - 3), min(count, ts[-1] + 4)))) for ts in chunks]


def test_shuffled_and_concurrent_requests_match_sequential(set_threads) -> None:
    frames = _frames(17, seed=1)
    expected = [_expected(frames, 4, n) for n in range(17)]
    set_threads(1)
    order = list(range(17))
    random.Random(5).shuffle(order)
    clip, _ = _filter(frames, radius=4)
    shuffled = {n: clip_planes(clip, n) for n in order}
    set_threads(4)
    clip, _ = _filter(frames, radius=4)
    futures = {n: clip.get_frame_async(n) for n in reversed(range(17))}
    concurrent = {n: tuple(np.array(p, copy=True) for p in futures[n].result()) for n in futures}
    for n in range(17):
        for got in (shuffled[n], concurrent[n]):
            assert planes_equal(got, expected[n])


def test_untouched_frames_are_the_source_frames() -> None:
    frames = _frames(5, fmt=vs.YUV444P16, seed=2)
    clip = clip_from_planes(frames, vs.YUV444P16, {"Marker": 7})
    out = restore_clip(clip, MeanEngine(2, 5, keep=lambda t: t % 2 == 0), clip_format(clip, {}), chunk=2)
    assert out.format.id == clip.format.id and out.num_frames == 5
    for n in (0, 2, 4):
        assert planes_equal(clip_planes(out, n), frames[n])
    assert out.get_frame(1).props["Marker"] == 7  # a changed frame keeps its props too


def test_float_rgb_keeps_untouched_samples_exactly() -> None:
    rng = np.random.default_rng(3)
    frames = [tuple(rng.uniform(-0.2, 1.3, (12, 16)).astype(np.float32) for _ in range(3)) for _ in range(3)]
    frames[1][0][0, 0] = np.nan
    clip = clip_from_planes(frames, vs.RGBS)
    fmt = clip_format(clip, {})
    assert isinstance(fmt, ClipFormat) and fmt.float_rgb and fmt.layout.bit_depth == 16

    class Square(MeanEngine):
        def _mean(self, t, frames):
            planes = tuple(p.copy() for p in frames[t].planes)
            for p in planes:
                p[4:8, 4:8] = 40000  # the "face": 40000/65535 in float
            return planes

    out = restore_clip(clip, Square(1, 3), fmt)
    for n in range(3):
        got, source = clip_planes(out, n), frames[n]
        inside = np.zeros((12, 16), bool)
        inside[4:8, 4:8] = True
        for g, s in zip(got, source, strict=True):
            np.testing.assert_array_equal(g[~inside], s[~inside])  # NaN == NaN here: assert_array_equal
            # inside, the engine's change (to code 40000) is added to the float sample: in-range samples
            # land on 40000/65535 to within half a code, out-of-range ones keep their excess
            code = np.rint(np.clip(s[inside], 0, 1) * 65535)
            np.testing.assert_allclose(g[inside], s[inside] + (40000 - code) / 65535, atol=1e-6)
            in_range = (s[inside] >= 0) & (s[inside] <= 1)
            np.testing.assert_allclose(g[inside][in_range], 40000 / 65535, atol=0.51 / 65535)


def test_retagged_frame_in_a_window_is_an_error() -> None:
    frames = _frames(6, seed=4)
    clip = clip_from_planes(frames, vs.YUV420P10)
    retagged = clip[:3] + clip[3].std.SetFrameProps(_Matrix=1) + clip[4:]
    out = restore_clip(retagged, MeanEngine(1, 6), clip_format(retagged, {}), chunk=2)
    clip_planes(out, 0)  # windows of chunk 0..1 hold frames 0..2: all untagged
    with pytest.raises(vs.Error, match="frame 3 is tagged bt709/tv but frame 0"):
        clip_planes(out, 5)
