"""The webhook benchmark's table: its runs against the floor and Telegram's limits.

Reads the JSON lines `scripts/bench_webhook.sh` kept, one file per kind of run
(`peer.jsonl`, `hocso.jsonl`, `floor.jsonl`, `limits.jsonl`, `crowd.jsonl`), each line
load.py's summary of one run:

    {"chats": 50, "turns_done": 1500, "turns_expected": 1500, "errors": 0, "wall_s": 52.1,
     "turns_per_s": 28.8, "messages_sent": 1500, "too_many_429": 0, "p99_ms": 1874.2, ...}

and prints the runs (medians, ranges) and the targets of issue 16, each with its figure,
judged by its median:

    | no limits: hocso turns/s ÷ floor's | 0.78 (0.74–0.80) | ≥ 0.75 | met (2 of 3 runs) |

Ratios pair the n-th run of one kind with the n-th of the other (the same round of runs).

    python scripts/bench_table.py DIR [--rate 30] [--date 2026-12-07]
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

Run = dict[str, float]
KINDS = ("peer", "hocso", "floor", "limits", "crowd", "limits1", "crowd1")


@dataclass(frozen=True)
class Target:
    """One line of the issue's table: a figure per round of runs and the bound it must keep."""

    what: str
    figure: Callable[[dict[str, Run]], float | None]
    bound: float
    at_least: bool  # the figure must be >= bound (else <=)
    unit: str = ""

    def met(self, value: float) -> bool:
        return value >= self.bound if self.at_least else value <= self.bound


def runs(folder: Path) -> dict[str, list[Run]]:
    """Each kind's runs, in the order they ran."""
    found: dict[str, list[Run]] = {}
    for kind in KINDS:
        path = folder / f"{kind}.jsonl"
        if path.exists():
            lines = path.read_text().splitlines()
            found[kind] = [json.loads(line) for line in lines if line.startswith("{")]
    return found


def ratio(top: str, key: str, bottom: str) -> Callable[[dict[str, Run]], float | None]:
    def figure(one: dict[str, Run]) -> float | None:
        if top not in one or bottom not in one or not one[bottom].get(key):
            return None
        return float(one[top][key] or 0) / float(one[bottom][key])

    return figure


def share(rate: float, kind: str = "limits") -> Callable[[dict[str, Run]], float | None]:
    """Of the platform's overall ceiling, the share a limited run used: messages a second."""

    def figure(one: dict[str, Run]) -> float | None:
        run = one.get(kind)
        return None if run is None else run["messages_sent"] / run["wall_s"] / rate

    return figure


def field(kind: str, key: str, scale: float = 1.0) -> Callable[[dict[str, Run]], float | None]:
    def figure(one: dict[str, Run]) -> float | None:
        run = one.get(kind)
        return None if run is None or run.get(key) is None else float(run[key]) * scale

    return figure


def missing(kind: str) -> Callable[[dict[str, Run]], float | None]:
    """Turns a run did not complete (timed out, or the learner gave up after an error)."""

    def figure(one: dict[str, Run]) -> float | None:
        run = one.get(kind)
        return None if run is None else float(run["turns_expected"] - run["turns_done"])

    return figure


def targets(rate: float, crowd: int) -> list[Target]:
    hocso = [
        ("no limits: hocso turns/s ÷ floor's", ratio("hocso", "turns_per_s", "floor"), 0.75),
        ("no limits: hocso p99 ÷ floor's p99", ratio("hocso", "p99_ms", "floor"), 1.5),
        ("no limits: hocso turns/s ÷ peer's", ratio("hocso", "turns_per_s", "peer"), 3.0),
    ]
    found = [Target(what, figure, bound, "p99" not in what) for what, figure, bound in hocso]
    for limits, hall, how in (("limits", "crowd", ""), ("limits1", "crowd1", ", one message")):
        at, many = f"limits{how}", f"{crowd} learners, limits{how}"
        found += [
            Target(f"{at}: share of the {rate:g}/s ceiling used", share(rate, limits), 0.9, True),
            Target(f"{at}: answers of 429", field(limits, "too_many_429"), 2, False),
            Target(f"{at}: p99 of a turn", field(limits, "p99_ms", 0.001), 2.5, False, " s"),
            Target(f"{many}: turns not completed", missing(hall), 0, False),
            Target(f"{many}: answers of 429", field(hall, "too_many_429"), 2, False),
            Target(
                f"{many}: p99 of a turn",
                field(hall, "p99_ms", 0.001),
                1.5 * crowd / rate,
                False,
                " s",
            ),
        ]
    return found


def spread(values: Sequence[float], digits: int = 2) -> str:
    """`median (low–high)`, or the one value."""
    middle = f"{statistics.median(values):,.{digits}f}"
    if len(values) == 1:
        return middle
    return f"{middle} ({min(values):,.{digits}f}–{max(values):,.{digits}f})"


def table(found: dict[str, list[Run]], rate: float) -> list[str]:
    lines = [
        "| run | learners | turns/s | p50 ms | p99 ms | turns done | errors | 429s | messages |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, kept in found.items():
        if not kept:
            continue
        column = {
            key: [float(run.get(key) or 0) for run in kept]
            for key in kept[0]
            if not isinstance(kept[0][key], dict)
        }
        done = f"{int(statistics.median(column['turns_done']))} of {int(kept[0]['turns_expected'])}"
        lines.append(
            f"| {kind} | {int(kept[0]['chats'])} | {spread(column['turns_per_s'], 1)} "
            f"| {spread(column['p50_ms'], 0)} | {spread(column['p99_ms'], 0)} | {done} "
            f"| {spread(column['errors'], 0)} | {spread(column['too_many_429'], 0)} "
            f"| {spread(column['messages_sent'], 0)} |"
        )
    lines += ["", "| target | figure | bound | |", "|---|---|---|---|"]
    repeats = max((len(kept) for kept in found.values()), default=0)
    rounds = [
        {kind: kept[i] for kind, kept in found.items() if i < len(kept)} for i in range(repeats)
    ]
    halls = found.get("crowd") or found.get("crowd1")
    crowd = int(halls[0]["chats"]) if halls else 200
    for target in targets(rate, crowd):
        values = [v for v in (target.figure(one) for one in rounds) if v is not None]
        if not values:
            continue
        kept = sum(target.met(v) for v in values)
        verdict = "met" if target.met(statistics.median(values)) else "**not met**"
        if len(values) > 1:
            verdict += f" ({kept} of {len(values)} runs)"
        bound = f"{'≥' if target.at_least else '≤'} {target.bound:g}{target.unit}"
        lines.append(f"| {target.what} | {spread(values)}{target.unit} | {bound} | {verdict} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--rate", type=float, default=30.0, help="the platform's messages a second")
    parser.add_argument("--date", default="", help="printed above the table")
    args = parser.parse_args()
    found = runs(args.folder)
    repeats = max((len(kept) for kept in found.values()), default=0)
    print(f"Webhook benchmark {args.date}: {repeats} round(s) of runs; medians (ranges)")
    print("\n".join(table(found, args.rate)))


if __name__ == "__main__":
    main()
