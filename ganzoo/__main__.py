"""``python -m ganzoo`` and the ``ganzoo`` command.

Importing the CLI takes a moment (click and every command's module); Ctrl-C
then is Ctrl-C too (exit 130), not a traceback, so the import happens here,
inside the handler.
"""

import sys


def run() -> None:
    try:
        from ganzoo.cli.main import run as run_cli
    except KeyboardInterrupt:
        print("aborted", file=sys.stderr)
        sys.exit(130)
    run_cli()


if __name__ == "__main__":
    run()
