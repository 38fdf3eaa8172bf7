"""Money on the ledger pages: ``{{ value|money }}`` (``1,312.50``; ``unknown`` while a cost is
unknown), ``{{ cost|unit_cost }}`` (``12.5000``) and ``{% currency %}`` (the installation's one
currency); ``{% lot_value quantity cost %}`` a lot's value. Values arrive exact and are rounded here, once, as ``hardfin.money`` says."""

from django import template

from hardfin.money import COST_DECIMAL_PLACES, currency as installation_currency, exact_value, fmt_money, round_value

register = template.Library()


@register.filter
def money(value) -> str:
    return "unknown" if value is None else fmt_money(round_value(value))


@register.filter
def unit_cost(value) -> str:
    return "unknown" if value is None else fmt_money(value, places=COST_DECIMAL_PLACES)


@register.simple_tag
def lot_value(quantity, unit_cost) -> str:
    """A lot's value: its quantity at its batch's cost, rounded once (``unknown`` while the
    cost is)."""
    return money(exact_value(quantity, unit_cost))


@register.simple_tag
def currency() -> str:
    return installation_currency()
