"""Load what the standardizers, validators and derivations build on first use, before forking.

The region table (parsed from stdnum's GB/T 2260 data), phonenumbers' metadata for China, the
traditional-to-simplified table and the like are built by the first record that needs them:
about a tenth of a second for the first person with a resident ID. A process that forks workers
(a parallel import, gunicorn) builds them once here instead, and its workers share them. Needs
no database.
"""

from __future__ import annotations

from contextlib import suppress

from dictionary import derivations, standardizers, validators

#: Values in the shapes the elements take: a company name in traditional characters, a landline,
#: a mobile, an e-mail, an address, dates, a postal code, a valid resident ID.
_SAMPLES = (
    "北京華信科技有限公司（上海分公司）",
    "(010) 6234-5678",
    "+86 138 0013 8000",
    "info@huaxin.example.cn",
    "上海市浦东新区世纪大道100号",
    "1980-01-02",
    "1980年1月2日",
    "100080",
    "11010519491231002X",
)


def _valid_credit_code() -> str:
    from stdnum.cn import uscc

    body = "91110108MA01ABCD2"
    return body + uscc.calc_check_digit(body)


def warm_up_dictionary() -> None:
    """Run every standardizer and validator over the samples, and both derivations."""
    credit_code = _valid_credit_code()
    for value in (*_SAMPLES, credit_code):
        for standardize in standardizers.STANDARDIZERS.values():
            with suppress(Exception):  # a sample another standardizer's shape does not fit
                standardize(value)
        for validate in validators.VALIDATORS.values():
            with suppress(Exception):  # a validator that needs its parameters
                validate(value, {})
    derivations.derive_from_uscc(credit_code)
    derivations.derive_from_resident_id("11010519491231002X")
