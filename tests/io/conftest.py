"""Media for the I/O tests, made once per session with PyAV (see tests/media.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `pytest` without `python -m` does not put the checkout on sys.path
    sys.path.insert(0, str(ROOT))

from tests.media import make_image_sequence, make_video, truncate  # noqa: E402

BT2020_PQ = {"color_primaries": 9, "color_trc": 16, "colorspace": 9, "color_range": 1}


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every source the tests read, by name."""
    folder = tmp_path_factory.mktemp("media")
    made = {
        "h264_mp4": make_video(folder / "h264.mp4", audio_tracks=["eng"], subtitle="eng",
                               metadata={"title": "a test film"}),
        "hevc10_mkv": make_video(folder / "hevc10.mkv", codec="libx265", pix_fmt="yuv420p10le",
                                 audio_tracks=["eng", "fra"], subtitle="deu", colour=BT2020_PQ,
                                 metadata={"title": "ten bits"}, chapters=[(0, 200, "one"), (200, 480, "two")],
                                 attachment=("font.ttf", "font/ttf", b"not really a font" * 8)),
        "vfr_mkv": make_video(folder / "vfr.mkv", vfr=True, audio_tracks=["eng"], n_frames=14),
        "prores_mov": make_video(folder / "prores.mov", codec="prores_ks", pix_fmt="yuv422p10le",
                                 audio_tracks=["eng"], rotation=90, metadata={"timecode": "01:00:00:00"}),
        "ffv1_16_mkv": make_video(folder / "ffv1_16.mkv", codec="ffv1", pix_fmt="yuv444p16le", n_frames=6),
        "gbrp12_mkv": make_video(folder / "gbrp12.mkv", codec="ffv1", pix_fmt="gbrp12le", n_frames=6),
        "audio_only": folder / "audio_only.mka",
    }
    _audio_only(made["audio_only"])
    made["truncated_mkv"] = truncate(made["vfr_mkv"], folder / "truncated.mkv", keep=0.55)
    made["truncated_mp4"] = truncate(make_video(folder / "moov_first.mp4", n_frames=30,
                                                container_options={"movflags": "faststart"}), folder / "cut.mp4", 0.6)
    made["truncated_moov_last"] = truncate(made["h264_mp4"], folder / "cut_moov_last.mp4", 0.6)
    made["png16"] = folder / "png16"
    make_image_sequence(made["png16"], "%06d.png", "rgb48be", n_frames=5)
    made["tif16"] = folder / "tif16"
    make_image_sequence(made["tif16"], "scan_%04d.tif", "rgb48le", n_frames=4, start_number=100)
    return made


def _audio_only(path: Path) -> None:
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("flac", rate=48000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 4800), np.int16), format="s16", layout="mono")
        frame.sample_rate, frame.pts = 48000, 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
