from django.apps import AppConfig


class HardfinConfig(AppConfig):
    name = "hardfin"
    verbose_name = "Hardfin"
