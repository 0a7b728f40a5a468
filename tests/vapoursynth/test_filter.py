"""vsgpen.gpen with the real window engine: a small real GPEN and the real detector, on real face frames."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
import vapoursynth as vs
import vsgpen
from vs_clips import clip_from_planes, clip_planes, decode_face_video, engine_args, planes_equal

COUNT = 12
UNTOUCHED_ROWS = 480  # the interview's two face masks end above this row on every frame


@pytest.fixture(scope="module")
def face_frames() -> list[tuple[np.ndarray, ...]]:
    return decode_face_video(COUNT)


@pytest.fixture(scope="module")
def face_clip(face_frames) -> vs.VideoNode:
    return clip_from_planes(face_frames, vs.YUV420P8)


def _as(clip: vs.VideoNode, fmt: vs.PresetVideoFormat) -> vs.VideoNode:
    """The interview clip in another format (untagged, so converted as the filter reads it: bt601, tv)."""
    if fmt == vs.GRAY8:
        return clip.std.ShufflePlanes(0, vs.GRAY)
    if fmt == vs.YUV420P10:
        return clip.std.Expr("x 4 *", format=vs.YUV420P10)  # exact codes << 2
    return clip.resize.Bicubic(format=fmt, matrix_in_s="170m")


def _all_frames(clip: vs.VideoNode, order=None) -> dict[int, tuple[np.ndarray, ...]]:
    return {n: clip_planes(clip, n) for n in (order or range(clip.num_frames))}


@pytest.mark.parametrize("fmt", [vs.YUV420P8, vs.YUV420P10, vs.GRAY8, vs.RGB24, vs.RGB48, vs.RGBH, vs.RGBS],
                         ids=lambda fmt: fmt.name)
def test_faces_change_and_the_rest_does_not(face_clip, fmt) -> None:
    clip = _as(face_clip[:4], fmt)
    out = vsgpen.gpen(clip, **engine_args(), track_radius=2, blend_radius=1)
    assert (out.format.id, out.width, out.height, out.num_frames) == \
        (clip.format.id, clip.width, clip.height, clip.num_frames)
    for n in range(clip.num_frames):
        got, source = clip_planes(out, n), clip_planes(clip, n)
        assert all(g.dtype == s.dtype and g.shape == s.shape for g, s in zip(got, source, strict=True))
        assert not np.array_equal(got[0], source[0])  # the face was restored
        for p, (g, s) in enumerate(zip(got, source, strict=True)):
            first = UNTOUCHED_ROWS >> (clip.format.subsampling_h if p else 0)
            np.testing.assert_array_equal(g[first:], s[first:])


def test_request_order_and_threads_do_not_change_frames(face_clip, set_threads) -> None:
    clip = _as(face_clip, vs.YUV420P10)
    # short windows (K = 3) so that each order batches detection and GPEN over different frames
    args = engine_args() | {"track_radius": 2, "blend_radius": 1}
    set_threads(1)
    sequential = _all_frames(vsgpen.gpen(clip, **args))
    order = list(range(COUNT))
    random.Random(2).shuffle(order)
    shuffled = _all_frames(vsgpen.gpen(clip, **args), order)
    set_threads(3)
    out = vsgpen.gpen(clip, **args)
    futures = {n: out.get_frame_async(n) for n in reversed(range(COUNT))}
    concurrent = {n: tuple(np.array(p, copy=True) for p in futures[n].result()) for n in futures}
    for n in range(COUNT):
        assert planes_equal(shuffled[n], sequential[n]), f"frame {n} differs when requested out of order"
        assert planes_equal(concurrent[n], sequential[n]), f"frame {n} differs with concurrent requests"


def test_a_clip_without_faces_comes_back_unchanged() -> None:
    rng = np.random.default_rng(0)
    ramp = np.linspace(16, 235, 160, dtype=np.float32)[None, :].repeat(120, 0)
    frames = [(np.clip(ramp + rng.normal(0, 3, ramp.shape), 0, 255).astype(np.uint8),
               np.full((60, 80), 128, np.uint8), np.full((60, 80), 128, np.uint8)) for _ in range(5)]
    clip = clip_from_planes(frames, vs.YUV420P8, {"Marker": 3})
    out = vsgpen.gpen(clip, **engine_args())
    for n in range(5):
        assert planes_equal(clip_planes(out, n), frames[n])
        assert out.get_frame(n).props["Marker"] == 3


class CountingModel(torch.nn.Module):
    """The loaded GPEN, counting forward passes and the faces in them."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model, self.size = model, model.size
        self.calls = self.faces = 0

    def forward(self, x: torch.Tensor):
        self.calls += 1
        self.faces += len(x)
        return self.model(x)


def test_sequential_access_costs_one_gpen_pass_per_face(face_clip) -> None:
    from vsgpen._arguments import build_options, keywords
    from vsgpen._formats import clip_format
    from vsgpen._request import restore_clip

    from gpen_video.model import load_gpen

    args = {keyword: default for keyword, (_, _, default) in keywords().items()} | engine_args()
    options = build_options(args | {"batch_size": 1})
    counting = CountingModel(load_gpen(args["model"], device="cpu"))
    fmt = clip_format(face_clip, {})
    engine = vsgpen._engine(options, fmt, model=counting)
    detected = []
    detect = engine.detector.detect
    engine.detector.detect = lambda rgb: detected.extend([len(rgb)]) or detect(rgb)
    out = restore_clip(face_clip, engine, fmt)
    for n in range(COUNT):
        clip_planes(out, n)
    # the tracked faces of every frame (all detections are cached by now, so no frames are needed)
    faces = sum(len(tracked.weights) for _, tracked in engine.analyse(range(COUNT), {}))
    assert faces >= COUNT  # the interview shows two faces on every frame
    assert (counting.calls, counting.faces) == (faces, faces)
    assert sum(detected) == COUNT
