"""The unassigned bookings page (contracts.md, `/bookings/`): thin views over the same
services and selectors as the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from bookings import selectors, services
from core import roles
from core.errors import DomainError, InvalidInput


def _handler_required(request: HttpRequest) -> None:
    if not (roles.is_manager(request.user) or roles.is_arranger(request.user)):
        raise PermissionDenied("This page is for security managers and travel arrangers.")


@login_required
def bookings_waiting(request: HttpRequest) -> HttpResponse:
    _handler_required(request)
    assert isinstance(request.user, User)
    waiting = selectors.bookings_waiting_for(request.user).order_by("received_at", "pk")
    return render(
        request,
        "bookings/waiting.html",
        {
            "waiting": waiting,
            "travellers": selectors.travellers_to_assign(request.user),
        },
    )


@login_required
@require_POST
def booking_assign(request: HttpRequest, pk: int) -> HttpResponse:
    _handler_required(request)
    assert isinstance(request.user, User)
    booking = get_object_or_404(selectors.bookings_waiting_for(request.user), pk=pk)
    try:
        if request.POST.get("dismiss"):
            services.booking_dismiss(booking=booking, by=request.user)
            messages.success(request, "The booking was dismissed.")
        else:
            username = request.POST.get("traveller", "")
            traveller = User.objects.filter(username=username, is_active=True).first()
            if traveller is None:
                raise InvalidInput({"traveller": ["Choose the traveller this booking is for."]})
            result = services.booking_assign(booking=booking, traveller=traveller, by=request.user)
            name = traveller.get_full_name() or traveller.username
            messages.success(
                request,
                f"The booking is {name}'s now"
                + (f": trip #{result.trip.pk} was made." if result.trip else "."),
            )
    except InvalidInput as error:
        messages.error(request, " ".join(error.messages()))
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("bookings-waiting")
