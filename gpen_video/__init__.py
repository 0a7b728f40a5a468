"""gpen-video: restore faces in video with GPEN, stable from frame to frame, nothing else touched."""

from __future__ import annotations

from gpen_video.errors import GpenVideoError

__version__ = "0.1.0"
__all__ = ["GpenVideoError", "__version__", "load_gpen"]


def __getattr__(name: str):
    # load_gpen pulls in torch; keep `import gpen_video` cheap for the CLI's --help.
    if name == "load_gpen":
        from gpen_video.model import load_gpen

        return load_gpen
    raise AttributeError(f"module 'gpen_video' has no attribute {name!r}")
