"""Render one segment into its own video-only file: the work a Ray task does, with no Ray in it.

The segment's input frames are read from the keyframe before ``start - K`` with their indices in the
whole video, and the window engine is told the whole video's frame count; so every output frame is
the one a single-process run writes (rule 1). The part is written all or nothing by the io writer,
then hashed, so the driver can record it and a later run can check it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from gpen_video.errors import FrameError
from gpen_video.io import VideoInfo, open_writer
from gpen_video.io.segments import FrameRange, open_range
from gpen_video.options import Options
from gpen_video.pipeline import RunReport, Span, render_range
from gpen_video.scale.manifest import PartRecord, sha256_file
from gpen_video.scale.plan import Segment
from gpen_video.window import WindowEngine

REPORT_EVERY_S = 0.5  # how often a segment tells the driver how far it is
TEST_HOOK = "GPEN_VIDEO_SCALE_TEST_HOOK"  # tests only: "fail:N" or "hang:N" in segment N after one frame


@dataclass(frozen=True)
class SegmentJob:
    """Everything a worker needs for one segment; small enough to ship to another machine."""

    segment: Segment
    frames: FrameRange  # the input frames it reads: start - K .. stop - 1 + K, inside the video
    info: VideoInfo  # the source's, with frame_count the whole video's exact length
    options: Options
    span: Span
    part: str  # the file to write


@dataclass(frozen=True)
class SegmentResult:
    """A finished part and what rendering it cost."""

    record: PartRecord
    restored_frames: int
    stage_seconds: dict[str, float]


def render_segment(job: SegmentJob, progress: Callable[[int], None] | None = None) -> SegmentResult:
    """Render, encode and hash one segment; ``progress(frames written so far)`` is called now and then."""
    segment = job.segment
    engine = WindowEngine(job.options, job.info)  # frame_count: the whole video's, so windows clip as in one run
    engine.prepare()
    encode = replace(job.options.encode, overwrite=True)  # a part left by an earlier attempt is stale
    report = RunReport()
    last = time.monotonic()
    with open_range(job.frames, job.options.encode.fps) as reader, \
            open_writer(job.part, job.info, encode) as writer:
        frames = render_range(engine, reader, range(segment.start, segment.stop), span=job.span, report=report)
        for done, frame in enumerate(frames, 1):
            writer.write(frame)
            _test_hook(segment.number)
            if progress is not None and (time.monotonic() - last >= REPORT_EVERY_S or done == segment.frames):
                progress(done)
                last = time.monotonic()
    path = Path(job.part)
    record = PartRecord(segment.number, path.name, path.stat().st_size, sha256_file(path), segment.frames)
    return SegmentResult(record, report.restored_frames, dict(engine.times.seconds))


def _test_hook(number: int) -> None:
    """Let tests make a segment fail or hang part-way, as a crash or a killed run would."""
    action, _, target = os.environ.get(TEST_HOOK, "").partition(":")
    if not target or int(target) != number:
        return
    if action == "fail":
        raise FrameError(f"segment {number} failed on purpose ({TEST_HOOK})")
    if action == "hang":
        while True:
            time.sleep(1)
