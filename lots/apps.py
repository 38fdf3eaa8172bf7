from django.apps import AppConfig


class LotsConfig(AppConfig):
    name = "lots"
    verbose_name = "Batches and lots"
