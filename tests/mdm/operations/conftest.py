"""Operations tests: every probe starts with nothing remembered from an earlier one."""

from __future__ import annotations

import pytest

from mdm.operations import health


@pytest.fixture(autouse=True)
def fresh_probes():
    health.forget_passed_checks()
    yield
    health.forget_passed_checks()
