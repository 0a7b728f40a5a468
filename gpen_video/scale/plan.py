"""Cut a video's frames into segments at keyframes, and say which input frames each one reads.

A segment renders output frames ``start`` .. ``stop - 1`` and reads K frames more on either side
(clipped to the video), because by rule 1 that is all its frames depend on. Cutting at keyframes
keeps each segment's decode short: it seeks to the keyframe at or before ``start - K``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True)
class Segment:
    """Output frames ``start`` .. ``stop - 1`` of the video, rendered and encoded as one part."""

    number: int
    start: int
    stop: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.stop:
            raise ValueError(f"segment {self.number} must hold frames, not {self.start}..{self.stop - 1}")

    @property
    def frames(self) -> int:
        return self.stop - self.start

    def reads(self, radius: int, frame_count: int) -> range:
        """The input frames the segment needs: its own and ``radius`` more either side, inside the video."""
        return range(max(0, self.start - radius), min(frame_count, self.stop + radius))

    def part_name(self, suffix: str) -> str:
        """The segment's file name in the parts folder (the output's extension, so its muxer)."""
        return f"part-{self.number:05d}{suffix}"


def plan_segments(frame_count: int, keyframes: Sequence[int], segment_frames: int) -> list[Segment]:
    """Segments covering frames 0 .. ``frame_count - 1``, each starting at a keyframe (or frame 0).

    A segment ends at the first keyframe at least ``segment_frames`` after its start, so sparse
    keyframes make longer segments, never shorter ones; a last piece under half that length joins
    the segment before it. Raises ValueError for an empty video or a non-positive length.
    """
    if frame_count <= 0:
        raise ValueError("a video with no frames cannot be split into segments")
    if segment_frames <= 0:
        raise ValueError(f"segments must hold at least one frame, not {segment_frames}")
    bounds = [0]
    for key in sorted(set(keyframes)):
        if bounds[-1] + segment_frames <= key < frame_count:
            bounds.append(key)
    if len(bounds) > 1 and frame_count - bounds[-1] < (segment_frames + 1) // 2:
        bounds.pop()
    edges = [*bounds, frame_count]
    return [Segment(n, a, b) for n, (a, b) in enumerate(pairwise(edges))]
