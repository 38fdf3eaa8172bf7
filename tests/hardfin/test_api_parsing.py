"""The JSON parser every API write goes through."""

import io
from decimal import Decimal

import pytest
from rest_framework.exceptions import ParseError

from hardfin.api.parsers import DecimalJSONParser, RequestTooLarge


def parse(body: bytes):
    return DecimalJSONParser().parse(io.BytesIO(body), parser_context={})


def test_numbers_are_read_exactly():
    data = parse(b'{"a": 0.1, "b": 999999999999.999, "c": 25, "d": 1e2, "e": NaN, "f": -Infinity}')

    assert data["a"] == Decimal("0.1") and isinstance(data["a"], Decimal)
    assert data["b"] == Decimal("999999999999.999")
    assert data["c"] == 25 and isinstance(data["c"], int)
    assert data["d"] == Decimal("100")
    assert data["e"].is_nan()
    assert data["f"] == Decimal("-Infinity")


@pytest.mark.parametrize("body", [b"{", b"[" * 100000, b'{"a": "\xff"}', b"{'a': 1}"])
def test_bad_json_is_a_parse_error(body):
    with pytest.raises(ParseError):
        parse(body)


def test_bodies_over_the_upload_limit_are_refused_unread(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    assert parse(b'{"note": "' + b"x" * 80 + b'"}')["note"] == "x" * 80
    with pytest.raises(RequestTooLarge):
        parse(b'{"note": "' + b"x" * 100 + b'"}')
