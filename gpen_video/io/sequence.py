"""Image sequences: naming (a printf pattern or a folder), finding the files, and decoding them.

A sequence is a folder of numbered images (one name pattern, one extension) or a pattern such as
``frames/%06d.tif``. Files are ordered by number; a gap in the numbering is an error (a missing scan
is a missing frame). Frame ``index`` counts files from the first one read, ``pts`` is that index in
``1/fps`` (default 25 fps), and ``VideoInfo.start_number`` keeps the first file's number.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from gpen_video.errors import InputError, InputNotFoundError
from gpen_video.io.formats import UnsupportedFormat, layout_of, planes_from_frame
from gpen_video.io.frames import Frame, Layout, VideoInfo
from gpen_video.io.probe import describe, open_input
from gpen_video.io.tags import ColourTags

IMAGE_EXTENSIONS = (".png", ".tif", ".tiff", ".dpx", ".jpg", ".jpeg", ".bmp", ".tga", ".exr")
DEFAULT_FPS = Fraction(25)
_PRINTF = re.compile(r"%(0(\d+))?d")
_NUMBERED = re.compile(r"^(.*?)(\d+)(\.[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class SequenceName:
    """Files ``folder/prefix + number + suffix``, the number zero-padded to ``digits`` (0: unpadded)."""

    folder: Path
    prefix: str
    digits: int
    suffix: str

    def path(self, number: int) -> Path:
        return self.folder / f"{self.prefix}{number:0{self.digits}d}{self.suffix}"

    def number_of(self, name: str) -> int | None:
        """The number in a file name of this sequence, None if the name is not one of it."""
        digits = rf"\d{{{self.digits}}}" if self.digits else r"\d+"
        match = re.fullmatch(re.escape(self.prefix) + f"({digits})" + re.escape(self.suffix), name)
        return int(match.group(1)) if match else None

    @property
    def pattern(self) -> str:
        return str(self.folder / f"{self.prefix}%{f'0{self.digits}' if self.digits else ''}d{self.suffix}")


def is_pattern(path: str | os.PathLike[str]) -> bool:
    return bool(_PRINTF.search(os.path.basename(os.fspath(path))))


def is_sequence(path: str | os.PathLike[str]) -> bool:
    """A printf pattern or an existing folder is read (and written) as an image sequence."""
    return is_pattern(path) or os.path.isdir(os.fspath(path))


def parse_pattern(path: str | os.PathLike[str]) -> SequenceName:
    folder, base = os.path.split(os.fspath(path))
    matches = list(_PRINTF.finditer(base))
    if len(matches) != 1 or "%" in base.replace(matches[0].group(0), ""):
        raise InputError(f"an image sequence pattern needs exactly one %d or %0Nd, not {path}")
    match = matches[0]
    digits = int(match.group(2)) if match.group(2) else 0
    return SequenceName(Path(folder or "."), base[: match.start()], digits, base[match.end() :])


def _folder_name(folder: Path) -> SequenceName:
    """The one numbered-image naming scheme in a folder; an error if there are several or none."""
    groups: dict[tuple[str, str], list[str]] = {}
    for entry in os.listdir(folder):
        match = _NUMBERED.match(entry)
        if match and match.group(3).lower() in IMAGE_EXTENSIONS and not entry.startswith("."):
            groups.setdefault((match.group(1), match.group(3)), []).append(match.group(2))
    if not groups:
        raise InputNotFoundError(f"no numbered images in folder {folder}")
    if len(groups) > 1:
        kinds = ", ".join(sorted(f"{p}#{s}" for p, s in groups))
        raise InputError(f"folder {folder} holds several image sequences ({kinds}): pass a pattern")
    (prefix, suffix), numbers = next(iter(groups.items()))
    lengths = {len(n) for n in numbers}
    return SequenceName(folder, prefix, lengths.pop() if len(lengths) == 1 else 0, suffix)


def find_sequence(path: str | os.PathLike[str]) -> tuple[SequenceName, list[Path]]:
    """The sequence's naming and its files in number order; errors for none, duplicates or gaps."""
    name = _folder_name(Path(path)) if os.path.isdir(path) else parse_pattern(path)
    if not name.folder.is_dir():
        raise InputNotFoundError(f"input not found: folder {name.folder} does not exist")
    numbered = sorted(
        (n, entry) for entry in os.listdir(name.folder) if (n := name.number_of(entry)) is not None
    )
    if not numbered:
        raise InputNotFoundError(f"input not found: no files match {name.pattern}")
    numbers = [n for n, _ in numbered]
    if len(set(numbers)) != len(numbers):
        raise InputError(f"{name.pattern}: several files carry the same number")
    missing = numbers[-1] - numbers[0] + 1 - len(numbers)
    if missing:
        first_gap = next(a + 1 for a, b in zip(numbers, numbers[1:], strict=False) if b != a + 1)
        raise InputError(
            f"{name.pattern}: {missing} frame(s) missing from the numbering, the first is "
            f"{name.path(first_gap).name} (restore the file or read the parts either side separately)"
        )
    return name, [name.folder / entry for _, entry in numbered]


def _decode_image(path: Path) -> tuple[av.VideoFrame, str]:
    """The image's one frame and its decoder's name."""
    with open_input(path) as container:
        try:
            stream = container.streams.video[0]
            return next(iter(container.decode(stream))), stream.codec_context.codec.name
        except (av.error.FFmpegError, IndexError, StopIteration) as error:
            raise InputError(f"cannot decode image {path} (the file is damaged or not an image)") from error


def _image_layout(frame: av.VideoFrame, path: Path) -> Layout:
    try:
        return layout_of(frame.format.name)
    except UnsupportedFormat as error:
        raise InputError(f"{path}: pixel format {frame.format.name} is not supported") from error


def probe_sequence(path: str | os.PathLike[str], fps: Fraction | None = None) -> tuple[VideoInfo, list[Path]]:
    """VideoInfo of an image sequence (from its first image) and its files."""
    name, files = find_sequence(path)
    first, codec = _decode_image(files[0])
    rate = Fraction(fps) if fps else DEFAULT_FPS
    tags = ColourTags(first.color_primaries, first.color_trc, first.colorspace, first.color_range,
                      first.chroma_location)
    info = describe(
        _image_layout(first, files[0]), tags, first.width, first.height,
        fps=rate, time_base=1 / rate, frame_count=len(files), path=os.fspath(path),
        codec=codec, start_number=name.number_of(files[0].name) or 0,
    )
    return info, files


def decode_sequence(files: list[Path], info: VideoInfo, start: int, stop: int) -> Iterator[Frame]:
    """Frames ``start`` to ``stop`` of the sequence, each file checked against the first one's format."""
    for index in range(start, stop):
        path = files[index]
        image, _ = _decode_image(path)
        layout = _image_layout(image, path)
        same = (layout.family, layout.bit_depth, layout.has_alpha) == (
            info.layout.family, info.layout.bit_depth, info.layout.has_alpha)
        if (image.width, image.height) != (info.width, info.height) or not same:
            raise InputError(
                f"{path} is {image.width}x{image.height} {image.format.name}, unlike the sequence's first "
                f"image ({info.width}x{info.height} {info.layout.pix_fmt})"
            )
        yield Frame(index=index, pts=index, time_base=info.time_base, planes=planes_from_frame(image, layout),
                    duration=1)
