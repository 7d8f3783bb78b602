"""Request ids and the request log: one JSON line per request, and the same id on its audit events.

Each request gets an id: the caller's ``X-Request-ID`` when it is a plain token (letters, digits, ``.``,
``_``, ``:``, ``-``; at most 64), else a new one; it is returned in ``X-Request-ID`` and written on every
audit event the request appends, so a log line leads to what the request did and back. The log line
(logger ``bank_tax.request``) holds the time, id, method, route (its rule, never the path: paths carry
firms' codes), status, duration and the caller's role: never a name, an ID number or a phone.

Cross-cutting like ``db``: imports no domain.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

from bank_tax import clock

log = logging.getLogger("bank_tax.request")
HEADER = "X-Request-ID"
_TOKEN = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def current() -> str | None:
    """The id of the request being served (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


def init_app(app: Flask) -> None:
    """Give every request its id and log it as one JSON line when it is answered."""
    if not app.testing and not log.handlers:  # the server's stderr, one JSON object per line
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False

    @app.before_request
    def _begin():
        given = request.headers.get(HEADER, "")
        g.request_id = given if _TOKEN.fullmatch(given) else uuid.uuid4().hex
        g.request_t0 = time.perf_counter()

    @app.after_request
    def _answered(response):
        rid = g.get("request_id")
        if rid is None:
            return response
        response.headers[HEADER] = rid
        principal = g.get("principal")  # as the request resolved it: logging looks nothing up
        line = {
            "at": clock.now().isoformat(),
            "request_id": rid,
            "method": request.method,
            "route": request.url_rule.rule if request.url_rule is not None else "(unmatched)",
            "status": response.status_code,
            "duration_ms": round(1000 * (time.perf_counter() - g.get("request_t0", time.perf_counter())), 1),
            "role": str(principal.role) if principal is not None else "anonymous",
        }
        log.info(json.dumps(line, ensure_ascii=False))
        return response
