from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MovementsConfig(AppConfig):
    name = "movements"
    verbose_name = "Ledger"

    def ready(self):
        from .roles import ensure_roles_after_migrate

        # Keeps the role groups and reasons in place after every migrate and every flush
        # (a transactional test empties the tables the data migration filled).
        post_migrate.connect(ensure_roles_after_migrate, sender=self, dispatch_uid="movements.ensure_roles")
