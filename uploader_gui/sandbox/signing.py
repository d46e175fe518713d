"""Signatures for the sandbox's storage links, in the style of AWS Signature Version 4.

Presigned PUT URLs sign the method, path, sorted query and the signed headers' values; POST forms
sign a base64 JSON policy. Both use a signing key derived from a secret only the sandbox knows.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"
REGION = "us-east-1"
ACCESS_KEY = "SANDBOXACCESSKEY"
MAX_OBJECT_SIZE = 5 * 1024 ** 3


def amz_date(moment: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(moment))


def parse_amz_date(text: str) -> float:
    """Seconds since the epoch for an ``X-Amz-Date``; ValueError when malformed."""
    return float(calendar.timegm(time.strptime(text, "%Y%m%dT%H%M%SZ")))


def credential(moment: float) -> str:
    return f"{ACCESS_KEY}/{amz_date(moment)[:8]}/{REGION}/s3/aws4_request"


def _signing_key(secret: bytes, day: str) -> bytes:
    key = hmac.new(b"AWS4" + secret, day.encode(), hashlib.sha256).digest()
    for part in (REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _uri_encode(text: str, *, slash: bool = True) -> str:
    return quote(text, safe="-_.~" + ("/" if slash else ""))


def canonical_query(params: Mapping[str, str]) -> str:
    """The sorted, encoded query string the signature covers (without X-Amz-Signature)."""
    pairs = sorted((_uri_encode(k, slash=False), _uri_encode(v, slash=False))
                   for k, v in params.items() if k != "X-Amz-Signature")
    return "&".join(f"{k}={v}" for k, v in pairs)


def sign_request(secret: bytes, method: str, path: str, params: Mapping[str, str],
                 headers: Mapping[str, str]) -> str:
    """Hex signature of a presigned request; ``headers`` are the signed ones, lower-case names.

    The payload hash is the ``x-amz-content-sha256`` value, as S3 does when that header is signed.
    """
    names = sorted(headers)
    canonical_headers = "".join(f"{n}:{' '.join(headers[n].strip().split())}\n" for n in names)
    payload = headers.get("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
    canonical = "\n".join([method, _uri_encode(path), canonical_query(params), canonical_headers,
                           ";".join(names), payload])
    date = params.get("X-Amz-Date", "")
    scope = f"{date[:8]}/{REGION}/s3/aws4_request"
    to_sign = "\n".join([ALGORITHM, date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    return hmac.new(_signing_key(secret, date[:8]), to_sign.encode(), hashlib.sha256).hexdigest()


def sign_policy(secret: bytes, policy_b64: str, date: str) -> str:
    return hmac.new(_signing_key(secret, date[:8]), policy_b64.encode(),
                    hashlib.sha256).hexdigest()


def encode_policy(expiration: float, conditions: list[object]) -> str:
    expires = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(expiration))
    document = {"expiration": expires, "conditions": conditions}
    return base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()


def decode_policy(policy_b64: str) -> dict[str, object]:
    """The policy document; ValueError when it is not base64 JSON with the expected keys."""
    try:
        document = json.loads(base64.b64decode(policy_b64, validate=True))
    except (ValueError, TypeError) as exc:
        raise ValueError("Invalid Policy: Invalid JSON or base64.") from exc
    if not isinstance(document, dict) or "expiration" not in document \
            or not isinstance(document.get("conditions"), list):
        raise ValueError("Invalid Policy: expiration and conditions are required.")
    return document


def parse_policy_expiration(text: str) -> float:
    for fmt in ("%Y-%m-%dT%H:%M:%S.000Z", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return float(calendar.timegm(time.strptime(text, fmt)))
        except ValueError:
            continue
    raise ValueError("Invalid Policy: Invalid 'expiration' value.")


def constant_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
