from django.apps import AppConfig


class BackendConfig(AppConfig):
    name = "backend"
    verbose_name = "Sanad core"  # no page shows it: the app has no admin

    def ready(self) -> None:
        from django.contrib.admin.templatetags import admin_list

        from backend import checks, db_limits  # noqa: F401  (register the system checks, the session limits)
        from backend.admin_base import boolean_icon

        # Django's yes/no icons say alt="True"/"False" in every language; every admin list and
        # read-only field imports the function from here when it draws one.
        admin_list._boolean_icon = boolean_icon
