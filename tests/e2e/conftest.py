"""Fixtures for these tests; they and the helpers the tests import live in ``e2e_media``.

(Helpers in a uniquely named module, not in conftest: every test folder has a conftest, and
``from conftest import`` would find whichever was imported first.)
"""

from e2e_media import face_clip  # noqa: F401
