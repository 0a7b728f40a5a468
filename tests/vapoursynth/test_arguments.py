"""Keywords of ``vsgpen.gpen``: the option dataclasses' names and defaults, and clear errors up front."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import vapoursynth as vs
import vsgpen
from vs_clips import TINY_GPEN
from vsgpen.__main__ import main as fetch_main
from vsgpen._arguments import build_options, keywords


def _clip(fmt=vs.YUV420P8, **kwargs) -> vs.VideoNode:
    return vs.core.std.BlankClip(width=64, height=48, format=fmt, length=3, **kwargs)


def test_keywords_are_the_option_fields_with_their_defaults() -> None:
    params = dict(inspect.signature(vsgpen.gpen).parameters)
    assert params.pop("clip").kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    # a field added to a stage dataclass must also be added to gpen()'s signature
    assert {name: p.default for name, p in params.items()} == \
        {keyword: default for keyword, (_, _, default) in keywords().items()}


def test_defaults_build_the_default_options() -> None:
    from gpen_video.options import Options

    params = inspect.signature(vsgpen.gpen).parameters
    values = {name: p.default for name, p in params.items() if name != "clip"}
    assert build_options(values) == Options()


def test_values_reach_their_stage() -> None:
    values = {keyword: default for keyword, (_, _, default) in keywords().items()}
    values.update(weights=Path("/w"), device_index=-1, strength=1, faces="largest", track_radius=3,
                  blend_radius=1, model=TINY_GPEN)
    options = build_options(values)
    assert options.model.weights_dir == "/w" and options.model.device == "cpu"
    assert options.model.model == str(TINY_GPEN)
    assert options.restore.strength == 1.0 and isinstance(options.restore.strength, float)
    assert options.track.faces == "largest" and options.window_radius == 4


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"strength": 1.5}, "strength must be between 0.0 and 1.0, not 1.5"),
    ({"temporal": -0.1}, "temporal must be between"),
    ({"strength": float("nan")}, "strength must be a finite number"),
    ({"batch_size": -1}, "batch_size must be at least 0"),
    ({"batch_size": 2.5}, "batch_size must be int, not 2.5"),
    ({"track_radius": True}, "track_radius must be int, not True"),
    ({"faces": "biggest"}, "faces must be one of all, largest, center, not 'biggest'"),
    ({"dtype": "fp8"}, "dtype must be one of"),
    ({"detector": "yolo"}, "detector must be one of"),
    ({"template": 3}, "template must be str, not 3"),
    ({"model": None}, "model must be str, not None"),
    ({"weights": 5}, "weights must be str or None, not 5"),
    ({"device_index": "cuda"}, "device_index must be None, -1"),
    ({"device_index": 7}, "device_index 7 does not exist"),
    ({"blend_radius": 9, "track_radius": 2}, "blend_radius must not exceed track_radius"),
])
def test_bad_keywords_raise_up_front(kwargs: dict, message: str) -> None:
    with pytest.raises(vs.Error, match="^gpen: " + message.replace("(", r"\(").replace(".", r"\.")):
        vsgpen.gpen(_clip(), **kwargs)


def test_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="radius"):
        vsgpen.gpen(_clip(), radius=3)


@pytest.mark.parametrize(("clip", "message"), [
    (lambda: "clip.mp4", "clip must be a VideoNode, not str"),
    (lambda: vs.core.std.Splice([_clip(), _clip(vs.RGB24)], mismatch=True), "variable format"),
    (lambda: vs.core.std.Splice([_clip(), _clip().resize.Point(32, 32)], mismatch=True), "variable frame"),
    (lambda: _clip(vs.YUV420PS), "float YUV clips are not supported"),
    (lambda: _clip(vs.GRAYS), "float GRAY clips are not supported"),
    (lambda: _clip(vs.core.query_video_format(vs.YUV, vs.INTEGER, 8, 2, 1)), "chroma subsampling"),
])
def test_unsupported_clips_raise_up_front(clip, message: str) -> None:
    with pytest.raises(vs.Error, match="^gpen: .*" + message):
        vsgpen.gpen(clip())


def test_fetch_command_reports_known_files_and_unknown_names(tmp_path, capsys) -> None:
    from vs_clips import DETECTOR_DIR

    detector = DETECTOR_DIR / "detection_mobilenet0.25_Final.pth"
    if not detector.exists():
        pytest.skip("shared detector weights not found")
    (tmp_path / detector.name).symlink_to(detector)
    assert fetch_main(["retinaface_mobile0.25", "--weights-dir", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{tmp_path / detector.name}\n" and "already there (verified)" in err
    assert fetch_main(["GPEN-BFR-7", "--weights-dir", str(tmp_path)]) == 2
    assert "unknown weights name: GPEN-BFR-7" in capsys.readouterr().err


@pytest.mark.parametrize(("missing", "message"), [
    ({"model": "/nonexistent/gpen.pth"}, "weights file not found: /nonexistent/gpen.pth"),
    ({"model": "GPEN-BFR-256", "weights": "/nonexistent"}, "weights file not found: /nonexistent/GPEN-BFR-256"),
    ({"weights": "/nonexistent"}, "weights file not found: /nonexistent/detection_mobilenet0.25_Final.pth"),
])
def test_missing_weights_fail_when_the_script_is_evaluated(missing: dict, message: str) -> None:
    from vs_clips import engine_args

    with pytest.raises(vs.Error, match="^gpen: " + message):
        vsgpen.gpen(_clip(), **(engine_args() | missing))


def test_the_sample_script_uses_real_keywords() -> None:
    import ast

    from vs_clips import ROOT

    tree = ast.parse((ROOT / "samples" / "restore.vpy").read_text())
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "gpen"]
    assert len(calls) == 1
    used = {keyword.arg for keyword in calls[0].keywords}
    assert used and used <= set(inspect.signature(vsgpen.gpen).parameters)
