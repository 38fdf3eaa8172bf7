"""URL path converters shared by the page URLs."""

from django.urls import register_converter


class CodeConverter:
    """A SKU or a code as DESIGN.md allows them: letters, digits, '.', '-', '_' (so
    ``/items/LDR-4.1/`` works and anything else, such as a NUL byte, is simply a 404)."""

    regex = r"[A-Za-z0-9._-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CodeConverter, "code")
