"""File downloads the API and the pages answer with: one CSV response, so every CSV the
service sends has the same type, charset and attachment header."""

from __future__ import annotations

from fastapi import Response


def csv_response(text: str, filename: str) -> Response:
    """`text` (a whole CSV document, see `features.csv_safe.csv_text`) as a UTF-8 attachment
    named `filename`."""
    return Response(
        content=text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
