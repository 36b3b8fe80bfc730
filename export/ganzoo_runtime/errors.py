"""The one error type for bad user input, shared by ganzoo and its runtime."""


class UserError(Exception):
    """Bad input from the user (a name, a value, a path); shown as one line, exit code 2."""
