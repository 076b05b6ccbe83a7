"""CSV files that spreadsheets open: UTF-8 with a BOM, streamed, and no cell that runs as a formula.

Whatever an attendee typed (a name, an address, an answer, a guest's name, a comment) ends up
in organizers' spreadsheets. Excel and LibreOffice run a cell that starts with ``=``, ``+``,
``-`` or ``@`` (and tab or carriage return before one) as a formula, e.g. a HYPERLINK that
sends the neighbouring cells elsewhere; such text gets a leading quote (OWASP's advice).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def safe(value) -> object:
    """Free text that a spreadsheet would run as a formula gets a leading quote; the rest is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_response(*, header: list[str], rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream() -> Iterator[str]:
        yield "\ufeff"  # Excel opens UTF-8 (Chinese, Japanese names) only with a BOM
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
