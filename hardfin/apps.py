from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class HardfinConfig(AppConfig):
    default = True
    name = "hardfin"
    verbose_name = "Hardfin"


class BackOfficeAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with Hardfin's back-office site as the default site; named in
    INSTALLED_APPS instead of ``django.contrib.admin``."""

    default = False  # not the default config of the ``hardfin`` app itself
    default_site = "hardfin.admin.BackOfficeSite"
