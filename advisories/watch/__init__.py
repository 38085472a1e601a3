"""Watching official sources (product.md, "Watching official sources").

Pure modules (no Django): :mod:`.reading` (what a parser returns), :mod:`.markup` (HTML as the
document importer's Markdown), :mod:`.parsers` (one parser per kind of source: bytes in, a
:class:`~.reading.SourceReading` out), :mod:`.ratings` (each source's ratings mapped onto our
1-5 scale, as data). :mod:`.fetch` polls a URL politely; :mod:`.services` and
:mod:`.selectors` write and read the database.
"""
