"""Template context every page may read and that needs no app: whether password reset is
offered."""

from django.conf import settings


def password_reset(request):
    """``password_reset_offered``: whether sign-in pages link to password reset (only with a
    mail server to send the link)."""
    return {"password_reset_offered": settings.HARDFIN_PASSWORD_RESET}
