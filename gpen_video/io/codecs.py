"""Choose the encoder, its pix_fmt and its options for an output, keeping the source's bit depth.

Order of choice (docs/io.md): the codec asked for; else, for ``lossless``, FFV1 (or x264 qp 0 /
x265 lossless where the container wants those); else the source's own codec when we can encode it
and the container holds it; else a table by container. A pix_fmt is never chosen that lowers the
bit depth, subsamples chroma further or drops alpha: asking for one is the only way to get one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import av

from gpen_video.errors import OutputError, UsageError
from gpen_video.io.formats import UnsupportedFormat, is_addressable, layout_of, storage_format
from gpen_video.io.frames import ColourTags, Layout, VideoInfo
from gpen_video.io.tags import COLORSPACE_BT709, COLORSPACE_RGB, RANGE_PC, RANGE_TV
from gpen_video.options import EncodeOptions

# Source decoder -> our encoder for it, when the output container holds it.
_SAME_CODEC = {"h264": "libx264", "hevc": "libx265", "prores": "prores_ks", "ffv1": "ffv1",
               "vp9": "libvpx-vp9", "av1": "libsvtav1"}
_BY_CONTAINER = {
    "mov": ("prores_ks", "libx264", "libx265"),
    "matroska": ("libx264", "libx265", "ffv1"),
    "mp4": ("libx264", "libx265"),
    "webm": ("libvpx-vp9", "libsvtav1"),
}
_FALLBACK = ("libx264", "libx265", "ffv1")
_LOSSLESS_NATIVE = ("matroska", "avi", "nut")  # where FFV1 is the lossless codec of choice
_LOSSLESS = ("libx264", "libx264rgb", "libx265", "ffv1")
_IMAGE_CODECS = {".png": "png", ".tif": "tiff", ".tiff": "tiff", ".dpx": "dpx", ".jpg": "mjpeg",
                 ".jpeg": "mjpeg", ".bmp": "bmp", ".tga": "targa"}
_DEFAULT_CRF = {"libx264": 16, "libx264rgb": 16, "libx265": 16, "libsvtav1": 20, "libvpx-vp9": 20}
_TV_RANGE_ONLY = {"prores_ks", "prores", "prores_aw", "dnxhd"}  # their bitstreams carry no range flag
_PRORES_PROFILES = {"proxy": "proxy", "lt": "lt", "standard": "standard", "hq": "hq", "4444": "4444",
                    "4444 xq": "4444xq", "xq": "4444xq", "4444xq": "4444xq"}


@dataclass(frozen=True)
class EncoderPlan:
    """What the video stream is encoded with, and the tags it carries."""

    codec: str
    pix_fmt: str
    options: dict[str, str]
    tags: ColourTags
    convert: bool  # planes go through swscale (storage format != pix_fmt)


def encoder_name(name: str) -> str:
    """The encoder for a codec or encoder name ("h264" -> "libx264"); UsageError if there is none."""
    try:
        return av.codec.Codec(name, "w").name
    except (av.error.FFmpegError, ValueError) as error:
        raise UsageError(f"unknown codec {name!r} (try libx264, libx265, ffv1, prores_ks, png or tiff)") from error


def _canonical(encoder: str) -> str:
    return av.codec.Codec(encoder, "w").canonical_name


def _fits(source: Layout, target: Layout, strict: bool) -> bool:
    """Whether target keeps everything source has (depth, chroma detail, alpha; strict: identical)."""
    if strict:
        return (target.family, target.bit_depth, target.subsampling, target.has_alpha) == (
            source.family, source.bit_depth, source.subsampling, source.has_alpha)
    if target.bit_depth < source.bit_depth or (source.has_alpha and not target.has_alpha):
        return False
    if source.family == target.family:
        return all(t <= s for t, s in zip(target.subsampling, source.subsampling, strict=True))
    if target.family == "yuv":  # rgb -> yuv 4:4:4, gray -> any yuv (chroma neutral)
        return source.family == "gray" or target.subsampling == (0, 0)
    return target.family == "rgb"  # yuv or gray -> rgb (image sequences)


def choose_pix_fmt(encoder: str, layout: Layout, requested: str | None = None, strict: bool = False) -> str | None:
    """The encoder's pix_fmt that keeps the layout best; None if it cannot keep it."""
    formats = [f.name for f in (av.codec.Codec(encoder, "w").video_formats or [])]
    if requested:
        if formats and requested not in formats:
            raise OutputError(f"{encoder} cannot encode pix_fmt {requested} (it takes {', '.join(formats)})")
        return requested
    storage = storage_format(layout)
    for name in (layout.pix_fmt, storage):
        if name in formats and is_addressable(name):
            return name
    scored = []
    for name in formats:
        try:
            target = layout_of(name)
        except UnsupportedFormat:
            continue
        if av.VideoFormat(name).has_palette or not _fits(layout, target, strict):
            continue
        score = (target.family != layout.family, target.bit_depth - layout.bit_depth,
                 sum(layout.subsampling) - sum(target.subsampling), target.has_alpha != layout.has_alpha,
                 not is_addressable(name), name.startswith("yuvj"), name)
        scored.append((score, name))
    return min(scored)[1] if scored else None


def _candidates(container: str, info: VideoInfo, options: EncodeOptions) -> tuple[str, ...]:
    if options.codec:
        encoder = encoder_name(options.codec)
        if options.lossless and encoder not in _LOSSLESS:
            raise UsageError(f"{encoder} has no lossless mode (use ffv1, libx264 or libx265)")
        return (encoder,)
    if options.lossless:
        return ("ffv1",) if container in _LOSSLESS_NATIVE else _LOSSLESS
    same = _SAME_CODEC.get(info.codec)
    if same == "ffv1" and container not in _LOSSLESS_NATIVE:
        same = None  # FFV1 in mp4/mov plays almost nowhere: a delivery container gets a delivery codec
    alpha = ("prores_ks" if container == "mov" else "ffv1",) if info.layout.has_alpha else ()
    return alpha + ((same,) if same else ()) + _BY_CONTAINER.get(container, _FALLBACK)


def plan_encoder(
    container: str, info: VideoInfo, options: EncodeOptions, holds: Callable[[str], bool]
) -> EncoderPlan:
    """Pick codec and pix_fmt for a container format (``holds(codec)``: can it carry that codec)."""
    tried = []
    for encoder in _candidates(container, info, options):
        if not _available(encoder) or not holds(_canonical(encoder)):
            if options.codec:
                raise OutputError(f"a {container} file cannot hold {encoder} video: choose another codec or file type")
            continue
        pix_fmt = choose_pix_fmt(encoder, info.layout, options.pix_fmt, strict=options.lossless)
        if pix_fmt is not None:
            return make_plan(encoder, pix_fmt, info, options)
        tried.append(encoder)
    layout = info.layout
    raise OutputError(
        f"{' / '.join(tried) or 'no encoder'} cannot keep this {layout.bit_depth}-bit {layout.family} video "
        f"({layout.pix_fmt}){' losslessly' if options.lossless else ''} in a {container} file: write .mkv "
        "(FFV1 keeps everything) or choose codec and pix_fmt"
    )


def image_codec(suffix: str, info: VideoInfo, options: EncodeOptions) -> str:
    """The encoder for an image sequence: asked for, else by extension, else the source's, else PNG."""
    if options.codec:
        return encoder_name(options.codec)
    if suffix.lower() in _IMAGE_CODECS:
        return _IMAGE_CODECS[suffix.lower()]
    return info.codec if info.codec in ("png", "tiff", "dpx") else "png"


def _available(encoder: str) -> bool:
    try:
        av.codec.Codec(encoder, "w")
    except (av.error.FFmpegError, ValueError):
        return False
    return True


def make_plan(encoder: str, pix_fmt: str, info: VideoInfo, options: EncodeOptions) -> EncoderPlan:
    """The plan for an encoder and pix_fmt already chosen (also used for image sequences)."""
    target = layout_of(pix_fmt)
    tags = output_tags(info, target, encoder)
    same_range = tags.color_range in (0, RANGE_TV if info.range == "tv" else RANGE_PC)
    return EncoderPlan(
        codec=encoder,
        pix_fmt=pix_fmt,
        options=encoder_options(encoder, target, info, options),
        tags=tags,
        convert=pix_fmt != storage_format(info.layout) or not same_range,
    )


def output_tags(info: VideoInfo, target: Layout, encoder: str) -> ColourTags:
    """The source's tags, re-stated where the encode changes family (RGB <-> YUV) or range, or where the
    source only implies them (``yuvj``)."""
    tags = info.tags
    source = info.layout
    if source.family == "rgb" and target.family == "yuv":
        return replace(tags, colorspace=COLORSPACE_BT709, color_range=RANGE_TV)
    if target.family == "rgb" and source.family != "rgb":
        return replace(tags, colorspace=COLORSPACE_RGB, color_range=RANGE_PC, chroma_location=0)
    if encoder in _TV_RANGE_ONLY and info.range == "pc":
        return replace(tags, color_range=RANGE_TV)  # ProRes cannot say "full range": convert the codes
    if tags.color_range == 0 and info.range == "pc" and target.family == "yuv":
        return replace(tags, color_range=RANGE_PC)  # yuvj says "full range" by its name only
    return tags


def encoder_options(encoder: str, target: Layout, info: VideoInfo, options: EncodeOptions) -> dict[str, str]:
    """Private options per encoder: quality, speed, lossless switches, archival settings."""
    if encoder in ("libx264", "libx264rgb"):
        if options.lossless:
            return {"qp": "0", "preset": options.preset or "medium"}
        return {"crf": str(_crf(encoder, options)), "preset": options.preset or "medium"}
    if encoder == "libx265":
        params = "log-level=error" + (":lossless=1" if options.lossless else "")
        quality = {} if options.lossless else {"crf": str(_crf(encoder, options))}
        return {**quality, "preset": options.preset or "medium", "x265-params": params}
    if encoder in ("libsvtav1", "libvpx-vp9"):
        speed = {"preset": options.preset} if options.preset and encoder == "libsvtav1" else {}
        return {"crf": str(_crf(encoder, options)), **({"b": "0"} if encoder == "libvpx-vp9" else {}), **speed}
    _refuse_quality(encoder, options, allow_preset=encoder == "prores_ks")
    if encoder == "prores_ks":
        return {"profile": _prores_profile(target, info, options.preset)}
    if encoder == "ffv1":  # the usual archival settings: version 3, intra only, per-slice CRCs
        return {"level": "3", "g": "1", "slicecrc": "1", "slices": "4"}
    return {}


def _crf(encoder: str, options: EncodeOptions) -> int:
    return _DEFAULT_CRF[encoder] if options.crf is None else options.crf


def _refuse_quality(encoder: str, options: EncodeOptions, allow_preset: bool) -> None:
    if options.crf is not None:
        raise UsageError(f"crf does not apply to {encoder} (it has no constant-quality mode)")
    if options.preset is not None and not allow_preset:
        raise UsageError(f"preset does not apply to {encoder}")


def _prores_profile(target: Layout, info: VideoInfo, preset: str | None) -> str:
    """ProRes profile: the preset if given, else the source's ProRes profile, else HQ / 4444."""
    if preset is not None:
        if preset.lower() not in _PRORES_PROFILES:
            names = ", ".join(sorted(set(_PRORES_PROFILES.values())))
            raise UsageError(f"unknown ProRes profile {preset!r} (use one of {names})")
        return _PRORES_PROFILES[preset.lower()]
    source = _PRORES_PROFILES.get((info.profile or "").lower()) if info.codec == "prores" else None
    full = target.subsampling == (0, 0)
    if source is not None and source.startswith("4444") == full:
        return source
    return "4444" if full else "hq"
