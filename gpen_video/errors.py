"""The project's exceptions: one base class, each subclass also the builtin it means.

Library code raises these and never prints or exits; the CLI turns them into one stderr line and an
exit code (2 for usage errors, 1 for everything else), and the VapourSynth filter into ``vs.Error``.
"""

from __future__ import annotations


class GpenVideoError(Exception):
    """Base class of every error gpen-video raises on purpose."""


class UsageError(GpenVideoError, ValueError):
    """The user asked for something that cannot be done as asked (bad option value, bad combination)."""


class InputError(GpenVideoError, ValueError):
    """The input media is unreadable, truncated, or has no video stream."""


class InputNotFoundError(InputError, FileNotFoundError):
    """The input file or image sequence does not exist."""


class OutputError(GpenVideoError, OSError):
    """The output cannot be written (exists, is the input, disk full, codec the container cannot hold)."""


class WeightsError(GpenVideoError, RuntimeError):
    """A checkpoint is missing, corrupt, or does not fit the network."""


class WeightsNotFoundError(WeightsError, FileNotFoundError):
    """A checkpoint file is not where it should be."""


class ChecksumError(WeightsError, ValueError):
    """A file's sha256 or size differs from the manifest."""


class ArchitectureError(WeightsError, ValueError):
    """A state_dict's keys or shapes do not fit the GPEN generator."""


class DownloadError(WeightsError, ConnectionError):
    """A download failed (network error, HTTP error, or the server sent something else)."""


class FrameError(GpenVideoError, RuntimeError):
    """Processing one frame failed; the message names the frame."""
