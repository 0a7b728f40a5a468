"""Colour conversion: exact round trips, and agreement with ffmpeg's own conversion (libswscale via PyAV)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from gpen_video import colour
from gpen_video.errors import UsageError

av = pytest.importorskip("av")
from av.video.reformatter import ChromaLocation, ColorRange, Colorspace, Interpolation  # noqa: E402

SWS_SPACE = {"bt601": Colorspace.ITU601, "bt709": Colorspace.ITU709, "bt2020nc": Colorspace.BT2020,
             "fcc": Colorspace.FCC, "smpte240m": Colorspace.SMPTE240M}
SWS_RANGE = {"tv": ColorRange.MPEG, "pc": ColorRange.JPEG}
YUV_FMT = {(8, (0, 0)): "yuv444p", (10, (0, 0)): "yuv444p10le", (8, (1, 1)): "yuv420p",
           (10, (1, 1)): "yuv420p10le", (8, (1, 0)): "yuv422p"}


def layout(family: str = "yuv", bit_depth: int = 8, subsampling: tuple[int, int] = (1, 1)) -> SimpleNamespace:
    return SimpleNamespace(family=family, bit_depth=bit_depth, subsampling=subsampling, has_alpha=False)


def smooth_rgb(h: int, w: int, seed: int = 0, lo: float = 0.05, hi: float = 0.95) -> torch.Tensor:
    """A smooth colourful image (3, H, W) in [lo, hi]: gradients and a few low-frequency waves."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    chans = []
    for _ in range(3):
        a, b, c = torch.rand(3, generator=g) * 4
        chans.append(0.5 + 0.25 * torch.sin(a * xx * 3 + b) * torch.cos(c * yy * 3 + a))
    img = torch.stack(chans)
    return lo + (hi - lo) * (img - img.min()) / (img.max() - img.min())


def av_frame(planes: list[np.ndarray], fmt: str) -> av.VideoFrame:
    """A PyAV frame holding exactly these planar codes (rows padded to the frame's line size)."""
    h, w = planes[0].shape
    frame = av.VideoFrame(w, h, fmt)
    for plane, arr in zip(frame.planes, planes, strict=True):
        buf = np.zeros((arr.shape[0], plane.line_size // arr.dtype.itemsize), arr.dtype)
        buf[:, : arr.shape[1]] = arr
        plane.update(buf.tobytes())
    return frame


def av_planes(frame: av.VideoFrame, dtype: type) -> list[np.ndarray]:
    item = np.dtype(dtype).itemsize
    return [np.frombuffer(bytes(p), dtype).reshape(p.height, p.line_size // item)[:, : p.width]
            for p in frame.planes]


def codes(rgb: torch.Tensor, lay: SimpleNamespace, matrix: str, rng: str) -> list[torch.Tensor]:
    return [colour.quantise(p, lay.bit_depth) for p in colour.rgb_to_planes(rgb, lay, matrix, rng)]


MATRICES = ["bt601", "bt709", "bt2020nc", "fcc", "smpte240m"]


@pytest.mark.parametrize("matrix", MATRICES)
@pytest.mark.parametrize("rng", ["tv", "pc"])
@pytest.mark.parametrize("depth", [8, 10, 16])
def test_rgb_planes_rgb_round_trip_444(matrix: str, rng: str, depth: int) -> None:
    lay = layout("yuv", depth, (0, 0))
    rgb = smooth_rgb(24, 40, seed=depth)
    back = colour.planes_to_rgb(colour.rgb_to_planes(rgb, lay, matrix, rng), lay, matrix, rng)
    assert (back - rgb).abs().max() < 2e-6


@pytest.mark.parametrize("family", ["rgb", "gray"])
@pytest.mark.parametrize("depth", [8, 12])
def test_rgb_and_gray_round_trip(family: str, depth: int) -> None:
    lay = layout(family, depth, (0, 0))
    rgb = smooth_rgb(16, 20)
    if family == "gray":
        rgb = rgb[:1].expand(3, -1, -1)
    planes = colour.rgb_to_planes(rgb, lay, None, "pc")
    assert len(planes) == (3 if family == "rgb" else 1)
    assert (colour.planes_to_rgb(planes, lay, None, "pc") - rgb).abs().max() < 2e-6


@pytest.mark.parametrize("sub", [(0, 0), (1, 0), (1, 1)])
@pytest.mark.parametrize("depth", [8, 10])
def test_integer_codes_survive_planes_rgb_planes(sub: tuple[int, int], depth: int) -> None:
    """Codes made from RGB come back unchanged (when subsampled, for constant chroma under varying luma)."""
    lay = layout("yuv", depth, sub)
    rgb = smooth_rgb(32, 48, seed=3)
    if sub != (0, 0):  # grey detail plus one colour cast: chroma is constant, so subsampling loses nothing
        rgb = 0.2 + 0.6 * rgb[:1] + torch.tensor([0.08, -0.05, 0.02]).view(3, 1, 1)
    planes = codes(rgb, lay, "bt709", "tv")
    again = codes(colour.planes_to_rgb(planes, lay, "bt709", "tv"), lay, "bt709", "tv")
    for a, b in zip(planes, again, strict=True):
        assert torch.equal(a, b)


def test_chroma_shapes_for_odd_sizes_and_siting() -> None:
    lay = layout("yuv", 8, (1, 1))
    planes = colour.rgb_to_planes(smooth_rgb(15, 21), lay, "bt601", "tv")
    assert [tuple(p.shape) for p in planes] == [(15, 21), (8, 11), (8, 11)]
    assert colour.planes_to_rgb(planes, lay, "bt601", "tv").shape == (3, 15, 21)
    # left siting: chroma sample i sits on luma column 2i, so a horizontal ramp's chroma equals the
    # ramp's value at even columns (centre siting would give the mean of columns 2i and 2i+1)
    ramp = torch.arange(16, dtype=torch.float32).repeat(4, 1)
    assert torch.allclose(colour.subsample(ramp, (1, 1))[0, 1:-1], ramp[0, 2:-2:2])
    assert torch.allclose(colour.subsample(ramp, (1, 1), "center")[0], ramp[0, ::2] + 0.5)
    back = colour.upsample_chroma(colour.subsample(ramp, (1, 1)), (1, 1), (4, 16))
    assert torch.allclose(back[:, 2:-2], ramp[:, 2:-2])  # linear interpolation of a ramp is exact


def test_unspecified_matrix_follows_players_and_bad_names_fail() -> None:
    assert colour.resolve_matrix(None, 1080) == "bt709"
    assert colour.resolve_matrix("unknown", 480) == "bt601"
    assert colour.resolve_matrix("bt470bg", 1080) == "bt470bg"
    with pytest.raises(UsageError):
        colour.rgb_to_planes(smooth_rgb(4, 4), layout(), "bt709", "limited")


def test_quantise_rounds_and_clamps() -> None:
    q = colour.quantise(torch.tensor([-3.0, 0.49, 0.51, 1022.6, 1030.0]), 10)
    assert q.tolist() == [0, 0, 1, 1023, 1023] and q.dtype == torch.int32


def test_uint16_planes_are_accepted() -> None:
    lay = layout("yuv", 10, (1, 1))
    planes = codes(smooth_rgb(8, 8), lay, "bt709", "tv")
    as_u16 = [torch.from_numpy(p.numpy().astype(np.uint16)) for p in planes]
    assert torch.equal(colour.planes_to_rgb(as_u16, lay, "bt709", "tv"),
                       colour.planes_to_rgb(planes, lay, "bt709", "tv"))


# -- agreement with ffmpeg ---------------------------------------------------------------------------
# libswscale honours the source frame's chroma location when interpolating chroma fully
# (FULL_CHR_H_INT); for output it can only site chroma at the centre, so that direction is compared
# with chroma_loc="center" and the left siting of our downsampling is checked by the ramp test above.

SWS_LOC = {"left": ChromaLocation.LEFT, "center": ChromaLocation.CENTER, "topleft": ChromaLocation.TOPLEFT}
SWS_UP = Interpolation.BILINEAR | Interpolation.FULL_CHR_H_INT | Interpolation.ACCURATE_RND
SWS_DOWN = Interpolation.AREA | Interpolation.FULL_CHR_H_INP | Interpolation.ACCURATE_RND  # AREA: a box, like ours
FORMATS = [(8, (0, 0), "left"), (10, (0, 0), "left"), (8, (1, 1), "left"), (10, (1, 1), "left"),
           (8, (1, 0), "left"), (8, (1, 1), "center"), (8, (1, 1), "topleft")]


@pytest.mark.parametrize("matrix", MATRICES)
@pytest.mark.parametrize("rng", ["tv", "pc"])
@pytest.mark.parametrize("depth,sub,loc", FORMATS)
def test_planes_to_rgb_agrees_with_ffmpeg(matrix: str, rng: str, depth: int, sub: tuple[int, int],
                                          loc: str) -> None:
    lay = layout("yuv", depth, sub)
    planes = codes(smooth_rgb(48, 64, seed=7), lay, matrix, rng)
    frame = av_frame([p.numpy().astype(np.uint8 if depth == 8 else np.uint16) for p in planes],
                     YUV_FMT[(depth, sub)])
    frame.chroma_location = SWS_LOC[loc]
    ref = frame.reformat(format="rgb24", src_colorspace=SWS_SPACE[matrix], src_color_range=SWS_RANGE[rng],
                         dst_color_range=ColorRange.JPEG, interpolation=SWS_UP).to_ndarray()
    ours = (colour.planes_to_rgb(planes, lay, matrix, rng, loc) * 255).round().permute(1, 2, 0).numpy()
    assert np.abs(ours - ref.astype(np.float64)).max() <= 1


@pytest.mark.parametrize("matrix", MATRICES)
@pytest.mark.parametrize("rng", ["tv", "pc"])
@pytest.mark.parametrize("depth,sub", [(8, (0, 0)), (10, (0, 0)), (8, (1, 1)), (10, (1, 1))])
def test_rgb_to_planes_agrees_with_ffmpeg(matrix: str, rng: str, depth: int, sub: tuple[int, int]) -> None:
    lay = layout("yuv", depth, sub)
    rgb8 = (smooth_rgb(48, 64, seed=11, lo=0.0, hi=1.0) * 255).round()
    frame = av.VideoFrame.from_ndarray(rgb8.permute(1, 2, 0).numpy().astype(np.uint8), format="rgb24")
    ref = frame.reformat(format=YUV_FMT[(depth, sub)], dst_colorspace=SWS_SPACE[matrix],
                         dst_color_range=SWS_RANGE[rng], interpolation=SWS_DOWN)
    ref_planes = av_planes(ref, np.uint8 if depth == 8 else np.uint16)
    ours = [colour.quantise(p, depth) for p in colour.rgb_to_planes(rgb8 / 255, lay, matrix, rng, "center")]
    for a, b in zip(ours, ref_planes, strict=True):
        assert np.abs(a.numpy() - b.astype(np.int64)).max() <= 1
