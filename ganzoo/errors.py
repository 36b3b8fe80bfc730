"""Errors the user can fix; the CLI prints them as one line and exits 2."""


class UserError(Exception):
    """Bad input from the user: an unknown name, a bad value, a missing or unreadable path."""
