"""Checks over a lesson's steps as a whole: every `goto` and `next` names a step, every step
can be reached from the first, and no run of `wait: false` steps loops forever.

A `Route` is what a step says about where the lesson goes after it, read even from a step
with errors elsewhere, so that a wrong `goto` is reported however broken its step is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lessons.fields import Report, closest


@dataclass(frozen=True)
class Goto:
    """A `next` or `goto` as written: the step it names, and where it is."""

    target: str
    line: int
    where: str  # "steps[3] (id 'cau-1'): options[1]"
    key: str  # "next" or "goto"


@dataclass(frozen=True)
class Route:
    """Where the lesson can go after one step."""

    id: str
    where: str
    line: int
    next: Goto | None
    end: bool
    gotos: tuple[Goto, ...]  # the options' `goto`s
    falls_through: bool  # some way out takes `next` or the list order (not every option has goto)
    hurries: bool  # a say with `wait: false`: the next step follows at once
    known: bool = True  # False: the step is too broken to say where it leads


def check_targets(routes: Sequence[Route], ids: Mapping[str, int], report: Report) -> bool:
    """Reports every `next` and `goto` naming no step; True when all name one."""
    good = True
    for route in routes:
        targets = (route.next, *route.gotos) if route.next else route.gotos
        for goto in targets:
            if goto.target in ids:
                continue
            good = False
            guess = closest(goto.target, ids)
            message = f"{goto.where}: {goto.key!r} names no step {goto.target!r}"
            report.add(goto.line, f"{message}; did you mean {guess!r}?" if guess else message)
    return good


def check_paths(routes: Sequence[Route], report: Report) -> None:
    """Reachability and endless loops; only for steps whose routes are all known and good."""
    by_id = {route.id: route for route in routes}
    following = {
        route.id: routes[index + 1].id if index + 1 < len(routes) else None
        for index, route in enumerate(routes)
    }

    def default(route: Route) -> str | None:
        if route.end:
            return None
        return route.next.target if route.next else following[route.id]

    reached = {routes[0].id}
    waiting = [routes[0]]
    while waiting:
        route = waiting.pop()
        targets = [goto.target for goto in route.gotos]
        after = default(route)
        if route.falls_through and after is not None:
            targets.append(after)
        for target in targets:
            if target not in reached:
                reached.add(target)
                waiting.append(by_id[target])
    first = routes[0].id
    for route in routes:
        if route.id not in reached:
            report.add(
                route.line,
                f"{route.where}: no path reaches this step from the first step {first!r} "
                "(lead to it with 'next' or 'goto', or remove it)",
            )

    # `wait: false` steps go on by themselves: a loop made only of them never stops.
    position = {route.id: index for index, route in enumerate(routes)}
    done: set[str] = set()
    for route in routes:
        path: list[Route] = []
        on_path: set[str] = set()
        current: Route | None = route
        while current is not None and current.hurries and current.id not in done:
            if current.id in on_path:
                loop = path[path.index(current) :]
                start = min(loop, key=lambda step: position[step.id])
                turn = loop.index(start)
                names = [step.id for step in loop[turn:] + loop[:turn]]
                chain = " → ".join(repr(name) for name in [*names, names[0]])
                if len(loop) == 1:
                    said = (
                        "this step has 'wait: false' and leads back to itself, so it would "
                        "repeat forever without waiting for the learner; let it wait"
                    )
                else:
                    said = (
                        f"the steps {chain} have 'wait: false', so they would repeat forever "
                        "without waiting for the learner; let one of them wait"
                    )
                report.add(start.line, f"{start.where}: {said}")
                break
            path.append(current)
            on_path.add(current.id)
            after = default(current)
            current = by_id[after] if after is not None else None
        done.update(on_path)
