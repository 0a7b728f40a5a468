"""GPEN face restoration as one VapourSynth call: ``clip = vsgpen.gpen(clip)``.

Frame-accurate and seekable: output frame n is computed from source frames n-K .. n+K only, by the
same window engine as the ``gpen-video`` command, so it is the same whatever order frames are asked
for, whatever ``core.num_threads`` is, and the same as the command's frame for the same decoded input.
Nothing is written to stdout, so ``vspipe script.vpy - -c y4m | ...`` stays clean.
"""

from __future__ import annotations

import os
from typing import Any

import vapoursynth as vs

from gpen_video import __version__
from gpen_video.errors import GpenVideoError
from gpen_video.options import DetectOptions as _D
from gpen_video.options import ModelOptions as _M
from gpen_video.options import Options
from gpen_video.options import RestoreOptions as _R
from gpen_video.options import TrackOptions as _T
from vsgpen._arguments import build_options
from vsgpen._formats import ClipFormat, check_clip, clip_format
from vsgpen._request import restore_clip

__all__ = ["__version__", "gpen"]


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
    mask: str = _R.mask,
    grain: str = _R.grain,
    mono: str = _R.mono,
    detail: bool = _R.detail,
    colour_match: bool = _R.colour_match,
) -> vs.VideoNode:
    """Restore the faces in ``clip`` with GPEN; every pixel outside the face masks is left as it was.

    ``clip``: integer RGB, YUV (any chroma subsampling) or GRAY at 8 to 16 bits, or RGBH/RGBS, of one
    format and size. YUV is read with the clip's own ``_Matrix`` and ``_Range``, decided as the CLI
    decides from a file's tags (untagged matrix: bt709 from 720 lines up, else bt601; untagged range:
    limited YUV, full RGB/GRAY); they must not change within the clip. Float RGB reaches the network as
    16-bit codes and only the change is added back, so samples outside faces keep their exact values.
    The result has the input's format and frame props.

    The keywords are the ``gpen-video`` options (``--batch-size`` is ``batch_size``), with the same
    defaults; two take VapourSynth's spelling: ``weights`` is the weights folder (``--weights-dir``) and
    ``device_index`` a CUDA device number (-1: the CPU; None: CUDA when there is one). ``model`` is a
    registry name (fetch it with ``python -m vsgpen``) or a checkpoint file. Film options: ``grain``
    ("auto", "off" or a multiplier of the measured grain), ``mono`` ("auto": luma only on frames whose
    chroma is flat), ``detail`` (fine detail from GPEN, low frequencies from the source),
    ``colour_match`` (keep the source's white balance and exposure).
    """
    values = dict(locals())  # first statement: exactly the keyword arguments (and the clip)
    clip = check_clip(values.pop("clip"))
    options = build_options(values)
    fmt = clip_format(clip, clip.get_frame(0).props)  # frame 0's tags stand for the clip's
    return restore_clip(clip, _engine(options, fmt), fmt)


def _engine(options: Options, fmt: ClipFormat, **parts: Any):
    """The window engine with its networks loaded, built when the script is evaluated so that missing
    or broken weights fail there. ``parts`` (``model=``, ``detector=``: loaded networks) go to the
    engine as they are.
    """
    from gpen_video.window import WindowEngine  # detector and network code load only when a clip is filtered

    try:
        engine = WindowEngine(options, fmt, **parts)
        engine.prepare()
        return engine
    except GpenVideoError as error:
        raise vs.Error(f"gpen: {error}") from error
