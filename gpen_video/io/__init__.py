"""Reading and writing video files and image sequences with PyAV (the only module that imports it).

``open_video``/``probe`` give Frames and a VideoInfo; ``open_writer`` takes Frames back and copies
every other stream of the source. See docs/io.md for formats, defaults and guarantees.
"""

from __future__ import annotations

from gpen_video.io.frames import ColourTags, Frame, Layout, VideoInfo
from gpen_video.io.reader import VideoReader, open_video, probe
from gpen_video.io.writer import VideoWriter, open_writer

__all__ = [
    "ColourTags",
    "Frame",
    "Layout",
    "VideoInfo",
    "VideoReader",
    "VideoWriter",
    "open_video",
    "open_writer",
    "probe",
]
