from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: The admin modules of the hub's domains, registered when the app is ready.
ADMIN_MODULES = (
    "mdm.privacy.admin_audit",
    "mdm.stewardship.admin",
    "mdm.stewardship.admin_sources",
    "mdm.jobs.admin",
    "mdm.quality.admin",
    "mdm.linking.admin",
    "mdm.linking.admin_rollout",
    "mdm.records.admin_grants",
    "mdm.operations.admin",
    "mdm.documents.admin",
)


class MdmConfig(AppConfig):
    name = "mdm"
    verbose_name = _("Master data")

    def ready(self) -> None:
        from django.db.models import Field
        from django.db.models.signals import post_migrate

        from mdm import checks  # noqa: F401 - registers the deployment checks
        from mdm.linking.block_index import stamp_keys_schemes

        post_migrate.connect(stamp_keys_schemes, sender=self, dispatch_uid="mdm.keys_scheme")
        from mdm.db.lookups import AnyOf

        Field.register_lookup(AnyOf)

        # Django finds an admin module at the top of an app only: each domain's admin, from here.
        from importlib import import_module

        for module in ADMIN_MODULES:
            import_module(module)

        # Every admin page, Django's own included, answers only its declared filters.
        from django.contrib import admin

        from mdm.privacy.admin import enforce_declared_lookups

        enforce_declared_lookups(admin.site)
