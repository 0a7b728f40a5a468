"""Fixtures for these tests; they and the helpers the tests import live in ``vs_clips``.

(Helpers in a uniquely named module, not in conftest: every test folder has a conftest, and
``from conftest import`` would find whichever was imported first.)
"""

from vs_clips import set_threads  # noqa: F401
