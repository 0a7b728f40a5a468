"""The streaming engine behind ``gpen-video IN OUT``: decode -> window engine -> encode.

Decoding and encoding run in their own threads (inside ``io``), joined to this loop by bounded queues;
this loop keeps only the frames the next outputs' windows need (2K + a chunk), so memory does not grow
with video length. Output frames are rendered in chunks so GPEN batches mix faces from several frames.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gpen_video.errors import FrameError, GpenVideoError
from gpen_video.io import Frame, open_video, open_writer
from gpen_video.options import Options
from gpen_video.window import RENDER_CHUNK, WindowEngine


@dataclass
class RunReport:
    """What a run did, for ``--stats`` and tests."""

    frames: int = 0
    restored_frames: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def format(self) -> str:
        fps = self.frames / self.seconds if self.seconds else 0.0
        lines = [f"{self.frames} frames in {self.seconds:.1f} s ({fps:.2f} fps)"]
        for stage, seconds in sorted(self.stage_seconds.items(), key=lambda kv: -kv[1]):
            share = 100 * seconds / self.seconds if self.seconds else 0.0
            lines.append(f"  {stage:<10} {seconds:8.2f} s  {share:5.1f} %")
        return "\n".join(lines)


@dataclass(frozen=True)
class Span:
    """The part of the video whose faces are restored: seconds from the start, end exclusive."""

    start: float | None = None
    end: float | None = None

    def contains(self, frame: Frame) -> bool:
        seconds = float(frame.pts * frame.time_base) if frame.pts is not None else 0.0
        return (self.start is None or seconds >= self.start) and (self.end is None or seconds < self.end)


def restore_video(source: str | Path, target: str | Path, options: Options, *, span: Span = Span(),
                  progress: bool = True, engine_factory: Callable[..., WindowEngine] = WindowEngine
                  ) -> RunReport:
    """Restore every face of ``source`` into ``target``; the target appears only when complete."""
    report = RunReport()
    began = time.perf_counter()
    with open_video(source, fps=options.encode.fps) as reader:
        info = reader.info
        engine = engine_factory(options, info)
        engine.prepare()  # a missing or broken checkpoint fails here, before any output exists
        with open_writer(target, info, options.encode, source=source) as writer, \
                _progress_bar(info.frame_count, progress) as bar:
            for out in _render_stream(engine, reader, span, report):
                writer.write(out)
                bar.update(1)
    report.seconds = time.perf_counter() - began
    report.stage_seconds = dict(engine.times.seconds)
    return report


def windowed_chunks(engine: WindowEngine, frames: Iterable[Frame], chunk: int = RENDER_CHUNK,
                    wanted: range | None = None) -> Iterator[tuple[range, dict[int, Frame]]]:
    """Yield consecutive chunks of frame numbers with a buffer holding every frame of their windows.

    Only the frames those windows need stay in the buffer, so memory does not grow with video length.
    Without ``wanted`` the whole input is covered, and the engine learns its exact length when the
    input ends, before the last windows are cut. With ``wanted`` (one segment of a split run) the engine
    must know the whole video's length already; ``frames`` carry their indices in the whole video and
    may start early (those are skipped) but must reach the segment's last window.
    """
    if wanted is None:
        engine.frame_count = None  # containers can lie about it; known exactly only at the end
        wanted = range(0, 1 << 62)
    elif engine.frame_count is None or not 0 <= wanted.start < wanted.stop <= engine.frame_count:
        raise ValueError(f"a segment needs the exact frame count and frames inside it, not {wanted}")
    k, buffer, next_out = engine.radius, {}, wanted.start
    for frame in frames:
        if frame.index < wanted.start - k:
            continue
        buffer[frame.index] = frame
        while next_out < wanted.stop:
            part = range(next_out, min(next_out + chunk, wanted.stop))
            last = part.stop - 1 + k if engine.frame_count is None else min(part.stop - 1 + k, engine.frame_count - 1)
            if frame.index < last:
                break  # the chunk's windows are not all read yet
            yield part, buffer
            next_out = part.stop
            for old in [i for i in buffer if i < next_out - k]:
                del buffer[old]
        if next_out >= wanted.stop:
            return
    if engine.frame_count is not None:
        raise FrameError(f"the input ended before frame {next_out}, which this segment needs")
    engine.frame_count = max(buffer, default=-1) + 1
    while next_out < engine.frame_count:
        part = range(next_out, min(next_out + chunk, engine.frame_count))
        yield part, buffer
        next_out = part.stop


def render_range(engine: WindowEngine, frames: Iterable[Frame], wanted: range, *, span: Span = Span(),
                 report: RunReport | None = None, chunk: int = RENDER_CHUNK) -> Iterator[Frame]:
    """Output frames ``wanted`` of a longer video, for one segment of a split run (``gpen_video.scale``).

    ``engine.frame_count`` is the whole video's exact length, so every window is cut exactly as in
    ``restore_video`` and, by rule 1, each frame comes out as a whole run would write it.
    """
    report = report if report is not None else RunReport()
    for part, buffer in windowed_chunks(engine, frames, chunk, wanted):
        yield from _render_chunk(engine, buffer, part, span, report)


def _render_stream(engine: WindowEngine, frames: Iterator[Frame], span: Span, report: RunReport
                   ) -> Iterator[Frame]:
    """Yield output frames in order."""
    for chunk, buffer in windowed_chunks(engine, frames):
        yield from _render_chunk(engine, buffer, chunk, span, report)


def _render_chunk(engine: WindowEngine, buffer: dict[int, Frame], chunk: range, span: Span,
                  report: RunReport) -> Iterator[Frame]:
    wanted = [t for t in chunk if span.contains(buffer[t])]
    try:
        rendered = dict(zip(wanted, engine.render(wanted, buffer), strict=True)) if wanted else {}
    except GpenVideoError:
        raise
    except Exception as error:  # a frame that fails is reported, never dropped (rule 2)
        raise FrameError(f"restoring frames {chunk.start}..{chunk.stop - 1} failed: {error}") from error
    report.restored_frames += len(rendered)
    for t in chunk:
        report.frames += 1
        yield rendered.get(t, buffer[t])


class _progress_bar:
    """A tqdm bar on stderr with fps and ETA, or nothing when progress is off."""

    def __init__(self, total: int | None, enabled: bool):
        self.total, self.enabled, self.bar = total, enabled, None

    def __enter__(self):
        if self.enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit="frame", dynamic_ncols=True, file=sys.stderr,
                            desc="restoring", smoothing=0.1)
        return self

    def update(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
