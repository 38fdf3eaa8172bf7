"""Authentication plumbing: Django's model backend, reading permissions in one query."""

from django.contrib.auth import backends
from django.contrib.auth.models import Permission
from django.db.models import Q


class ModelBackend(backends.ModelBackend):
    """Django's ``ModelBackend``, with a user's own and group permissions read in one query
    instead of two: every API request and page checks permissions, so this is on the hot
    path of every write. Cached on the user object for the request, as Django does."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list("content_type__app_label", "codename").distinct()
            }
        return user_obj._perm_cache
