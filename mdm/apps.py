from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MdmConfig(AppConfig):
    name = "mdm"
    verbose_name = _("Master data")

    def ready(self) -> None:
        from django.db.models import Field

        from mdm import checks  # noqa: F401 - registers the deployment checks
        from mdm.lookups import AnyOf

        Field.register_lookup(AnyOf)

        # Every admin page, Django's own included, answers only its declared filters.
        from django.contrib import admin

        from mdm.admin_security import enforce_declared_lookups

        enforce_declared_lookups(admin.site)
