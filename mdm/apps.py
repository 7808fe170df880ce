from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MdmConfig(AppConfig):
    name = "mdm"
    verbose_name = _("主数据 Master data")

    def ready(self) -> None:
        from django.db.models import Field

        from mdm import checks  # noqa: F401 - registers the deployment checks
        from mdm.lookups import AnyOf

        Field.register_lookup(AnyOf)
