"""Who may call what. Roles are groups that grant Django permissions (movements migration
0002); these classes check the permissions, never group names, so superusers pass too."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from hardfin.permissions import EXPORT_INVENTORY, VIEW_INVENTORY


class InventoryAccess(BasePermission):
    """Reading needs ``inventory.view_stocklevel``. A write also needs every permission the
    view lists for its method in ``write_permissions`` (``{"POST": ("app.codename",)}``);
    a method the view does not list is not allowed to anyone.

    A request without credentials that fails here is answered 401 by DRF (the token
    authenticator's challenge), one with credentials 403.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.has_perm(VIEW_INVENTORY)):
            return False
        if request.method in SAFE_METHODS or getattr(view, request.method.lower(), None) is None:
            return True  # reading; or a method the view lacks, which DRF answers 405
        required = getattr(view, "write_permissions", {}).get(request.method)
        return required is not None and user.has_perms(required)


class CanExport(BasePermission):
    message = "You are not allowed to export inventory."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perms([VIEW_INVENTORY, EXPORT_INVENTORY]))
