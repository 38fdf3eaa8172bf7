"""JSON bodies whose numbers are read exactly: a quantity never passes through a binary
float, so ``0.1`` means exactly one tenth."""

import json
from decimal import Decimal

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser, get_encoding


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class DecimalJSONParser(JSONParser):
    """Numbers with a fraction or exponent become Decimals; ``NaN`` and ``Infinity`` become
    Decimals too, so the field that receives one can say it is not a finite number.

    Bodies are limited to ``DATA_UPLOAD_MAX_MEMORY_SIZE``, as when Django reads
    ``request.body``: DRF may hand the parser the unread request stream instead."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge()
        try:
            return json.loads(raw.decode(encoding), parse_float=Decimal, parse_constant=Decimal)
        except (ValueError, RecursionError) as exc:
            # RecursionError: absurdly deep nesting is bad input, not a server error.
            raise ParseError(f"JSON parse error - {exc}") from None
