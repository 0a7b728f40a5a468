"""GPEN face restoration as one VapourSynth call: ``clip = vsgpen.gpen(clip)``.

Frame-accurate and seekable: output frame n is computed from source frames n-K .. n+K only, by the
same window engine as the ``gpen-video`` command, so it is the same whatever order frames are asked
for, whatever ``core.num_threads`` is, and the same as the command's frame for the same decoded input.
Nothing is written to stdout, so ``vspipe script.vpy - -c y4m | ...`` stays clean.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

import vapoursynth as vs

from gpen_video.errors import GpenVideoError
from gpen_video.options import DetectOptions as _D
from gpen_video.options import ModelOptions as _M
from gpen_video.options import Options
from gpen_video.options import RestoreOptions as _R
from gpen_video.options import TrackOptions as _T
from vsgpen._arguments import build_options
from vsgpen._formats import ClipFormat, check_clip, clip_format
from vsgpen._request import restore_clip

__all__ = ["gpen"]
__version__ = "0.1.0"


def gpen(
    clip: vs.VideoNode,
    *,
    model: str | os.PathLike[str] = _M.model,
    weights: str | os.PathLike[str] | None = _M.weights_dir,
    device_index: int | None = _M.device,
    batch_size: int = _M.batch_size,
    dtype: str = _M.dtype,
    compile: bool = _M.compile,
    detector: str = _D.detector,
    score_threshold: float = _D.score_threshold,
    min_face: int = _D.min_face,
    detect_size: int = _D.detect_size,
    faces: str = _T.faces,
    track_radius: int = _T.track_radius,
    min_hits: int = _T.min_hits,
    max_misses: int = _T.max_misses,
    ramp: int = _T.ramp,
    smooth_space: str = _T.smooth_space,
    point_noise: float = _T.point_noise,
    motion_noise: float = _T.motion_noise,
    template: str = _R.template,
    strength: float = _R.strength,
    temporal: float = _R.temporal,
    blend_radius: int = _R.blend_radius,
    save_faces: str | os.PathLike[str] | None = _R.save_faces,
) -> vs.VideoNode:
    """Restore the faces in ``clip`` with GPEN; every pixel outside the face masks is left as it was.

    ``clip``: RGB24/RGB48 (and 10/12-bit RGB), RGBH/RGBS, or integer YUV/GRAY at 8, 10, 12 or 16 bits with
    any chroma subsampling; YUV is read with the clip's own ``_Matrix`` and ``_Range`` (unspecified
    matrix: bt709 from 720 lines up, else bt601; absent range: limited). Float RGB is restored as 16-bit
    codes and only the change is added back, so samples outside faces keep their exact float values.
    The result has the input's format and frame props.

    The keywords are the ``gpen-video`` options (``--batch-size`` is ``batch_size``), with the same
    defaults; two take VapourSynth's spelling: ``weights`` is the weights folder (``--weights-dir``) and
    ``device_index`` a CUDA device number (-1: the CPU; None: CUDA when there is one). ``model`` is a
    registry name (fetch it with ``python -m vsgpen``) or a checkpoint file.
    """
    values = dict(locals())  # first statement: exactly the keyword arguments (and the clip)
    clip = check_clip(values.pop("clip"))
    return _build(clip, build_options(values))


def _build(clip: vs.VideoNode, options: Options, **parts: Any) -> vs.VideoNode:
    """The filter for a checked clip; ``parts`` (``model=``, ``detector=``) go to the engine as they are."""
    fmt = clip_format(clip, clip.get_frame(0).props)
    return restore_clip(clip, _engine(options, fmt, **parts), fmt)


def _engine(options: Options, fmt: ClipFormat, **parts: Any):
    """The window engine, built now so a missing checkpoint fails when the script is evaluated."""
    from gpen_video.window import WindowEngine  # torch and the network load only when a clip is filtered

    try:
        # a library that prints while loading must not corrupt a y4m stream on stdout
        with contextlib.redirect_stdout(sys.stderr):
            return WindowEngine(options, fmt, **parts)
    except GpenVideoError as error:
        raise vs.Error(f"gpen: {error}") from error
