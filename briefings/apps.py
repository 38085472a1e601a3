from django.apps import AppConfig


class BriefingsConfig(AppConfig):
    name = "briefings"

    def ready(self) -> None:
        from briefings import receivers  # noqa: F401
