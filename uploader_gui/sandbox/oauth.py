"""The sandbox's OAuth 2.0 routes (/oauth/authorize, /oauth/token, /oauth/revoke)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def handle(state: Any, method: str, path: str, query: Mapping[str, list[str]],
           form: Mapping[str, list[str]], headers: Mapping[str, str]) -> tuple[int, dict[str, str], bytes]:
    """Answer one request under /oauth/. Returns (status, headers, body)."""
    body = json.dumps({"error": "not_found", "error_description": f"No route {method} {path}"})
    return 404, {"Content-Type": "application/json"}, body.encode()
