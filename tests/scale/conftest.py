"""Fixtures for these tests; they and the helpers the tests import live in ``scale_media``.

(Helpers in a uniquely named module, not in conftest: every test folder has a conftest, and
``from conftest import`` would find whichever was imported first.)
"""

from scale_media import gop_clip, synthetic_clip  # noqa: F401
