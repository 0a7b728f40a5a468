"""Transcode-only throughput: decode -> planes -> encode through gpen_video.io, per codec setting.

    .venv/bin/python bench/io.py                          # 60 frames of 1920x1080, all settings
    .venv/bin/python bench/io.py --frames 30 --size 1280x720 --settings ffv1 prores_ks

This is the denominator of DESIGN's "pipeline efficiency" (end-to-end fps over min(transcode fps,
model fps)). The source is a made 8-bit 4:2:0 H.264 clip (lossless, so decoding is not the cheap
case) with one AAC track, copied along as the pipeline does. "decode only" reads frames through
the reader and drops them, the floor every setting shares. "bare PyAV" rows run the same encoder
in a plain single-threaded decode -> encode loop (no planes, no copying of the audio): our path's
overhead (or gain, from decoding and encoding in separate threads) is the ratio of the two. Ratios
hold across machines; absolute fps are this machine's.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gpen_video.io import open_video, open_writer  # noqa: E402
from gpen_video.options import EncodeOptions  # noqa: E402
from tests.media import make_video  # noqa: E402

SETTINGS = {
    "libx264 medium crf18": (".mp4", EncodeOptions(codec="libx264", preset="medium", crf=18)),
    "libx264 ultrafast": (".mp4", EncodeOptions(codec="libx264", preset="ultrafast")),
    "ffv1": (".mkv", EncodeOptions(codec="ffv1")),
    "prores_ks": (".mov", EncodeOptions(codec="prores_ks")),
}


BARE = ("libx264 ultrafast", "ffv1")


def bare_pyav(source: Path, target: Path, codec: str, settings: dict[str, str]) -> tuple[int, float]:
    """The same encode without gpen_video.io: frames straight from the decoder to the encoder."""
    import av

    began = time.perf_counter()
    with av.open(str(source)) as reader, av.open(str(target), "w") as writer:
        video = reader.streams.video[0]
        video.thread_type = "AUTO"
        stream = writer.add_stream(codec, rate=video.average_rate, options=settings)
        stream.width, stream.height, stream.pix_fmt = video.width, video.height, video.pix_fmt
        count = 0
        for frame in reader.decode(video):
            writer.mux(stream.encode(frame))
            count += 1
        writer.mux(stream.encode(None))
    return count, time.perf_counter() - began


def decode_only(source: Path) -> tuple[int, float]:
    began = time.perf_counter()
    with open_video(source) as reader:
        count = sum(1 for _ in reader)
    return count, time.perf_counter() - began


def transcode(source: Path, target: Path, options: EncodeOptions) -> tuple[int, float, str, dict[str, str]]:
    began = time.perf_counter()
    with open_video(source) as reader, open_writer(target, reader.info, options, source) as writer:
        count = 0
        for frame in reader:
            writer.write(frame)
            count += 1
    return count, time.perf_counter() - began, writer.pix_fmt, writer.encoder_options


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS), metavar="NAME",
                        help=f"any of: {', '.join(repr(s) for s in SETTINGS)} (prefix match)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    chosen = [name for name in SETTINGS if any(name.startswith(s) for s in args.settings)]
    with tempfile.TemporaryDirectory() as folder:
        source = make_video(Path(folder) / "source.mp4", n_frames=args.frames, size=(width, height),
                            audio_tracks=["eng"], options={"qp": "0", "preset": "ultrafast"})
        count, seconds = decode_only(source)
        base = count / seconds
        rows = [("decode only", "-", count, seconds, base)]
        for name in chosen:
            suffix, options = SETTINGS[name]
            target = Path(folder) / f"out-{len(rows)}{suffix}"
            count, seconds, pix_fmt, settings = transcode(source, target, options)
            rows.append((name, pix_fmt, count, seconds, count / seconds))
            if name in BARE:
                bare = Path(folder) / f"bare-{len(rows)}{suffix}"
                count, seconds = bare_pyav(source, bare, options.codec or "", settings)
                rows.append(("  bare PyAV", pix_fmt, count, seconds, count / seconds))
    cpus = os.cpu_count()
    print(f"# transcode-only, {width}x{height}, {args.frames} frames, {platform.processor() or platform.machine()}, "
          f"{cpus} CPUs, Python {platform.python_version()}")
    print(f"{'setting':<22} {'pix_fmt':<12} {'frames':>6} {'seconds':>8} {'fps':>7} {'vs decode':>9}")
    for name, pix_fmt, count, seconds, fps in rows:
        print(f"{name:<22} {pix_fmt:<12} {count:>6} {seconds:>8.2f} {fps:>7.2f} {fps / base:>9.2f}")


if __name__ == "__main__":
    main()
