"""contact.email: displayName's character rules and a real address grammar with RFC length limits."""

from __future__ import annotations

import pytest
from pydantic_core import PydanticCustomError

from berth_core.naming import EMAIL_MAX, check_email


@pytest.mark.parametrize(
    "address",
    [
        "it@syt.haiphong.gov.vn",
        "nguyen.van.an+ticket@haiphong.gov.vn",
        "o'brien@x.vn",
        "cntt@sở-y-tế.vn",  # an IDNA domain
        "a" * 64 + "@x.vn",
    ],
)
def test_real_addresses_are_accepted(address: str) -> None:
    assert check_email(address) == address


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("<script>@x.vn", "value.email"),
        ("it@x.vn<script>", "value.email"),
        ("it@@x.vn", "value.email"),
        (".it@x.vn", "value.email"),
        ("i..t@x.vn", "value.email"),
        ('"quoted"@x.vn', "value.email"),
        ("it@x", "value.email"),
        ("it@-x.vn", "value.email"),
        ("it@x..vn", "value.email"),
        ("it@x.123", "value.email"),
        ("it @x.vn", "value.email"),
        ("nguyễn@x.vn", "value.email"),  # no SMTPUTF8 local parts
        ("it@x.vn\u202e", "name.invisible"),
        ("\x1b[2Jit@x.vn", "name.invisible"),
        ("it\u200b@x.vn", "name.invisible"),
        ("a" * 65 + "@x.vn", "email.too_long"),
        ("it@" + ".".join(["a" * 63] * 4) + ".vn", "email.too_long"),
        ("it@" + "x" * 400_000 + ".vn", "email.too_long"),
    ],
)
def test_bad_addresses_are_refused_with_a_catalogue_code(address: str, code: str) -> None:
    with pytest.raises(PydanticCustomError) as caught:
        check_email(address)
    assert caught.value.type == code


def test_the_length_limit_is_254() -> None:
    domain = "a" * 63 + "." + "b" * 63 + "." + "c" * 58 + ".vn"
    longest = "l" * 64 + "@" + domain
    assert len(longest) == EMAIL_MAX and check_email(longest) == longest
    with pytest.raises(PydanticCustomError) as caught:
        check_email(longest.replace("c" * 58, "c" * 59))
    assert caught.value.type == "email.too_long"
