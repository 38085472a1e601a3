"""`POST /api/bookings/email/`: a raw booking e-mail (`Content-Type: message/rfc822`).

The view keeps the e-mail (the outbox) and has a worker read it (bookings.tasks): kitinerary
never runs on a web request's thread. It waits a few seconds for the worker's answer and
returns it as `POST /api/bookings/` does (201 new, 200 known, 400 naming the field; 202 when
the e-mail held no booking and was kept unassigned); a worker slower than that gets a 202
`{"status": "queued"}`: the e-mail is kept and will be read. The answer travels through the
cache, so it reaches the view when the web processes and workers share one (CACHE_URL, as
a production installation sets for its rate limits); with each process's own cache, the
answer is that 202 at once.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from celery import current_app as celery_app
from django.conf import settings
from django.core.cache import cache
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings.api import RESULT, MayPostBookings
from bookings.mail import answers
from bookings.mail.reader import MAX_MESSAGE_BYTES, EmailTooLarge
from bookings.mail.receive import DOOR_EMAIL_API, booking_email_queue

# How long the request waits for the worker's answer before answering 202 "queued".
ANSWER_WAIT_SECONDS = 10.0
ANSWER_POLL_SECONDS = 0.1


class RFC822Parser(BaseParser):
    """The request's body as bytes, refused past the size limit before it is all read."""

    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        # DRF types a parser's result as a mapping; request.data is these bytes here.
        if stream is None:
            return b""
        raw = stream.read(MAX_MESSAGE_BYTES + 1)
        if len(raw) > MAX_MESSAGE_BYTES:
            raise EmailTooLarge(len(raw))
        return raw


class BookingEmailView(APIView):
    # Who may post a booking may post its e-mail (the feed's own rule).
    permission_classes = [IsAuthenticated, MayPostBookings]
    parser_classes = [RFC822Parser]

    @extend_schema(
        request={"message/rfc822": OpenApiTypes.BINARY},
        responses={
            201: RESULT,
            200: RESULT,
            202: inline_serializer(
                "BookingEmailWaiting",
                {
                    "booking": serializers.IntegerField(required=False),
                    "trip": serializers.IntegerField(allow_null=True, required=False),
                    "status": serializers.CharField(),
                    "problem": serializers.CharField(required=False),
                },
            ),
        },
        description="A raw booking e-mail (the bytes of an .eml). 201/200 as POST "
        "/api/bookings/ answers (a second booking in the e-mail is listed under `bookings`); "
        "202 when it held no booking and was kept unassigned (`problem` says why), or "
        '`{"status": "queued"}` when the worker reading it is slow; 413 over 10 MB.',
    )
    def post(self, request):
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > MAX_MESSAGE_BYTES:
            raise EmailTooLarge(length)
        raw = request.data
        if not isinstance(raw, bytes) or not raw.strip():
            raise ParseError("Send the e-mail's bytes as message/rfc822.")
        ticket = uuid.uuid4().hex
        # Outside any transaction (no ATOMIC_REQUESTS): the row is written and the task sent
        # at once; were the broker away, the relay sends it later and the answer is 202.
        booking_email_queue(
            raw=raw,
            door=DOOR_EMAIL_API,
            by=request.user,
            via="api",
            ticket=ticket,
            keep_invalid=False,
        )
        answer = _await(ticket) if _answer_can_arrive() else None
        if answer is None:
            return Response({"status": "queued"}, status=202)
        return Response(answer["body"], status=answer["status_code"])


def _answer_can_arrive() -> bool:
    """The worker leaves its answer in the cache: only a cache the processes share (CACHE_URL)
    or a task run in this very process (eager) brings it back here. Otherwise waiting would
    only delay the 202."""
    shared = "locmem" not in settings.CACHES["default"]["BACKEND"].lower()
    return shared or bool(celery_app.conf.task_always_eager)


def _await(ticket: str) -> dict | None:
    deadline = time.monotonic() + float(
        getattr(settings, "BOOKINGS_EMAIL_ANSWER_WAIT_SECONDS", ANSWER_WAIT_SECONDS)
    )
    key = answers.cache_key(ticket)
    while True:
        answer = cache.get(key)
        if answer is not None:
            cache.delete(key)
            return answer
        if time.monotonic() >= deadline:
            return None
        time.sleep(ANSWER_POLL_SECONDS)
