"""How the filter asks VapourSynth for the frames that output frames depend on, and renders them.

Output frames are rendered in aligned chunks of ``CHUNK`` (frames 0-7, 8-15, ...), as the CLI pipeline
renders them, so a GPEN batch holds faces of several frames instead of one face padded to a full
batch. For output frame n in chunk [a, a+C) the engine needs source frames a-K .. a+C-1+K; the filter
gets them with ``std.ModifyFrame`` over copies of the clip shifted by -(K+C-1) .. +(K+C-1), fetched
(and cached) by the core's own threads, so a random seek needs nothing but the clip. Past the ends a
shifted copy repeats the first or last frame; those stand-ins never reach the engine, whose
``window(t)`` stops at the clip's ends. The rest of a chunk waits in a small buffer for its own
request; output t is a pure function of ``window(t)``, so whichever request renders it, it is the same.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Protocol

import vapoursynth as vs

from gpen_video.errors import GpenVideoError
from gpen_video.window import RENDER_CHUNK
from vsgpen._formats import ClipFormat, ClipFrame, check_props, write_planes

CHUNK = RENDER_CHUNK  # output frames per engine call, as in the CLI
_KEPT_CHUNKS = 2  # rendered chunks whose frames may wait for their requests (two threads' worth)


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


def restore_clip(clip: vs.VideoNode, engine: Engine, fmt: ClipFormat, chunk: int = CHUNK) -> vs.VideoNode:
    """The clip with every frame rendered by ``engine`` from the source frames of its window."""
    renderer = _ChunkRenderer(engine, fmt, chunk)
    copies = [shifted(clip, offset) for offset in range(-renderer.reach, renderer.reach + 1)]
    return clip.std.ModifyFrame(clips=copies, selector=renderer)


_NOT_RENDERED = object()


class _ChunkRenderer:
    """ModifyFrame's callback: ``f[reach + d]`` is source frame n + d (clamped at the clip's ends)."""

    def __init__(self, engine: Engine, fmt: ClipFormat, chunk: int):
        self.engine, self.fmt, self.chunk = engine, fmt, chunk
        self.reach = engine.radius + chunk - 1
        # frame -> its output planes, or None where the engine left the frame as it was
        self._waiting: OrderedDict[int, tuple | None] = OrderedDict()
        self._lock = threading.Lock()  # one chunk renders at a time; the others' frames wait here

    def __call__(self, n: int, f: Sequence[vs.VideoFrame]) -> vs.VideoFrame:
        with self._lock:
            planes = self._waiting.pop(n, _NOT_RENDERED)
            if planes is _NOT_RENDERED:
                planes = self._render_chunk(n, f)
        source = f[self.reach]
        return source if planes is None else write_planes(source, planes, self.fmt.float_rgb)

    def _render_chunk(self, n: int, f: Sequence[vs.VideoFrame]) -> tuple | None:
        start = n - n % self.chunk
        ts = range(start, min(start + self.chunk, self.fmt.frame_count))
        frames = {}
        for i in sorted({s for t in ts for s in self.engine.window(t)}):
            source = f[self.reach + i - n]
            check_props(source.props, self.fmt, i)
            frames[i] = ClipFrame(i, source, self.fmt.float_rgb)
        try:
            outputs = self.engine.render(list(ts), frames)
        except GpenVideoError as error:
            raise vs.Error(f"gpen: frames {ts.start}..{ts.stop - 1}: {error}") from error
        for t, out in zip(ts, outputs, strict=True):
            self._waiting[t] = None if out is frames[t] else tuple(out.planes)
        while len(self._waiting) > _KEPT_CHUNKS * self.chunk:
            self._waiting.popitem(last=False)
        return self._waiting.pop(n)
