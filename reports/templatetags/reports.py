"""Filters of the report pages: quantities as people write them and money with cents."""

from django import template

from hardfin.money import fmt_money, round_value
from hardfin.quantities import fmt

register = template.Library()


@register.filter
def qty(value) -> str:
    """``155``, ``2.5``, ``-6``."""
    return "" if value is None else fmt(value)


@register.filter
def money(value) -> str:
    """``3,500.00`` (rounded half-up to cents); ``unknown`` when None."""
    return "unknown" if value is None else fmt_money(round_value(value))
