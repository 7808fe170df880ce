"""Known values of the quality tests (the records themselves are sent in ``conftest``)."""

from __future__ import annotations

import datetime as dt

from stdnum.cn import uscc

from mdm.models import SourceRecord


def credit_code(body: str) -> str:
    """A valid unified social credit code built from a 17-character body."""
    return body + uscc.calc_check_digit(body)


HUAXIN_CC = credit_code("91110108MA01ABCD2")  # registered in 110108 北京市海淀区
BAD_CC = "91310115MA1K3YJ12X"  # wrong check character: accepted and flagged
ZHANG_ID = "11010519491231002X"  # valid resident ID: 110105, born 1949-12-31
T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


def record(system, local_code: str) -> SourceRecord:
    return SourceRecord.objects.get(system=system.system, local_code=local_code)
