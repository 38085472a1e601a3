"""The load run behind `make load` (bench/load.sh starts the portal this runs against).

Travellers (the `load-N` employees bench/load.sh creates, one per virtual user, so that their
trips never overlap) read their dashboard, trips, assessments, briefings and destinations, and
file, submit and cancel trips through the API (each submit is assessed, approved automatically
at level 2 and queues a briefing render for the worker); security managers read the approval
queue, who is where, compliance and the audit trail. Every non-2xx/3xx answer is a failure: the
run must end with none.

Cookies: the portal runs with DEBUG off, so its session and CSRF cookies are Secure, which an
HTTP client does not send back over plain HTTP; on this loopback run (TLS ends at the proxy in
production) they are re-sent as plain cookies.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "load-test-password")
TRAVELLERS = int(os.environ.get("LOAD_TRAVELLERS", "40"))
_numbers = itertools.count()


def _keep_cookies(user: HttpUser, response) -> None:
    for name in ("csrftoken", "sessionid"):
        value = response.cookies.get(name)
        if value:
            user.client.cookies.set(name, value)


class SignedIn(HttpUser):
    abstract = True
    username = ""

    def on_start(self) -> None:
        answer = self.client.post(
            "/api/auth/token/",
            json={"username": self.username, "password": PASSWORD},
            name="/api/auth/token/",
        )
        self.client.headers["Authorization"] = f"Token {answer.json()['token']}"
        # A browser session too, for the pages (the login form, with its CSRF token).
        form = self.client.get("/accounts/login/", name="/accounts/login/")
        _keep_cookies(self, form)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        signed_in = self.client.post(
            "/accounts/login/",
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            allow_redirects=False,
            name="/accounts/login/ (POST)",
        )
        _keep_cookies(self, signed_in)


class Traveller(SignedIn):
    weight = 5
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.number = next(_numbers) % TRAVELLERS
        self.username = f"load-{self.number}"
        super().on_start()

    @task(4)
    def dashboard(self) -> None:
        self.client.get("/", name="/ (page)")
        self.client.get("/api/me/")

    @task(4)
    def trips(self) -> None:
        listing = self.client.get("/api/trips/").json()
        if listing["results"]:
            trip = random.choice(listing["results"])["id"]
            self.client.get(f"/api/trips/{trip}/", name="/api/trips/{id}/")
            self.client.get(f"/api/trips/{trip}/assessment/", name="/api/trips/{id}/assessment/")
            self.client.get(f"/api/trips/{trip}/briefings/", name="/api/trips/{id}/briefings/")
            self.client.get(f"/trips/{trip}/", name="/trips/{id}/ (page)")

    @task(2)
    def destinations(self) -> None:
        self.client.get("/api/countries/?search=ka", name="/api/countries/?search=")
        self.client.get("/api/countries/KZ/advisory/", name="/api/countries/{code}/advisory/")
        self.client.get("/destinations/KZ/", name="/destinations/{code}/ (page)")

    @task(1)
    def file_submit_and_cancel(self) -> None:
        # Each traveller's trips follow one another, so a submit never overlaps the last one.
        start = dt.date.today() + dt.timedelta(days=random.randint(20, 600))
        created = self.client.post(
            "/api/trips/",
            json={
                "purpose": "Load test visit",
                "stops": [
                    {
                        "country": "KZ",
                        "place": "Almaty",
                        "arrival": start.isoformat(),
                        "departure": (start + dt.timedelta(days=3)).isoformat(),
                        "activities": [],
                        "transit": False,
                    }
                ],
            },
        )
        trip = created.json()["id"]
        self.client.post(f"/api/trips/{trip}/submit/", name="/api/trips/{id}/submit/")
        self.client.post(f"/api/trips/{trip}/cancel/", json={}, name="/api/trips/{id}/cancel/")


class Manager(SignedIn):
    weight = 1
    wait_time = between(1.0, 3.0)
    username = "load-manager"

    @task(3)
    def queue(self) -> None:
        self.client.get("/api/approvals/")
        self.client.get("/approvals/", name="/approvals/ (page)")

    @task(2)
    def who_is_where(self) -> None:
        self.client.get("/api/locations/?country=KZ", name="/api/locations/")
        self.client.get("/api/compliance/?days=30", name="/api/compliance/")

    @task(1)
    def audit(self) -> None:
        self.client.get("/audit/", name="/audit/ (page)")
