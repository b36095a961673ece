"""Open311 form posts decoded in the charset the client declares: UTF-8 unless it says
otherwise, GB18030 (or GBK, GB2312) as older Chinese clients send. A body that is not valid
in that charset is refused, never stored with replacement characters."""

import codecs
from urllib.parse import parse_qsl

from fastapi import Request

from geoapi.errors import PayloadTooLarge

FORM = "application/x-www-form-urlencoded"


class FormError(ValueError):
    """The form cannot be read as declared; the message says why."""


def declared_charset(content_type: str) -> str:
    """The `charset` parameter of a Content-Type, lower case; UTF-8 when none is given."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower() or "utf-8"
    return "utf-8"


def decode_form(body: bytes, charset: str) -> dict[str, str]:
    """The fields of a URL-encoded body in `charset` (the last value of a repeated name)."""
    try:
        codecs.lookup(charset)
    except LookupError as exc:
        raise FormError(f"charset {charset!r} is unknown; send UTF-8 (or GB18030)") from exc
    try:
        text = body.decode(charset)
        return dict(parse_qsl(text, keep_blank_values=True, encoding=charset, errors="strict"))
    except UnicodeDecodeError as exc:
        raise FormError(f"the form is not valid {charset}: byte {exc.start}") from exc


async def media(request: Request, limit: int) -> bytes | None:
    """The photo or video of a multipart report (field `media`), at most `limit` bytes."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() == FORM:
        return None
    upload = (await request.form()).get("media")
    if upload is None or isinstance(upload, str):
        return None
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"media larger than {limit:,} bytes")
    return data


async def form_fields(request: Request) -> dict[str, str]:
    """The text fields of a form post, URL-encoded (any declared charset) or multipart."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() == FORM:
        return decode_form(await request.body(), declared_charset(content_type))
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}
