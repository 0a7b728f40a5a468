"""``python -m gpen_video`` is the ``gpen-video`` command."""

import sys

from gpen_video.cli import main

sys.exit(main())
