"""`python -m bench [--quick] [--only NAME ...] [--out bench/results.md]` (`make bench`).

Runs every benchmark module, prints a short Markdown table (metric, value, baseline,
ratio, target, pass/fail) and writes it to --out, with the full details next to it as
JSON (same name, .json). Benchmarks report; they never fail the build: the exit status
is 0 unless a benchmark could not run at all.

PostgreSQL scratch databases are created on BENCH_DATABASE_URL (else
TEST_DATABASE_URL, else the local server) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import HostSteal

BENCHMARKS = ("bench_slack", "bench_search", "bench_jobs", "bench_when", "bench_hubspot")
DEFAULT_OUT = Path(__file__).resolve().parent / "results.md"


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if value != value:  # NaN
            return "–"
        return (
            f"{value:,.2f}"
            if abs(value) < 10
            else f"{value:,.1f}"
            if abs(value) < 1000
            else f"{value:,.0f}"
        )
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| metric | value | baseline | ratio | target | pass |",
        "|---|---:|---|---:|---|:---:|",
    ]
    for r in rows:
        baseline = (
            f"{_fmt(r['baseline'])} {r['unit']} ({r['baseline_name']})"
            if r.get("baseline") is not None
            else "–"
        )
        ratio = f"{r['ratio']:.2f}x" if r.get("ratio") is not None else "–"
        verdict = {True: "pass", False: "**FAIL**", None: "–"}[r.get("passed")]
        lines.append(
            f"| {r['metric']} | {_fmt(r['value'])} {r['unit']} | {baseline} | {ratio} | "
            f"{r.get('target') or '–'} | {verdict} |"
        )
    return "\n".join(lines)


def _machine() -> str:
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, load average {load}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a tenth of the data and one round: for development"
    )
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS, help="run only these benchmarks")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"Markdown output (default {DEFAULT_OUT})"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)

    started = datetime.now(UTC)
    machine_before = _machine()
    rows: list[dict[str, Any]] = []
    details: dict[str, Any] = {}
    broken = []
    steal: dict[str, float | None] = {}
    for name in args.only or BENCHMARKS:
        print(f"running {name}{' (quick)' if args.quick else ''}...", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        stolen = HostSteal()
        try:
            module = importlib.import_module(f"bench.{name}")
            result = module.run(quick=args.quick)
        except Exception:  # report the others; say which one broke
            traceback.print_exc()
            broken.append(name)
            details[name] = {"error": traceback.format_exc()}
            continue
        result["seconds"] = round(time.monotonic() - t0, 1)
        result["host_steal_percent"] = steal[name] = stolen.percent()
        details[name] = result
        rows.extend(result.get("rows", []))
        if result.get("skipped"):
            print(f"  {name} skipped: {result['skipped']}", file=sys.stderr)
        print(f"  {name} took {result['seconds']} s", file=sys.stderr, flush=True)

    mode = "quick" if args.quick else "full"
    header = (
        f"Meetline benchmarks ({mode} run, {started:%Y-%m-%d %H:%M} UTC)\n\n"
        f"Machine: {machine_before}; at the end: load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}.\n"
    )
    if any(v is not None for v in steal.values()):
        header += (
            "CPU time the host gave to other machines (steal) while each benchmark ran: "
            + ", ".join(f"{name} {_fmt(v)}%" for name, v in steal.items())
            + ".\n"
        )
    text = header + "\n" + table(rows) + "\n"
    if broken:
        text += f"\nDid not run: {', '.join(broken)} (see the JSON details).\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    args.out.with_suffix(".json").write_text(
        json.dumps(details, indent=2, default=str), encoding="utf-8"
    )
    print(f"written to {args.out} (details: {args.out.with_suffix('.json')})", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
