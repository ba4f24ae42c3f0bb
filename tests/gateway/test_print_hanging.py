"""Long lines of the CLI's summaries wrap with a hanging indent: each item still reads as one."""

from __future__ import annotations

import io

from rich.console import Console

from balance_gateway.gateway.cli_common import print_hanging


def _printed(markup: str, width: int) -> list[str]:
    out = io.StringIO()
    print_hanging(Console(file=out, width=width, color_system=None), markup)
    return out.getvalue().splitlines()


def test_continuation_lines_hang_under_the_first() -> None:
    words = " ".join(f"word{n}" for n in range(40))
    lines = _printed(f"  [bold]pass 1[/]: {words}", width=50)

    assert len(lines) > 3
    assert lines[0].startswith("  pass 1: word0")
    assert all(line.startswith("    ") and not line.startswith("     ") for line in lines[1:])
    assert all(len(line) <= 50 and line == line.rstrip() for line in lines)
    assert " ".join(line.strip() for line in lines) == f"pass 1: {words}"


def test_a_short_line_is_printed_as_it_is() -> None:
    assert _printed("map: 3 of 3 people matched", width=80) == ["map: 3 of 3 people matched"]
