"""`python -m contracts._harness VENDOR [sdk|emulator]`: run a vendor's suite (developer aid)."""

from __future__ import annotations

import sys

from rich.console import Console

from balance_gateway.contracts._harness.verify import report, verify


def main(argv: list[str]) -> int:
    vendor = argv[0]
    targets = argv[1:] or ["sdk", "emulator"]
    console = Console()
    ok = True
    for target in targets:
        ok = report(vendor, verify(vendor, target), console) and ok  # type: ignore[arg-type]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
