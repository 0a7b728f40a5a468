"""The records that cross the I/O boundary: how planes are laid out, what a video is, one frame.

These are plain, validated dataclasses with no PyAV in them, so every later stage (and the tests of
every later stage) can build and read them without opening a file. See docs/ARCHITECTURE.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

FAMILIES = ("yuv", "rgb", "gray")


@dataclass(frozen=True)
class Layout:
    """How a frame's samples are stored: the planes a Frame carries and their codes.

    ``subsampling`` is ``(log2_w, log2_h)`` of the chroma planes: (1, 1) 4:2:0, (1, 0) 4:2:2,
    (0, 0) 4:4:4, rgb and gray. ``pix_fmt`` is the source's name for it (e.g. "yuv420p10le", "rgb48be",
    "nv12"); planes are always planar whatever ``pix_fmt`` packs them as.
    """

    family: str
    bit_depth: int
    subsampling: tuple[int, int] = (0, 0)
    has_alpha: bool = False
    pix_fmt: str = ""

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"layout family must be one of {FAMILIES}, not {self.family!r}")
        if not 8 <= self.bit_depth <= 16:
            raise ValueError(f"bit depth must be 8 to 16, not {self.bit_depth}")
        if self.family != "yuv" and self.subsampling != (0, 0):
            raise ValueError(f"{self.family} layouts have no chroma subsampling, not {self.subsampling}")
        if not all(0 <= s <= 2 for s in self.subsampling):
            raise ValueError(f"chroma subsampling must be log2 steps 0..2, not {self.subsampling}")

    @property
    def dtype(self) -> np.dtype:
        """uint8 for 8-bit codes, uint16 for anything deeper (codes are not MSB-aligned)."""
        return np.dtype(np.uint8 if self.bit_depth == 8 else np.uint16)

    @property
    def max_code(self) -> int:
        return (1 << self.bit_depth) - 1

    @property
    def plane_count(self) -> int:
        return (1 if self.family == "gray" else 3) + int(self.has_alpha)

    def plane_shapes(self, width: int, height: int) -> tuple[tuple[int, int], ...]:
        """(rows, columns) of each plane, in Frame order; chroma sizes round up like FFmpeg's."""
        sw, sh = self.subsampling
        chroma = (-(-height >> sh), -(-width >> sw))
        shapes = [(height, width)]
        if self.family != "gray":
            shapes += [chroma, chroma] if self.family == "yuv" else [(height, width)] * 2
        if self.has_alpha:
            shapes.append((height, width))
        return tuple(shapes)


@dataclass(frozen=True)
class ColourTags:
    """The colour tags exactly as the source stream carries them, as FFmpeg's enum values.

    Kept raw so the writer can re-tag the output verbatim, including "unspecified" (2 for the first
    three, 0 for range and chroma location); ``VideoInfo.matrix``/``range`` are the values to convert
    with, where an untagged source gets the usual guess.
    """

    color_primaries: int = 2
    color_trc: int = 2
    colorspace: int = 2
    color_range: int = 0
    chroma_location: int = 0


@dataclass(frozen=True)
class VideoInfo:
    """What a video stream (or an image sequence) is, and what the writer needs to re-create it.

    ``matrix`` and ``range`` are the values to convert with (``matrix`` one of "bt709", "bt601",
    "bt2020nc", "bt2020c", "smpte240m", "fcc", "ycgco", "rgb", or FFmpeg's name for a rarer one;
    ``range`` "tv" or "pc"). ``primaries``/``transfer`` are FFmpeg's names, None when untagged.
    ``fps`` is the average rate; timestamps (``Frame.pts`` in ``time_base``) are the truth, so VFR
    stays VFR. ``rotation`` is the counter-clockwise angle players turn the stored picture by (from
    the display matrix, kept verbatim in ``display_matrix``); frames stay in stored orientation.
    ``frame_count`` is what the container states (exact for image sequences), None when it states
    nothing; a reader replaces it with the decoded count once it reaches the end.
    """

    width: int
    height: int
    layout: Layout
    matrix: str
    range: str
    primaries: str | None
    transfer: str | None
    fps: Fraction
    time_base: Fraction
    frame_count: int | None
    rotation: int = 0
    path: str = ""  # the file or sequence this describes
    stream_index: int = 0  # index of the video stream in its file
    codec: str = ""  # decoder name of the source ("h264", "prores", "png", ...)
    profile: str | None = None
    tags: ColourTags = field(default_factory=ColourTags)
    display_matrix: tuple[int, ...] | None = None  # 9 int32 (16.16 / 2.30 fixed point), as stored
    sample_aspect_ratio: Fraction | None = None
    field_order: int = 0  # FFmpeg AVFieldOrder: 0 unknown, 1 progressive, 2.. interlaced
    start_number: int = 0  # number of the first file of an image sequence
    trim: tuple[Fraction, Fraction | None] | None = None  # seconds kept when read with start/end

    @property
    def chroma_loc(self) -> str:
        """Chroma siting as ``colour`` names it: the tag, else "left" (the MPEG-2/H.264 default)."""
        return {2: "center", 3: "topleft"}.get(self.tags.chroma_location, "left")

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"video size must be positive, not {self.width}x{self.height}")
        if self.range not in ("tv", "pc"):
            raise ValueError(f"range must be 'tv' or 'pc', not {self.range!r}")
        if self.fps <= 0 or self.time_base <= 0:
            raise ValueError(f"fps and time_base must be positive, not {self.fps} and {self.time_base}")


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded picture: planar raw codes at the source bit depth, with its own timestamp.

    ``planes`` are 2-D arrays in the order Y,U,V / R,G,B / Y, then alpha; uint8 for 8-bit, uint16
    otherwise. ``index`` is the 0-based position in the source (presentation order), ``pts`` and
    ``duration`` are in ``time_base`` (``duration`` 0 when the source does not say).
    """

    index: int
    pts: int
    time_base: Fraction
    planes: tuple[np.ndarray, ...]
    duration: int = 0

    def __post_init__(self) -> None:
        if not self.planes:
            raise ValueError("a frame needs at least one plane")
        dtype = self.planes[0].dtype
        for plane in self.planes:
            if plane.ndim != 2 or plane.dtype != dtype or dtype not in (np.uint8, np.uint16):
                raise ValueError(
                    f"frame {self.index}: planes must be 2-D uint8 or uint16 arrays of one dtype, "
                    f"got {[(p.shape, str(p.dtype)) for p in self.planes]}"
                )

    @property
    def height(self) -> int:
        return self.planes[0].shape[0]

    @property
    def width(self) -> int:
        return self.planes[0].shape[1]

    @property
    def time(self) -> Fraction:
        """Presentation time in seconds."""
        return self.pts * self.time_base
