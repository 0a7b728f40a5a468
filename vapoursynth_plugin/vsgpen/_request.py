"""How the filter asks VapourSynth for the window of frames that output frame n depends on.

``std.ModifyFrame`` over 2K+1 copies of the clip shifted by -K .. +K: for output frame n the core hands
the callback frames n-K .. n+K, fetched (and cached by the source) by its own threads, so a random
seek needs nothing but the clip. Past the ends a shifted copy repeats the first or last frame; those
stand-ins are never given to the engine, whose ``window(n)`` stops at the clip's ends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Protocol

import vapoursynth as vs

from gpen_video.errors import GpenVideoError
from vsgpen._formats import ClipFormat, ClipFrame, check_props, write_planes


class Engine(Protocol):
    """The part of ``gpen_video.window.WindowEngine`` the filter calls."""

    radius: int

    def window(self, t: int) -> range: ...

    def render(self, ts: Sequence[int], frames: Mapping[int, ClipFrame]) -> list: ...


def shifted(clip: vs.VideoNode, offset: int) -> vs.VideoNode:
    """The clip moved by ``offset`` frames: its frame n is frame clamp(n + offset) of ``clip``."""
    count = clip.num_frames
    if offset == 0:
        return clip
    repeats = min(abs(offset), count)
    if offset > 0:
        edge = clip[count - 1] * repeats
        return clip[offset:] + edge if offset < count else edge
    edge = clip[0] * repeats
    return edge + clip[:count + offset] if -offset < count else edge


def restore_clip(clip: vs.VideoNode, engine: Engine, fmt: ClipFormat) -> vs.VideoNode:
    """The clip with every frame rendered by ``engine`` from the window of source frames around it."""
    radius = engine.radius
    copies = [shifted(clip, offset) for offset in range(-radius, radius + 1)]
    select = partial(_render_frame, engine=engine, fmt=fmt, radius=radius)
    return clip.std.ModifyFrame(clips=copies, selector=select)


def _render_frame(n: int, f: Sequence[vs.VideoFrame], *, engine: Engine, fmt: ClipFormat,
                  radius: int) -> vs.VideoFrame:
    """ModifyFrame's callback: ``f[radius + d]`` is source frame n + d (clamped at the ends)."""
    frames = {}
    for i in engine.window(n):
        source = f[radius + i - n]
        check_props(source.props, fmt, i)
        frames[i] = ClipFrame(i, source, fmt.float_rgb)
    try:
        [out] = engine.render([n], frames)
    except GpenVideoError as error:
        raise vs.Error(f"gpen: frame {n}: {error}") from error
    if out is frames[n]:  # the engine left the frame alone (no faces): hand back the source frame
        return f[radius]
    return write_planes(f[radius], tuple(out.planes), fmt.float_rgb)
