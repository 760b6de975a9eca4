"""What first-come-first-served delivery can reach under a platform's overall limit.

A model of the webhook benchmark's limited runs (`scripts/bench_webhook.sh`): LEARNERS walk
the same lesson in a closed loop, each answering the moment a turn's last message arrives;
one sender lets RATE messages a second through, each turn's messages together, turns served
in the order they were asked (what `webhook.delivery` does across workers). A turn's wait is
from the learner's answer to its last message. The model leaves out everything but the
limit (no CPU, no network), so it bounds what any first-come-first-served delivery can do:

    python scripts/bench_queue_model.py --learners 50 --rate 28.5 --turns 1,1,1,1,1,2 --rounds 5
    {"learners": 50, "rate": 28.5, "turns": [1, 1, 1, 1, 1, 2], "rounds": 5,
     "mean_s": 1.99, "p50_s": 1.75, "p99_s": 3.44, "max_s": 3.51}

With one message a turn every wait is LEARNERS ÷ RATE. A turn of two messages costs more than
its own second message: learners who start together stay in step, so they all reach it in the
same stretch of time, and the turn after it waits behind every one of them (up to twice
LEARNERS ÷ RATE). For given arrivals, first come, first served makes the longest wait as
short as any order can (a single server's maximum flow time); in a closed loop another order
changes the arrivals too, but none tried in this model did much better at the 99th
percentile (random order within a second, or turns of two messages first: 3.0 s at best with
50 learners, 11 s with 200), and they are unfair by design. So this is the tail to expect.
"""

from __future__ import annotations

import argparse
import heapq
import json
import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Waits:
    """Each turn's wait, in seconds, in the order the turns finished."""

    seconds: list[float]

    def percentile(self, share: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def summary(self) -> dict[str, float]:
        return {
            "mean_s": round(statistics.mean(self.seconds), 2),
            "p50_s": round(self.percentile(0.50), 2),
            "p99_s": round(self.percentile(0.99), 2),
            "max_s": round(max(self.seconds), 2),
        }


def first_come_first_served(learners: int, rate: float, turns: list[int], rounds: int) -> Waits:
    """Run the closed loop: every learner asks its first turn at once (a hall scanning the
    same poster), in order; the sender sends one message every 1/RATE seconds, the oldest
    turn's first."""
    waiting: list[tuple[float, int, int]] = []  # (asked at, learner, turns done)
    for learner in range(learners):
        heapq.heappush(waiting, (0.0, learner, 0))
    clock, waits = 0.0, []
    while waiting:
        asked, learner, done = heapq.heappop(waiting)
        clock = max(clock, asked) + turns[done % len(turns)] / rate
        waits.append(clock - asked)
        if done + 1 < rounds * len(turns):
            heapq.heappush(waiting, (clock, learner, done + 1))
    return Waits(waits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--rate", type=float, default=28.5, help="messages a second sent")
    parser.add_argument(
        "--turns", default="1,1,1,1,1,2", help="messages of each turn of the lesson, in order"
    )
    parser.add_argument("--rounds", type=int, default=5, help="times each learner walks it")
    args = parser.parse_args()
    turns = [int(n) for n in args.turns.split(",")]
    waits = first_come_first_served(args.learners, args.rate, turns, args.rounds)
    shape = {"learners": args.learners, "rate": args.rate, "turns": turns, "rounds": args.rounds}
    print(json.dumps(shape | waits.summary()))


if __name__ == "__main__":
    main()
