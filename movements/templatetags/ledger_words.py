"""``{% reason_label code %}``: an adjustment reason as people read it (its label), for pages
of lower apps that show a batch made by an adjustment (its reference is the reason's code)
and may not read the reasons themselves. The labels come from the ``reason_labels`` context
processor, read once per page."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def reason_label(context, code: str) -> str:
    labels = context.get("reason_labels") or {}
    return labels.get(code, code)
