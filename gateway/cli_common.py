"""What every `balance-gateway` command shares: `-v` after the command name too, the
`--config` option (with its environment variable) and the exit codes shown in `--help`."""

from __future__ import annotations

import functools
import inspect
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from balance_gateway.adapters._core.secrets import scrub
from balance_gateway.gateway.logs import configure_logging

F = TypeVar("F", bound=Callable[..., Any])

CONFIG_ENV = "BALANCE_GATEWAY_CONFIG"
DEFAULT_CONFIG = Path("balance-gateway.toml")
VERBOSE_HELP = "Log one line per HTTP request (on stderr)."

CONFIG_OPTION: Any = typer.Option(
    DEFAULT_CONFIG,
    "--config",
    "-c",
    envvar=CONFIG_ENV,
    metavar="FILE",
    help=f"The sync configuration (TOML); default ./{DEFAULT_CONFIG}.",
    show_default=False,
    dir_okay=False,
)


def print_hanging(console: Console, markup: str, indent: int = 2) -> None:
    """Print `markup` wrapped to the console's width, its continuation lines indented
    `indent` spaces deeper than its first, so that a long line still reads as one item."""
    text = Text.from_markup(markup)
    lead = len(text.plain) - len(text.plain.lstrip(" "))
    hang = Text(" " * (lead + indent))
    for number, line in enumerate(text.wrap(console, max(20, console.width - lead - indent))):
        line.rstrip()
        console.print(line if number == 0 else hang + line, highlight=False)


def print_error(message: str) -> None:
    """`error: <message>` on stderr: secrets masked, the text as it is (no rich markup, so
    `balance-gateway[emulators]` stays whole) and never wrapped (paths and commands copy)."""
    _print_labelled("error: ", "bold red", message)


def print_warning(message: str) -> None:
    """`warning: <message>` on stderr, as `print_error`: for a command that goes on."""
    _print_labelled("warning: ", "bold yellow", message)


def _print_labelled(label: str, style: str, message: str) -> None:
    text = Text.assemble((label, style), scrub(message))
    Console(stderr=True, soft_wrap=True).print(text, highlight=False)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `message` as an error and exit with `code` (2: bad configuration or usage)."""
    print_error(message)
    raise typer.Exit(code)


# The width an epilog line may take: help is printed 2 columns in, on an 80-column terminal.
_EPILOG_WIDTH = 78


def exit_codes(*lines: str) -> str:
    """A `--help` epilog listing exit codes: each line `"<code>  <meaning>"`, a line that starts
    with a space going on with the one before; wrapped here to fit 80 columns, each meaning
    aligned after the widest code (`\\b` keeps click from rewrapping)."""
    entries: list[tuple[str, str]] = []
    for line in lines:
        if line.startswith(" ") and entries:
            code, meaning = entries[-1]
            entries[-1] = (code, f"{meaning} {line.strip()}")
        else:
            code, _, meaning = line.partition(" ")
            entries.append((code, meaning.strip()))
    width = max(len(code) for code, _ in entries)
    wrapped = [
        "\n".join(
            textwrap.wrap(
                meaning,
                _EPILOG_WIDTH,
                initial_indent=f"  {code:<{width}}  ",
                subsequent_indent=" " * (width + 4),
                break_on_hyphens=False,
            )
        )
        for code, meaning in entries
    ]
    return "\b\nExit codes:\n" + "\n".join(wrapped)


def with_verbose(command: F) -> F:
    """Let `command` take `-v/--verbose` itself, as well as before its name
    (`balance-gateway plan -v` and `balance-gateway -v plan` both work)."""
    signature = inspect.signature(command, eval_str=True)
    verbose = inspect.Parameter(
        "verbose",
        inspect.Parameter.KEYWORD_ONLY,
        default=typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
        annotation=bool,
    )

    @functools.wraps(command)
    def wrapper(*args: Any, verbose: bool = False, **kwargs: Any) -> Any:
        if verbose:
            configure_logging(verbose=True)
        return command(*args, **kwargs)

    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), verbose]
    )
    wrapper.__annotations__ = {**command.__annotations__, "verbose": bool}
    return wrapper  # type: ignore[return-value]
