"""The scale-out options (``--workers``, ``--ray-address``, ``--resume``, ``--segment-frames``).

They say where and how a run is split, never what the pixels are, so they stay out of the job
fingerprint a manifest records (except the segment length, which fixes the plan).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScaleOptions:
    workers: int | None = None  # segments at once: on this machine (local Ray), or at most this many on a cluster
    ray_address: str | None = None  # a Ray cluster to run on ("auto", "ray://head:10001", "10.0.0.1:6379")
    resume: bool = False  # continue the run recorded beside the output; refuse one made by other settings
    segment_frames: int = 1000  # frames per segment (segments begin at keyframes, so about this many)

    @property
    def segmented(self) -> bool:
        """Whether these options ask for a split run rather than the plain single-process one."""
        return (self.workers or 1) > 1 or self.ray_address is not None or self.resume
