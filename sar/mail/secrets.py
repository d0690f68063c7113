"""Mail passwords and OAuth tokens: from the environment or the OS keyring, never disk.

The environment (SAR_SMTP_PASSWORD, SAR_IMAP_PASSWORD) wins, for scripts and CI;
otherwise the OS keyring, under the service "sar" and the name "smtp:USER@HOST".
An OAuth2 access token (Gmail, Microsoft 365) comes from a command the user
configures, such as `oauth2l fetch --json` or a small script of their own; sar runs
it without a shell and reads the token from its standard output.
"""

from __future__ import annotations

import os
import shlex
import subprocess

from sar.errors import SarError

SERVICE = "sar"


class SecretError(SarError):
    """A password or token that cannot be found."""


def keyring_name(kind: str, username: str, host: str) -> str:
    return f"{kind}:{username}@{host}"


def password(kind: str, username: str, host: str) -> str:
    """The password for `kind` ('smtp' or 'imap'); SecretError names where to put it."""
    env = f"SAR_{kind.upper()}_PASSWORD"
    if os.environ.get(env):
        return os.environ[env]
    try:
        import keyring
        from keyring.errors import KeyringError

        found = keyring.get_password(SERVICE, keyring_name(kind, username, host))
    except ImportError:
        found = None
    except KeyringError:
        found = None
    if found:
        return found
    raise SecretError(f"no {kind} password for {username} at {host}: set {env}, or store it "
                      f"in the OS keyring with `sar config password {kind}`")


def check_keyring(kind: str) -> None:
    """Refuse before a password is typed if there is nowhere to keep it."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        raise SecretError("the keyring package is not installed: use the environment "
                          f"variable SAR_{kind.upper()}_PASSWORD instead") from None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        raise SecretError("no OS keyring is available here: use the environment variable "
                          f"SAR_{kind.upper()}_PASSWORD instead")


def store_password(kind: str, username: str, host: str, secret: str) -> None:
    check_keyring(kind)
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(SERVICE, keyring_name(kind, username, host), secret)
    except KeyringError:
        raise SecretError("no OS keyring is available here: use the environment variable "
                          f"SAR_{kind.upper()}_PASSWORD instead") from None


def oauth_token(command: str) -> str:
    """Run the configured token command and return the token it prints."""
    try:
        result = subprocess.run(shlex.split(command), capture_output=True, text=True,
                                timeout=60, check=False)
    except (OSError, ValueError, subprocess.TimeoutExpired) as e:
        raise SecretError(f"the OAuth token command could not run: {e}") from None
    if result.returncode != 0:
        raise SecretError(f"the OAuth token command failed (exit {result.returncode})")
    token = result.stdout.strip()
    if token.startswith("{"):  # a JSON answer such as {"access_token": "..."}
        import json

        try:
            token = json.loads(token).get("access_token", "")
        except (ValueError, AttributeError):
            token = ""
    if not token or any(c.isspace() for c in token):
        raise SecretError("the OAuth token command printed no usable token")
    return token
