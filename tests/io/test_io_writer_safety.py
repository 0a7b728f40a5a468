"""The writer never harms the input or an existing file, and leaves nothing behind when it fails."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gpen_video.errors import OutputError, UsageError
from gpen_video.io import Frame, open_video, open_writer, probe
from gpen_video.io.target import output_error
from gpen_video.options import EncodeOptions

ROOT = Path(__file__).resolve().parents[2]


def _copy_frames(source: Path, target: Path, options: EncodeOptions | None = None, stop_after: int | None = None):
    with open_video(source) as reader, open_writer(target, reader.info, options, source) as writer:
        for frame in reader:
            writer.write(frame)
            if stop_after is not None and frame.index + 1 == stop_after:
                raise KeyboardInterrupt


def test_input_is_never_the_output(media, tmp_path) -> None:
    source = media["h264_mp4"]
    before = source.read_bytes()
    with pytest.raises(OutputError, match="is the input"):
        _copy_frames(source, source, EncodeOptions(overwrite=True))
    link = tmp_path / "link.mp4"
    os.link(source, link)  # another name of the same file
    with pytest.raises(OutputError, match="is the input"):
        _copy_frames(source, link, EncodeOptions(overwrite=True))
    assert source.read_bytes() == before


def test_existing_output_needs_overwrite(media, tmp_path) -> None:
    target = tmp_path / "out.mp4"
    target.write_bytes(b"precious")
    with pytest.raises(OutputError, match="exists"):
        _copy_frames(media["h264_mp4"], target)
    assert target.read_bytes() == b"precious"
    _copy_frames(media["h264_mp4"], target, EncodeOptions(overwrite=True))
    assert probe(target).frame_count == 12


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, RuntimeError])
def test_interrupted_write_leaves_nothing(media, tmp_path, interrupt) -> None:
    target = tmp_path / "out.mkv"
    with pytest.raises(interrupt), open_video(media["hevc10_mkv"]) as reader, \
            open_writer(target, reader.info, None, media["hevc10_mkv"]) as writer:
        for frame in reader:
            writer.write(frame)
            if frame.index == 5:
                raise interrupt()
    assert list(tmp_path.iterdir()) == []


def test_interrupted_overwrite_keeps_the_old_file(media, tmp_path) -> None:
    target = tmp_path / "out.mp4"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        _copy_frames(media["h264_mp4"], target, EncodeOptions(overwrite=True), stop_after=3)
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"] and target.read_bytes() == b"old"


def test_codec_errors_are_one_sentence(media, tmp_path) -> None:
    info = probe(media["h264_mp4"])
    with pytest.raises(UsageError, match="unknown codec 'nope'"):
        open_writer(tmp_path / "a.mp4", info, EncodeOptions(codec="nope"))
    with pytest.raises(OutputError, match="cannot hold prores_ks"):
        open_writer(tmp_path / "a.mp4", info, EncodeOptions(codec="prores_ks"))
    with pytest.raises(OutputError, match="libx264 cannot keep this 12-bit"):
        open_writer(tmp_path / "a.mkv", probe(media["gbrp12_mkv"]), EncodeOptions(codec="libx264"))
    with pytest.raises(UsageError, match="crf does not apply to ffv1"):
        open_writer(tmp_path / "a.mkv", info, EncodeOptions(codec="ffv1", crf=10))
    with pytest.raises(UsageError, match="libx264 refused its settings .*preset=glacial"):
        open_writer(tmp_path / "a.mp4", info, EncodeOptions(preset="glacial"))
    with pytest.raises(UsageError, match="no lossless mode"):
        open_writer(tmp_path / "a.mov", info, EncodeOptions(codec="prores_ks", lossless=True))
    assert list(tmp_path.iterdir()) == []


def test_stream_the_container_cannot_hold_is_an_error(media, tmp_path) -> None:
    info = probe(media["hevc10_mkv"])
    with pytest.raises(OutputError, match=r"cannot hold stream #3 \(subtitle"):
        open_writer(tmp_path / "a.mp4", info, None, media["hevc10_mkv"])
    assert list(tmp_path.iterdir()) == []


def test_explicit_pix_fmt_may_lower_the_depth(media, tmp_path) -> None:
    with open_video(media["hevc10_mkv"]) as reader, \
            open_writer(tmp_path / "a.mkv", reader.info, EncodeOptions(pix_fmt="yuv420p")) as writer:
        assert (writer.codec, writer.pix_fmt) == ("libx265", "yuv420p")
        for frame in reader:
            writer.write(frame)
    assert probe(tmp_path / "a.mkv").layout.bit_depth == 8


def test_wrong_planes_fail_at_the_call(media, tmp_path) -> None:
    info = probe(media["h264_mp4"])
    with pytest.raises(UsageError, match="frame 0 has planes"), open_writer(tmp_path / "a.mp4", info) as writer:
        writer.write(Frame(0, 0, info.time_base, (np.zeros((64, 96), np.uint16),) * 3))
    assert list(tmp_path.iterdir()) == []


def test_timestamps_must_increase(media, tmp_path) -> None:
    with open_video(media["h264_mp4"]) as reader:
        frames = list(reader)
    with pytest.raises(UsageError, match="timestamps must increase"), \
            open_writer(tmp_path / "a.mp4", reader.info) as writer:
        for frame in frames + frames[-1:]:
            writer.write(frame)
    assert list(tmp_path.iterdir()) == []


def test_disk_errors_become_clear_sentences(tmp_path) -> None:
    assert str(output_error(OSError(errno.ENOSPC, "No space left"), tmp_path / "a.mp4")) == \
        f"disk full writing {tmp_path / 'a.mp4'}"
    assert "permission denied" in str(output_error(PermissionError(errno.EACCES, "denied"), tmp_path))


def test_file_size_limit_fails_cleanly(media, tmp_path) -> None:
    """A real write failure (RLIMIT_FSIZE, as a full disk would) in a child process: clear error, no files."""
    script = f"""
import resource, signal, sys
sys.path.insert(0, {str(ROOT)!r})
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
from gpen_video.errors import OutputError
from gpen_video.io import open_video, open_writer
from gpen_video.options import EncodeOptions
try:
    with open_video({str(media["prores_mov"])!r}) as reader, \\
            open_writer({str(tmp_path / "big.mov")!r}, reader.info, EncodeOptions(), None) as writer:
        for frame in reader:
            writer.write(frame)
except OutputError as error:
    print("ERROR:", error)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert "ERROR: file too large" in result.stdout, result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == []
