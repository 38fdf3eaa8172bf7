"""``{% demo_accounts as accounts %}``: the sign-in page lists the demo accounts — only with
DEBUG on and only those ``seed_demo`` created that still exist — so a first run shows whom
to sign in as. A production site (DEBUG off) never shows them."""

from django import template
from django.conf import settings
from django.contrib.auth import get_user_model

from ..management.commands.seed_demo import DEMO_PASSWORD, DEMO_SUPERUSER, DEMO_USERS

register = template.Library()

#: What each demo account is for, as the sign-in page says it.
ROLE_HINTS = {
    "Operators": "receive, transfer, build, replace",
    "Managers": "everything, adjustments and the admin included",
    "Accountants": "view, export and adjust",
}


@register.simple_tag
def demo_accounts() -> dict | None:
    """``{"password": …, "accounts": [(username, what they may do), …]}``, or None when
    DEBUG is off or the demo data is not loaded (none of its accounts exists)."""
    if not settings.DEBUG:
        return None
    wanted = {username: ROLE_HINTS[group] for username, group, _ in DEMO_USERS}
    wanted[DEMO_SUPERUSER] = "superuser: everything"
    present = set(
        get_user_model().objects.filter(username__in=wanted, is_active=True).values_list("username", flat=True)
    )
    accounts = [(username, hint) for username, hint in wanted.items() if username in present]
    if not accounts:
        return None
    return {"password": DEMO_PASSWORD, "accounts": accounts}
