"""Encode Frames as an image sequence (PNG, TIFF, DPX, ...), committed only when every file is written.

Files are named ``start_number + Frame.index`` through the pattern (a folder gets ``%06d`` and the
codec's extension). They are written into a hidden temporary folder and moved into place at the
end: a new folder is renamed whole, an existing one receives the files (old files of the same
sequence are removed first when overwriting, so no stale frame survives past the new end).
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import av

from gpen_video.errors import OutputError
from gpen_video.io.codecs import EncoderPlan, choose_pix_fmt, image_codec, make_plan
from gpen_video.io.frames import Frame, VideoInfo
from gpen_video.io.picture import encoder_picture
from gpen_video.io.sequence import SequenceName, is_pattern, is_sequence, parse_pattern
from gpen_video.io.target import output_error, same_file
from gpen_video.options import EncodeOptions

_EXTENSIONS = {"png": ".png", "tiff": ".tif", "dpx": ".dpx", "mjpeg": ".jpg", "bmp": ".bmp", "targa": ".tga"}


def sequence_name(path: str | os.PathLike[str], info: VideoInfo, options: EncodeOptions) -> SequenceName:
    """The output naming: the pattern as given, or ``folder/%06d.<ext>`` for a folder."""
    if is_pattern(path):
        try:
            return parse_pattern(path)
        except ValueError as error:
            raise OutputError(str(error)) from error
    codec = image_codec("", info, options)
    return SequenceName(Path(path), "", 6, _EXTENSIONS.get(codec, "." + codec))


def _refuse_inputs(name: SequenceName, inputs: list[str | os.PathLike[str] | None]) -> None:
    for source in filter(None, inputs):
        source_name = None
        if is_sequence(source):
            source_name = parse_pattern(source) if is_pattern(source) else None
            folder = source_name.folder if source_name else Path(source)
        else:
            folder = Path(source).parent
        if not name.folder.exists() or not same_file(folder, name.folder):
            continue
        clash = (source_name is None and is_sequence(source)) or (
            source_name is not None and (source_name.prefix, source_name.suffix) == (name.prefix, name.suffix)
        ) or name.number_of(Path(source).name) is not None
        if clash:
            raise OutputError(f"output {name.pattern} would write over the input {source}: choose another folder")


class ImageSequenceEncoder:
    """Write frames as numbered images into a hidden folder; ``finish`` moves them into place."""

    def __init__(self, path: str | os.PathLike[str], info: VideoInfo, options: EncodeOptions,
                 inputs: list[str | os.PathLike[str] | None]) -> None:
        self.info, self.name, self.overwrite = info, sequence_name(path, info, options), options.overwrite
        _refuse_inputs(self.name, inputs)
        if not self.name.folder.parent.is_dir():
            raise OutputError(f"output folder {self.name.folder.parent} does not exist")
        if self._existing() and not self.overwrite:
            raise OutputError(f"output {self.name.pattern} exists (pass --overwrite to replace it)")
        self.plan = self._plan(options)
        self.context = av.CodecContext.create(self.plan.codec, "w")
        self.context.width, self.context.height = info.width, info.height
        self.context.pix_fmt, self.context.time_base = self.plan.pix_fmt, info.time_base
        self.context.options = self.plan.options
        token = secrets.token_hex(4)
        folder = self.name.folder
        self.temp = folder / f".tmp-{token}" if folder.is_dir() else folder.with_name(f".{folder.name}.tmp-{token}")
        self.temp.mkdir()
        self.written: list[str] = []

    def _plan(self, options: EncodeOptions) -> EncoderPlan:
        codec = image_codec(self.name.suffix, self.info, options)
        pix_fmt = choose_pix_fmt(codec, self.info.layout, options.pix_fmt)
        if pix_fmt is None:
            layout = self.info.layout
            raise OutputError(f"{codec} images cannot keep this {layout.bit_depth}-bit {layout.family} video "
                              f"({layout.pix_fmt}): choose PNG, TIFF or DPX, or pass pix_fmt")
        return make_plan(codec, pix_fmt, self.info, options)

    def _existing(self) -> list[str]:
        if not self.name.folder.is_dir():
            return []
        return [e for e in os.listdir(self.name.folder) if self.name.number_of(e) is not None]

    def write(self, frame: Frame) -> None:
        file_name = self.name.path(self.info.start_number + frame.index).name
        packets = self.context.encode(encoder_picture(frame, self.info, self.plan))
        if len(packets) != 1:
            raise OutputError(f"the {self.plan.codec} encoder gave {len(packets)} images for frame {frame.index}")
        try:
            with open(self.temp / file_name, "wb") as handle:
                handle.write(bytes(packets[0]))
        except OSError as error:
            raise output_error(error, self.name.folder / file_name) from error
        self.written.append(file_name)

    def finish(self) -> None:
        """Move the images into place; nothing appears under the target names before this."""
        try:
            if not self.name.folder.exists():
                os.rename(self.temp, self.name.folder)
                return
            if self._existing() and not self.overwrite:
                raise OutputError(f"output {self.name.pattern} exists (pass --overwrite to replace it)")
            for old in self._existing():
                os.unlink(self.name.folder / old)
            for file_name in self.written:
                os.replace(self.temp / file_name, self.name.folder / file_name)
            self.temp.rmdir()
        except OSError as error:
            raise output_error(error, self.name.folder) from error

    def discard(self) -> None:
        shutil.rmtree(self.temp, ignore_errors=True)
