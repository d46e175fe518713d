"""Errors of the sign-in flow itself, each with a message a person can act on."""

from __future__ import annotations

from uploader_gui.procore.errors import AuthError


class LoginFailed(AuthError):
    """Signing in did not complete (refused, timed out, or the listener could not start)."""


class LoginCancelled(LoginFailed):
    """The person (or the app) cancelled the sign-in."""
