"""SKUs and codes (DESIGN.md "Identifiers"): the one source of their character set and
lengths, for the models, the URL converters, the API schema and every door's input checks."""

from __future__ import annotations

from django.core.validators import RegexValidator

#: The characters a SKU or a code may hold.
KEY_CHARACTERS = r"[A-Za-z0-9._-]"
CODE_PATTERN = rf"^{KEY_CHARACTERS}+$"
SKU_MAX_LENGTH = 64
#: Location, supplier and adjustment-reason codes.
CODE_MAX_LENGTH = 32

code_validator = RegexValidator(CODE_PATTERN, "Use only letters, digits, '.', '-' and '_' (no spaces).")


def pattern(max_length: int) -> str:
    """The whole-value pattern of a key of at most ``max_length`` characters."""
    return rf"^{KEY_CHARACTERS}{{1,{max_length}}}$"


def has_nul(*texts: str | None) -> bool:
    """Whether any of ``texts`` holds a NUL character. No stored text holds one (every form and
    serializer refuses it) and PostgreSQL refuses it even as a query parameter, so a lookup by
    such a text matches nothing and must not reach the database."""
    return any(text and "\x00" in text for text in texts)
