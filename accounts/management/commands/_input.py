"""Input for the staff and key commands: passwords and contacts from a prompt or a file (never argv), users by name."""

import getpass
import sys
from pathlib import Path

from django.core.management.base import CommandError

from accounts.models import StaffUser


def read_password(prompt: str, *, password_file: str | None, confirm: bool = False) -> str:
    if password_file:
        try:
            # A password file holds one line; a trailing newline is not part of it.
            return Path(password_file).read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError):
            raise CommandError("The password file cannot be read as UTF-8 text.") from None
    if not sys.stdin.isatty():
        raise CommandError("No terminal to ask for a password on; pass --password-file.")
    password = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again: ") != password:
        raise CommandError("The passwords differ.")
    return password


def read_optional_line(prompt: str, *, path: str | None) -> str | None:
    """One line from a file, or asked on a terminal; None when neither gives one."""
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip() or None
        except (OSError, UnicodeDecodeError):
            raise CommandError(f"{path} cannot be read.") from None
    if sys.stdin.isatty():
        return input(prompt).strip() or None
    return None


def staff_user(username: str) -> StaffUser:
    try:
        return StaffUser.objects.get(username=username)
    except StaffUser.DoesNotExist:
        raise CommandError(f"No staff user named {username!r}.") from None
