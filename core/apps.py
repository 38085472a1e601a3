from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core: people, roles and the audit trail"

    def ready(self) -> None:
        # Imported for their side effect: the profile and sign-in signals connect.
        from core import roles, signals  # noqa: F401

        # New permissions (a later migration's models) reach the roles without a data
        # migration each time.
        post_migrate.connect(roles.on_post_migrate, dispatch_uid="portal-roles-sync")
