"""Turn a Frame into the av.VideoFrame an encoder takes: planes copied in, pix_fmt converted if needed.

Conversions happen only where the encoder cannot take the source's own layout (codecs.py never
picks one that loses depth, chroma or alpha); swscale gets the matrix and both ranges explicitly,
so it never guesses from a pix_fmt name.
"""

from __future__ import annotations

import av

from gpen_video.errors import OutputError
from gpen_video.io.codecs import EncoderPlan
from gpen_video.io.formats import SWSCALE_THREADS, frame_from_planes, layout_of
from gpen_video.io.frames import Frame, VideoInfo
from gpen_video.io.tags import RANGE_PC, RANGE_TV, SWS_COLORSPACE


def encoder_picture(frame: Frame, info: VideoInfo, plan: EncoderPlan) -> av.VideoFrame:
    """The frame as ``plan.pix_fmt`` with its pts, time base, duration and the output's colour tags."""
    picture = frame_from_planes(frame.planes, info.layout, info.width, info.height)
    if plan.convert:
        picture = _convert(picture, info, plan)
    picture.pts, picture.time_base = frame.pts, frame.time_base
    picture.duration = frame.duration
    tags = plan.tags
    picture.color_primaries, picture.color_trc = tags.color_primaries, tags.color_trc
    picture.colorspace, picture.color_range = tags.colorspace, tags.color_range
    return picture


def _convert(picture: av.VideoFrame, info: VideoInfo, plan: EncoderPlan) -> av.VideoFrame:
    source, target = info.layout, layout_of(plan.pix_fmt)
    source_range = RANGE_TV if info.range == "tv" else RANGE_PC
    target_range = plan.tags.color_range if plan.tags.color_range in (RANGE_TV, RANGE_PC) else source_range
    cross = source.family != target.family and {source.family, target.family} != {"gray", "yuv"}
    matrix = "bt709" if source.family == "rgb" else info.matrix  # rgb -> yuv is tagged BT.709
    colorspace = SWS_COLORSPACE.get(matrix)
    if colorspace is None and (cross or target_range != source_range):
        raise OutputError(f"cannot convert {source.pix_fmt} with matrix {matrix} to {plan.pix_fmt}: choose pix_fmt")
    return picture.reformat(format=plan.pix_fmt, src_colorspace=colorspace, dst_colorspace=colorspace,
                            src_color_range=source_range, dst_color_range=target_range, threads=SWSCALE_THREADS)
