"""Bodies of the JSON APIs (bounded JSON, an object), and the push APIs' Bearer token check."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from accounts import tokens
from core.errors import Invalid, TooLarge

MAX_ITEMS = 1000
MAX_BYTES = 2_000_000


def push_token(c) -> tokens.Token:
    """The push client's valid token (committing its check), or 401."""
    token = tokens.check(c, request.headers.get("Authorization"))  # TokenError is a 401
    c.commit()
    return token


def json_body() -> Any:
    """The request's JSON body, at most MAX_BYTES long, or a 4xx error."""
    if (request.content_length or 0) > MAX_BYTES:
        raise TooLarge(f"request body too large (at most {MAX_BYTES} bytes)")
    body = request.get_data(cache=False)
    if len(body) > MAX_BYTES:
        raise TooLarge(f"request body too large (at most {MAX_BYTES} bytes)")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"the body is not valid JSON: {exc}") from None
    except RecursionError:  # "[[[[..." thousands deep
        raise Invalid("the body is nested too deeply") from None


def json_object() -> dict[str, Any]:
    """The request's JSON object body, or its form fields when it was sent as a form; 400 otherwise."""
    if not request.is_json:
        return request.form.to_dict()
    body = json_body()
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    return body
