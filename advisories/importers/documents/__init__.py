"""Turn an official travel-risk document into sections for a content admin to review.

Pure Python (stdlib and markdown-it-py), no Django: ``manage.py import_advisory`` and the
admin upload page call :func:`parse_document` and decide what to write.

Formats (``fmt``): ``fcdo``, Markdown as GOV.UK foreign travel advice is published
(``#``/``##``/``###`` headings, ``[text](url)`` links and ``*`` bullets kept; links relative
to a recognised site made absolute); ``osac``, plain text as US OSAC reports are published
(a heading is a bare title-case line of its own followed by more text, ``•`` bullets);
``plain``, anything else, text converted from PDF included; ``auto`` guesses
(:func:`detect_format`).

One module per step, in the order :func:`parse_document` runs them:

- :mod:`.reading`: decoding, whitespace, format detection;
- :mod:`.credits`: credit lines that name the source;
- :mod:`.chrome`: page chrome (navigation, cookie banners, page numbers, running headers);
- :mod:`.repeats`: a page repeated in one file, a line repeated right after itself;
- :mod:`.page_breaks`: paragraphs broken at page boundaries;
- :mod:`.headings` and :mod:`.outline`: the document's headings and the text under each;
- :mod:`.sections`: which headings become sections;
- :mod:`.topics`: each section's topic, from its heading, then its body;
- :mod:`.sources`: the publisher, title and URL;
- :mod:`.disclaimers`: a disclaimer is dropped (no section, no paragraph of one);
- :mod:`.suggestions`: emergency numbers, places and closed areas for the reviewer, and the
  curated sections a section repeats (merge into them rather than add a duplicate).
"""

from .parse import parse_document
from .parsed import (
    FORMATS,
    CuratedSection,
    DocumentError,
    Merge,
    ParsedDocument,
    ParsedSection,
    Suggestion,
)
from .reading import detect_format
from .topics import DEFAULT_TOPIC_KEYWORDS, guess_topic

__all__ = [
    "DEFAULT_TOPIC_KEYWORDS",
    "FORMATS",
    "CuratedSection",
    "DocumentError",
    "Merge",
    "ParsedDocument",
    "ParsedSection",
    "Suggestion",
    "detect_format",
    "guess_topic",
    "parse_document",
]
