"""The scale-out flags: clear refusals before any work, and no Ray import until a split run starts."""

from __future__ import annotations

import subprocess
import sys

from gpen_video.cli import main


def test_flags_are_listed_in_their_own_group(capsys):
    try:
        main(["--help"])
    except SystemExit:
        pass
    text = capsys.readouterr().out
    assert "scale-out:" in text
    for flag in ("--workers N", "--ray-address ADDR", "--resume", "--segment-frames N"):
        assert flag in text


def test_bad_counts_are_usage_errors(synthetic_clip, tmp_path, capsys):
    assert main([str(synthetic_clip), str(tmp_path / "out.mkv"), "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
    assert main([str(synthetic_clip), str(tmp_path / "out.mkv"), "--segment-frames", "-3", "--resume"]) == 2


def test_resume_without_a_manifest_says_so(synthetic_clip, tmp_path, capsys):
    assert main([str(synthetic_clip), str(tmp_path / "out.mkv"), "--resume"]) == 2
    assert "nothing to resume" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_refusals_come_before_any_work(synthetic_clip, tmp_path, capsys):
    assert main([str(synthetic_clip), str(tmp_path / "frames" / "%06d.png"), "--workers", "2"]) == 2
    assert "not an image sequence" in capsys.readouterr().err
    (tmp_path / "taken.mkv").write_bytes(b"keep me")
    assert main([str(synthetic_clip), str(tmp_path / "taken.mkv"), "--workers", "2"]) == 1
    assert "exists" in capsys.readouterr().err
    assert main([str(synthetic_clip), str(synthetic_clip), "--workers", "2", "-y"]) == 1
    assert "is the input" in capsys.readouterr().err


def test_ray_is_imported_only_when_a_split_run_starts():
    code = ("import sys, gpen_video.cli.restore, gpen_video.scale, gpen_video.scale.run, gpen_video.pipeline; "
            "print('ray' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
