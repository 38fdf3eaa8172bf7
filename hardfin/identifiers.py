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


def has_nul(text: str) -> bool:
    """Whether ``text`` holds a NUL byte: no key or filter value can (PostgreSQL refuses them in
    a query), so a door treats such input as matching nothing."""
    return "\x00" in text
