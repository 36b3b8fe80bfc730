"""Entry point: the command group and the error policy.

User errors, a full disk and a denied write are one line on stderr and exit 2;
Ctrl-C, and only Ctrl-C, exits 130; anything unexpected keeps its traceback and
exits 1.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import signal
import sys
import threading

import click

from ganzoo import __version__
from ganzoo.cli.eval_command import eval_command
from ganzoo.cli.export_command import export_command
from ganzoo.cli.list_command import list_command
from ganzoo.cli.recipes_command import recipes_command
from ganzoo.cli.sample_command import sample_command
from ganzoo.cli.train_command import train_command
from ganzoo.cli.zoo_command import zoo_command
from ganzoo.errors import UserError

#: Failures of the machine's storage, not of ganzoo: one line and exit 2, like any error the user can fix.
_ENVIRONMENT_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


class _Group(click.Group):
    def invoke(self, ctx):
        # Click turns an EOFError into Abort, which would read as Ctrl-C (exit 130): only Ctrl-C is that.
        try:
            return super().invoke(ctx)
        except EOFError as error:
            raise RuntimeError(f"unexpected end of file: {error}") from error


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ganzoo")
def cli() -> None:
    """ganzoo: train GANs from plugins, export generators to ONNX, sample them anywhere."""


cli.add_command(list_command)
cli.add_command(train_command)
cli.add_command(export_command)
cli.add_command(sample_command)
cli.add_command(eval_command)
cli.add_command(recipes_command)
cli.add_command(zoo_command)


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("ganzoo", "ganzoo_runtime"):  # ganzoo's messages, and the sampler's notices
        logger = logging.getLogger(name)
        for old in list(logger.handlers):  # main() may run more than once in a process (tests, notebooks)
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and turn errors into exit codes."""
    _configure_logging()
    with _noting_ctrl_c() as pressed:
        return _run_command(argv, pressed)


def _run_command(argv: list[str] | None, pressed: list) -> int:
    try:
        # Without standalone mode click returns a command's exit code instead of exiting.
        code = cli.main(args=argv, prog_name="ganzoo", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as error:
        click.echo(error.ctx.get_help())
        return 0
    except click.UsageError as error:
        command = error.ctx.command_path if error.ctx else "ganzoo"
        # the same "error: " start as every other bad input, and the command to ask for help
        click.echo(f"error: {error.format_message().rstrip('.')} (see '{command} --help')", err=True)
        return 2
    except click.exceptions.Exit as error:
        return error.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("aborted", err=True)
        return 130
    except UserError as error:
        click.echo(f"error: {error}", err=True)
        return 2
    except OSError as error:
        if error.errno not in _ENVIRONMENT_ERRORS:
            raise
        where = f" ({error.filename})" if error.filename else ""
        click.echo(f"error: {error.strerror or error}{where}", err=True)
        return 2
    except click.ClickException as error:
        click.echo(f"error: {error.format_message()}", err=True)
        return error.exit_code
    except Exception as error:
        # Libraries can turn a KeyboardInterrupt into an error of their own (an ImportError while Keras
        # imports, say): after Ctrl-C, whatever failed failed because of it.
        if not (pressed or _interrupted(error)):
            raise
        click.echo("aborted", err=True)
        return 130
    return code if isinstance(code, int) else 0


@contextlib.contextmanager
def _noting_ctrl_c():
    """Ctrl-C raises KeyboardInterrupt as usual, and is also noted in the list this yields."""
    pressed: list = []
    if threading.current_thread() is not threading.main_thread():
        yield pressed
        return

    def note(signum, frame):
        pressed.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupted(error: BaseException) -> bool:
    """Ctrl-C that a library (TensorFlow while importing, say) wrapped in an exception of its own."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def run() -> None:
    """Console-script entry point."""
    code = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the work is done: a late Ctrl-C must not turn it into a failure
    sys.exit(code)
