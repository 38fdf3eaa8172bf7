"""URL path converters for SKUs and codes as DESIGN.md allows them (so ``/items/LDR-4.1/``
works and anything else, such as a NUL byte, is simply a 404)."""

from django.urls import register_converter

from .identifiers import CODE_MAX_LENGTH, KEY_CHARACTERS, SKU_MAX_LENGTH


class KeyConverter:
    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class SkuConverter(KeyConverter):
    regex = rf"{KEY_CHARACTERS}{{1,{SKU_MAX_LENGTH}}}"


class CodeConverter(KeyConverter):
    regex = rf"{KEY_CHARACTERS}{{1,{CODE_MAX_LENGTH}}}"


register_converter(SkuConverter, "sku")
register_converter(CodeConverter, "code")
