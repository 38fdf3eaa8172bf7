from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CountsConfig(AppConfig):
    """Cycle counts (stocktakes) and reorder points: the top of the stack, above movements."""

    name = "counts"

    def ready(self):
        from .roles import ensure_count_roles_after_migrate

        post_migrate.connect(ensure_count_roles_after_migrate, sender=self)
