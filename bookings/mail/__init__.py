"""Booking e-mails: a raw MIME message in, the contract's booking payloads out.

``reader`` parses the message (hostile until parsed) and asks an extractor for schema.org
reservations: KDE Itinerary's ``kitinerary-extractor`` when installed (markup, ~140 vendor
formats without markup, PDF boarding passes), else ``extruct`` on the HTML parts (schema.org
markup alone). ``mapping`` turns those reservations into the booking JSON of contracts.md, and
``receive`` hands them to the bookings service.
"""
