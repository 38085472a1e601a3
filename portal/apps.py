from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal: people, roles and the audit trail"

    def ready(self) -> None:
        from portal import roles, signals  # noqa: F401  (connects the profile signal)

        # New permissions (a later migration's models) reach the roles without a data
        # migration each time.
        post_migrate.connect(roles.on_post_migrate, dispatch_uid="portal-roles-sync")
