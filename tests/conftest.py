"""Fixtures every test folder may use."""

from __future__ import annotations

import pytest

from tests.reference import GPEN_MID, INTERVIEW, MOBILE_WEIGHTS, require


@pytest.fixture(scope="session")
def shared_present() -> None:
    """Skip unless ../shared holds the golden GPEN-mid, the real detector weights and the interview clip."""
    require(GPEN_MID, MOBILE_WEIGHTS, INTERVIEW)
