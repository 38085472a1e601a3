from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self) -> None:
        # The one hook by which trips (below us) learns of open incidents: every assessment
        # includes those touching the trip's stops (trips/hazards.py says how it is used).
        from incidents.selectors import incident_hazards
        from trips.hazards import hazard_provider_register

        hazard_provider_register(incident_hazards)
        # The hazard feeds that fail, among /healthz/'s details (never a failure).
        from core.health_details import health_detail_register
        from incidents.feeds.services import feeds_health

        health_detail_register("hazard_feeds", feeds_health)
