"""PKCE (RFC 7636) for the browser sign-in: a code caught on its way back is useless alone.

The app keeps a random ``code_verifier``; the sign-in page gets only its S256 ``code_challenge``.
Exchanging the code needs the verifier, which never leaves this process until then. An OAuth
server without PKCE ignores both parameters.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

METHOD = "S256"


def new_verifier() -> str:
    """43 to 128 characters of ``[A-Za-z0-9-._~]``: 64 random bytes, base64url (86 characters)."""
    return secrets.token_urlsafe(64)


def challenge(verifier: str) -> str:
    """``BASE64URL(SHA256(verifier))`` without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
