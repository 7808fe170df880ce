from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    name = "mdm.devtools"
    label = "devtools"
    verbose_name = "Dev tools"
