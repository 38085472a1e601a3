import threading

import pytest
from django.db import connections

from core.errors import DomainError
from tests.factories import api_as, employee, manager
from tests.trips.helpers import post_trip, stop
from trips import services
from trips.models import Decision, Transition, Trip


@pytest.mark.django_db(transaction=True)
def test_two_managers_approving_at_once_make_one_decision(catalogue):
    traveller = employee()
    trip = post_trip(traveller, stop(place="Sealed Valley"))
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    managers = [manager(), manager()]
    barrier = threading.Barrier(len(managers))
    outcomes: list[str] = []

    def approve(user):
        try:
            barrier.wait()
            services.trip_approve(trip=Trip.objects.get(pk=trip["id"]), by=user, comment="go")
            outcomes.append("approved")
        except DomainError as error:
            outcomes.append(f"{error.status_code}")
        except Exception as error:  # a database error must fail the test, not vanish
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(user,)) for user in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["409", "approved"]
    assert Decision.objects.filter(trip_id=trip["id"]).count() == 1
    assert Transition.objects.filter(trip_id=trip["id"], to_status="approved").count() == 1
