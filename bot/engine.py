"""The engine: a learner's stored state and one inbound event in, the new state and the
messages to send out. It knows lessons and commands, never channels, and stores nothing
itself (a store applies `Engine.handle` atomically; see `bot.tutor`).

A typed reply is read, in order, as: a tap on the buttons last sent (by number, label or
yes/no); a global command (`menu`, `tiếp`, `quay lại`…), unless the current question's own
option fits it; an answer to the current step; else the lesson menu is shown again.

Nothing a learner did is lost on the way: each lesson keeps its own place (`Learner.places`)
when another is opened, and reopening one asks whether to go on or start again; an edited
lesson moves a learner only as far back as it must (`machine.mend`). Deleting data needs a
yes that cannot be read any other way. A learner not understood twice in a row, or who says
they are lost ("không hiểu", "156 là gì"), is told plainly what to do on this step, with
the help button.

A learner may ask for a person at any step (`person`, or its button under the help and lost
messages); words of distress ("tôi bị lừa rồi") that do not answer the step get urgent advice
and the offer of one. The request is routed before the atomic step (`bot.helpdesk.Unrouted`);
while it is open the tutor stays quiet: the learner's words go to the thread for the person
(`bot.helpdesk`), until it closes or they go back to their lesson.

A certificate is recorded the moment it is earned; a learner who has not given the name to
print on it is asked right after (their chat's name offered as a button), and then sent the
certificate's picture (`Outbound.certificate`) and what to learn next. `sửa tên` (and the
results screen's button) corrects the name; `giấy chứng nhận` sends the certificates again.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot import deeplink, helpdesk, payloads, trail
from bot.certified import offered_name, plain_letters, printed_name
from bot.content import Content, ContentHolder
from bot.helpdesk import HelpPolicy, Route, Unrouted
from bot.inbound import Inbound
from bot.learner import Learner, now_vn
from bot.menu import Menu
from bot.messages import COMMANDS
from bot.outbound import Button, Outbound
from bot.privacy import find_secret
from bot.progress import award, new_code, record, suggest_next
from bot.render import Renderer
from bot.summary import progress_text
from bot.tally import Group
from lessons import machine, screen
from lessons.events import Event, Finished, NotUnderstood
from lessons.model import Certificate, Lesson
from lessons.position import Position
from lessons.reading import polarity, read_answer, read_option
from lessons.reading.confirm import confirms, ends_asking, mentions
from lessons.reply import Reply
from lessons.steps import Quiz, Say, Step
from lessons.steps.base import read_choice

MAX_TEXT = 1000  # characters; a longer message is not read at all
# A note at the end of a button's label, "(2/6)" or "(đang học)", is not what a learner
# types to choose it, and its numbers must not compete with the buttons' places.
_NOTE = re.compile(r"\s*\([^()]*\)\s*$")
RESUME = "resume"  # the payload command that shows the current step again
NAMING = "name:"  # `Learner.pending` while the name for certificates is asked: then the ids
# of the certificates to send once it is answered, comma-separated (none: a correction)


class Engine:
    """Applies inbound events to learners, with the content the holder has now."""

    def __init__(
        self,
        content: Content | ContentHolder,
        *,
        clock: Callable[[], datetime] = now_vn,
        make_code: Callable[[], str] = new_code,
        reminding: bool = False,
        help_policy: HelpPolicy | None = None,
    ) -> None:
        self._holder = content if isinstance(content, ContentHolder) else ContentHolder(content)
        self._clock = clock
        self._make_code = make_code
        # Whether reminders are sent (the service, with HOCSO_REMIND_AFTER not off): then
        # stopping for now says one will come, and how to turn them off.
        self.reminding = reminding
        self.help_policy = help_policy or HelpPolicy()

    @property
    def content(self) -> Content:
        return self._holder.current

    def handle(
        self, stored: Learner | None, inbound: Inbound, route: Route | None = None
    ) -> tuple[Learner | None, list[Outbound]]:
        """The learner after this event (None: delete them) and the messages to send, in order.
        Pure: `stored` is not changed, so a store may call this again on a retry. A learner
        who asks for a person needs `route` (`bot.helpdesk.Desks.route`): without it, this
        raises `Unrouted`, and the caller looks it up and calls again."""
        clock = self._clock()
        learner = stored.copy() if stored else Learner.new(inbound.learner, clock)
        turn = _Turn(
            self.content, learner, clock, self._make_code, self.help_policy, route,
            reminding=self.reminding,
        )  # fmt: skip
        learner.turns += 1
        learner.seen_at = turn.now
        if inbound.name:
            learner.name = inbound.name
        turn.run(inbound, new=stored is None)
        replies = compose(turn.out)
        if turn.deleted:
            return None, replies
        if replies:  # a turn that says nothing leaves the buttons shown before
            learner.buttons = [(b.label, b.payload) for b in replies[-1].buttons]
        return learner, replies


def compose(messages: list[Outbound]) -> list[Outbound]:
    """Join a turn's plain texts (no buttons, links or image) to the message after them, so a
    learner gets one message a turn ("✅ Đúng rồi! …" above the next question) and channels
    keep within their per-chat rate limits. Only as many of the texts as still fit one phone
    screen with that message are joined to it (`lessons.screen`); those before go together
    in as few messages as fit. A picture (or a certificate) keeps its own message."""
    composed: list[Outbound] = []
    waiting: list[str] = []
    for message in messages:
        pictured = message.image is not None or message.certificate is not None
        if not (message.buttons or message.links or pictured):
            waiting.append(message.text)
            continue
        take = 0 if pictured else len(waiting)
        while take and not _fits([*waiting[len(waiting) - take :], message.text], message):
            take -= 1
        composed += _packed(waiting[: len(waiting) - take])
        if take:
            joined = "\n\n".join([*waiting[len(waiting) - take :], message.text])
            message = replace(message, text=joined)
        waiting = []
        composed.append(message)
    return composed + _packed(waiting)


def _packed(texts: list[str]) -> list[Outbound]:
    """Plain texts in as few messages as fit a screen each, in order (a text too long
    alone goes alone)."""
    packed: list[list[str]] = []
    for text in texts:
        if packed and _fits([*packed[-1], text], Outbound("")):
            packed[-1].append(text)
        else:
            packed.append([text])
    return [Outbound("\n\n".join(group)) for group in packed]


def spoken(label: str) -> str:
    """A button's label as a learner would type it: without a note at its end."""
    return _NOTE.sub("", label) or label


def _fits(texts: list[str], message: Outbound) -> bool:
    """Whether these texts, as one message with `message`'s buttons and links, fit a screen."""
    labels = [button.label for button in message.buttons] + [link.label for link in message.links]
    return screen.fits("\n\n".join(texts).replace("*", ""), labels)


class _Turn:
    """One event being handled: the learner being changed and the messages said so far."""

    def __init__(
        self,
        content: Content,
        learner: Learner,
        clock: datetime,
        make_code: Callable[[], str],
        help_policy: HelpPolicy,
        route: Route | None,
        *,
        reminding: bool = False,
    ) -> None:
        self.content = content
        self.reminding = reminding
        self.messages = content.messages
        self.learner = learner
        self.clock = clock
        self.now = clock.isoformat()
        self.make_code = make_code
        self.help_policy = help_policy
        self.route = route
        self.out: list[Outbound] = []
        self.deleted = False
        self.misread = False  # this turn's reply was not understood
        self.pending: str | None = None  # what the turn before asked

    def say(self, key: str, buttons: tuple[Button, ...] = (), **values: object) -> None:
        self.out.append(Outbound(self.messages.text(key, **values), buttons))

    # -- dispatch ---------------------------------------------------------------------------

    def run(self, inbound: Inbound, *, new: bool) -> None:
        pending, self.learner.pending = self.learner.pending, None
        self.pending = pending
        if self.learner.help is not None and self.on_the_line(inbound):
            return
        self.dispatch(inbound, pending, new=new)
        self.learner.misread = self.learner.misread + 1 if self.misread else 0

    def dispatch(self, inbound: Inbound, pending: str | None, *, new: bool) -> None:
        if inbound.start is not None:
            self.opening(inbound.start, new=new)
        elif new:
            self.opening("", new=True)
        elif self.repair():
            return
        elif inbound.payload is not None:
            self.tap(inbound.payload, pending)
        elif inbound.text is None or inbound.media is not None:
            self.say(f"input.{inbound.media or 'other'}")
            self.current()
        else:
            self.text(inbound.text, pending)

    def opening(self, start: str, *, new: bool) -> None:
        """A first contact or a (deep) link: open the named lesson (its first step greets);
        else greet, and go back to the lesson in progress or show the menu."""
        link = deeplink.parse(start)
        if link.volunteer and not self.learner.volunteer:
            self.learner.volunteer = link.volunteer
        lesson = self.content.lessons.get(link.lesson or "")
        if lesson is not None:
            self.open_lesson(lesson)
            return
        self.say("greeting" if new else "welcome_back")
        if link.lesson:
            self.say("lesson.missing")
            self.menu()
        elif not new and not self.repair():
            self.current()
        else:
            self.menu()

    def repair(self) -> bool:
        """Mend a position the content no longer fits (an admin edited or removed the lesson).
        True when that took the whole turn."""
        position = self.learner.position
        if position is None:
            return False
        lesson = self.content.lessons.get(position.lesson)
        if lesson is None:  # its results, if they finished it before, stay
            self.learner.position = None
            self.say("lesson.removed")
            self.menu()
            return True
        if machine.is_valid(lesson, position):
            return False
        mended, events = machine.mend(lesson, position)
        if not events:  # their own step is still there: only gone steps were forgotten
            self.learner.position = mended
            return False
        self.say("lesson.changed", title=lesson.title)
        self.apply(lesson, mended, events)
        return True

    def text(self, raw: str, pending: str | None) -> None:
        text = "".join(ch for ch in raw if unicodedata.category(ch) != "Cc" or ch in "\n\t")
        if not text.strip():
            self.say("input.empty")
            self.current()
            return
        if len(text) > MAX_TEXT:
            self.say("input.too_long")
            self.current()
            return
        if self.distressed(text):
            helpdesk.note_recent(self.learner, text)
            self.learner.pending = "distress"
            self.say("person.distress", (self.person_button(), self.keep_learning_button()))
            return
        secret = find_secret(text)
        if secret and not self.is_answer(text):
            self.say(f"sensitive.{secret}")
            self.current()
            return
        command = self.command_of(text)
        if pending == "delete":
            self.confirm_delete(text, command)
            return
        if pending is not None and pending.startswith(NAMING):
            self.take_name(text, command, pending)
            return
        waiting = self.content.lessons.get(pending.removeprefix("resume:")) if pending else None
        if waiting is not None and command == "next":  # "học tiếp" to "go on or start again?"
            self.resume_lesson(waiting)
            return
        lesson, step = self.place()
        buttons = self.learner.buttons
        if self.buttons_are_step() and lesson and step:
            number = read_option(text, [[label] for label, _ in buttons], yes_no=False)
            if number.how == "number" and number.option is not None:
                self.tap(buttons[number.option][1], pending)
            elif command and not self.step_claims(step, text):
                self.command(command)
            else:
                self.answer(lesson, Reply(text=text), asking=self.asks(text))
            return
        if buttons:
            reading = read_option(text, [[spoken(label)] for label, _ in buttons])
            if reading.option is not None and not (command and reading.how in ("typo", "partial")):
                self.tap(buttons[reading.option][1], pending)
                return
        if command:
            self.command(command)
        elif lesson:
            self.answer(lesson, Reply(text=text), asking=self.asks(text))
        elif polarity(text) is True and (
            following := suggest_next(self.learner, self.content.lessons)
        ):
            self.open_lesson(following)  # "ok" to the menu's "Nên học tiếp: …"
        elif self.learner.misread or self.asks(text):
            self.misread = True
            self.lost()
        else:
            self.misread = True
            self.say("menu.unknown")
            self.menu()

    def asks(self, text: str) -> bool:
        """Whether the learner asks what something means ("156 là gì")."""
        return ends_asking(text, self.messages.words("words.asking"))

    def distressed(self, text: str) -> bool:
        """Whether the learner says they were cheated or lost money ("tôi bị lừa rồi"), in a
        reply that neither answers the current step (a scam quiz's "Bị lừa"), nor is a
        button's words (the lesson "Nhận biết lừa đảo qua mạng" in the menu), nor asks what
        something means ("lừa đảo là gì")."""
        if not mentions(text, self.messages.words("words.distress")) or self.asks(text):
            return False
        labels = [[spoken(label)] for label, _ in self.learner.buttons]
        if labels and read_option(text, labels).how in ("exact", "typo"):
            return False
        lesson, step = self.place()
        return not (lesson and step and (self.step_claims(step, text) or self.is_answer(text)))

    def confirm_delete(self, text: str, command: str | None) -> None:
        """Deleting data needs a yes that nothing in the reply contradicts: "dung xoa" may
        be "đừng xóa", so it keeps the data; a command is done instead; anything else asks
        again."""
        buttons = self.learner.buttons
        number = read_option(text, [[label] for label, _ in buttons], yes_no=False)
        if buttons and number.how == "number" and number.option is not None:
            self.tap(buttons[number.option][1], "delete")
            return
        yes = (self.messages.text("buttons.delete_yes"), *self.messages.words("words.delete_yes"))
        decision = confirms(text, yes=yes, hold=self.messages.words("words.hold"))
        if decision is not None:
            self.delete(confirmed=decision)
        elif command is not None and command != "delete":
            self.command(command)
        else:
            self.learner.pending = "delete"
            self.say("delete.unclear", self.delete_buttons())

    def tap(self, payload: str, pending: str | None) -> None:
        tap = payloads.parse(payload)
        lesson, step = self.place()
        if tap is None:
            self.stale()
        elif tap.kind in ("c", "o"):
            if lesson and step and tap.value == payloads.step_mark(lesson.id, step):
                self.answer(lesson, Reply(go_on=tap.kind == "c", option=tap.option))
            else:
                self.stale()
        elif tap.kind in ("l", "r", "s"):
            chosen = self.content.lessons.get(tap.value)
            if chosen is None:
                self.say("lesson.missing")
                self.menu()
            elif tap.kind == "r":
                self.resume_lesson(chosen)
            elif tap.kind == "s":
                self.start_lesson(chosen)
            else:
                self.open_lesson(chosen)
        elif tap.kind == "m":
            self.menu(int(tap.value))
        elif tap.kind == "k" and (tap.value in COMMANDS or tap.value == RESUME):
            self.command(tap.value)
        elif tap.kind == "d" and pending == "delete":
            self.delete(confirmed=tap.value == "yes")
        elif tap.kind == "n" and pending is not None and pending.startswith(NAMING):
            self.name_tap(tap.value, pending)
        else:
            self.stale()

    # -- reading ----------------------------------------------------------------------------

    def command_of(self, text: str) -> str | None:
        """The global command the text says exactly (or with a small typo), if any."""
        phrases = [self.messages.words(f"commands.{name}") for name in COMMANDS]
        reading = read_option(text, phrases, numbered=False, yes_no=False)
        if reading.option is not None and reading.how in ("exact", "typo"):
            return COMMANDS[reading.option]
        return None

    def step_claims(self, step: Step, text: str) -> bool:
        """Whether the current question's own option (or accepted answer) fits the text, in
        which case it wins over the command."""
        if isinstance(step, Quiz) and step.answers:
            return read_answer(text, step.answers)
        if not step.options:
            return False
        reading = read_option(text, [option.phrases for option in step.options])
        return reading.option is not None and reading.how != "typo"

    def is_answer(self, text: str) -> bool:
        """Whether a number-like text is an answer the current question expects (a free
        answer, or an option's own words), so it is read, not warned about as a secret."""
        _, step = self.place()
        if isinstance(step, Quiz) and step.answers:
            return read_answer(text, step.answers)
        if step is None or not step.options:
            return False
        return read_option(text, [option.phrases for option in step.options]).how == "exact"

    def place(self) -> tuple[Lesson | None, Step | None]:
        """The lesson and step the learner is on, if any."""
        position = self.learner.position
        if position is None:
            return None, None
        lesson = self.content.lessons[position.lesson]
        return lesson, lesson.step(position.step)

    # -- lessons ----------------------------------------------------------------------------

    def open_lesson(self, lesson: Lesson) -> None:
        """Start a lesson; one the learner is part-way through asks first whether to go on
        where they were or start again."""
        place = self.learner.place_in(lesson.id)
        if place is None or not (place.history or place.first_try):
            self.start_lesson(lesson)
            return
        go_on = Button(self.messages.text("buttons.resume_place"), payloads.resume(lesson.id))
        again = Button(self.messages.text("buttons.restart"), payloads.restart(lesson.id))
        self.learner.pending = f"resume:{lesson.id}"
        self.say("lesson.resume_or_restart", (go_on, again), title=lesson.title)

    def leave_current(self, lesson: Lesson) -> None:
        """Keep the place in the lesson in progress, if it is another one, for later."""
        position = self.learner.position
        if position is not None and position.lesson != lesson.id:
            self.learner.places[position.lesson] = position
        self.learner.position = None

    def start_lesson(self, lesson: Lesson) -> None:
        """Begin (or retake) a lesson at its first step; where it was left is forgotten."""
        self.leave_current(lesson)
        self.learner.places.pop(lesson.id, None)
        position, events = machine.start(lesson, self.now)
        self.apply(lesson, position, events)

    def resume_lesson(self, lesson: Lesson) -> None:
        """Go back to where the learner left a lesson, mended if the lesson changed since."""
        place = self.learner.place_in(lesson.id)
        if place is None:
            self.start_lesson(lesson)
            return
        self.leave_current(lesson)
        self.learner.places.pop(lesson.id, None)
        self.learner.position = place
        if not self.repair():
            self.current()

    def answer(self, lesson: Lesson, reply: Reply, *, asking: bool = False) -> None:
        """Apply a reply at the current step. A reply not understood twice in a row, or
        that asks what something means, is answered with what to do on this step."""
        assert self.learner.position is not None
        self.note_answer(lesson.step(self.learner.position.step), reply)
        position, events = machine.answer(lesson, self.learner.position, reply, self.content.words)
        if any(isinstance(event, NotUnderstood) for event in events):
            self.misread = True
            if asking or self.learner.misread:
                self.learner.position = position
                self.lost()
                return
        self.apply(lesson, position, events)

    def note_answer(self, step: Step, reply: Reply) -> None:
        """Keep an answer to a question among the learner's recent ones (what a person who
        helps them sees): the option it picks, as its label (typed or tapped alike), else the
        words typed."""
        if isinstance(step, Say):
            return
        choice = read_choice(step, reply) if step.options else None
        if isinstance(choice, int):
            helpdesk.note_recent(self.learner, step.options[choice].label)
        elif reply.text:
            helpdesk.note_recent(self.learner, reply.text)

    def apply(self, lesson: Lesson, position: Position | None, events: list[Event]) -> None:
        before = self.learner.position
        self.learner.position = position
        trail.note(self.learner, lesson.id, events)
        self.out += self.renderer(lesson).events(events)
        for event in events:
            if isinstance(event, Finished):
                self.finish(lesson, event, before.started_at if before else None)

    def finish(self, lesson: Lesson, finished: Finished, started_at: str | None) -> None:
        """Say how the lesson went, award certificates, and offer what to do next."""
        record(self.learner, finished, self.now, started_at, self.content.version)
        if not finished.passed:
            needed = math.ceil(lesson.pass_score * finished.asked - 1e-9)
            buttons: tuple[Button, ...] = (
                Button(self.messages.text("buttons.retake"), payloads.lesson(lesson.id)),
                self.menu_button(),
            )
            self.say("finish.failed", buttons, title=lesson.title, right=finished.right,
                     asked=finished.asked, needed=needed)  # fmt: skip
            return
        text = self.messages.text
        if finished.asked:
            key, counts = "finish.passed_score", {"right": finished.right, "asked": finished.asked}
        else:
            key, counts = "finish.passed", {}
        self.out.append(Outbound(text(key, title=lesson.title, **counts)))
        earned = award(self.learner, self.content.certificates, self.now, self.make_code)
        for certificate in earned:
            code = self.learner.certificates[certificate.id].code
            self.out.append(
                Outbound(text("finish.certificate", title=certificate.title, code=code))
            )
        if earned and self.learner.certificate_name is None:
            # The name to print comes first; the certificate and what next follow it.
            self.ask_name([certificate.id for certificate in earned])
            return
        self.out += [self.certificate_message(certificate) for certificate in earned]
        self.what_next(after=lesson.id)

    def what_next(self, after: str | None = None) -> None:
        """The lesson to learn next, or that all are done, with the buttons for it. Compose
        joins the congratulations before it into one message where it fits a screen."""
        text = self.messages.text
        following = suggest_next(self.learner, self.content.lessons, after=after)
        if following is None:
            self.say("finish.all_done", (self.menu_button(),))
            return
        next_button = Button(text("buttons.next_lesson"), payloads.lesson(following.id))
        self.say("finish.next", (next_button, self.menu_button()), title=following.title)

    # -- certificates -----------------------------------------------------------------------

    def certificate_message(self, certificate: Certificate) -> Outbound:
        """The certificate's picture (and PDF), drawn when it is sent, with its caption."""
        code = self.learner.certificates[certificate.id].code
        caption = self.messages.text("certificate.caption", title=certificate.title, code=code)
        return Outbound(caption, certificate=code)

    def ask_name(self, waiting: list[str]) -> None:
        """Ask the name to print on certificates: the chat profile's as a button, where there
        is one. `waiting`: the certificates to send once it is answered (none: a correction)."""
        self.learner.pending = NAMING + ",".join(waiting)
        current = self.learner.certificate_name
        offered = offered_name(self.learner.name)
        buttons = []
        if offered is not None and offered != current:
            buttons.append(Button(offered, payloads.name("profile")))
        if current is None:
            buttons.append(Button(self.messages.text("certificate.later"), payloads.name("later")))
            self.say("certificate.ask_name", tuple(buttons))
        else:
            buttons.append(Button(self.messages.text("certificate.keep"), payloads.name("keep")))
            self.say("certificate.rename", tuple(buttons), name=current)

    def take_name(self, text: str, command: str | None, pending: str) -> None:
        """A reply to the name question: a button's label or number is a tap (the offered
        name only as written, so a name typed afresh is never read as it), a command is done,
        anything else is the name, or asked again when it cannot be one."""
        buttons = self.learner.buttons
        typed = " ".join(text.split()).casefold()
        for label, payload in buttons:
            if typed == label.casefold():
                self.tap(payload, pending)
                return
        others = [(label, payload) for label, payload in buttons if payload != "n:profile"]
        reading = read_option(text, [[spoken(label)] for label, _ in buttons], yes_no=False)
        chosen = buttons[reading.option] if reading.option is not None else None
        if chosen and (reading.how == "number" or (chosen in others and reading.how == "exact")):
            self.tap(chosen[1], pending)
        elif command is not None:
            self.command(command)
        elif (name := printed_name(text)) is not None:
            self.name_given(name, pending)
        else:
            self.learner.pending = pending
            self.say("certificate.name_invalid", tuple(Button(*b) for b in buttons))

    def name_tap(self, choice: str, pending: str) -> None:
        if choice == "profile" and (name := offered_name(self.learner.name)) is not None:
            self.name_given(name, pending)
        elif choice == "later":
            self.say("certificate.name_later")
            self.send_waiting(pending)
        elif choice == "keep" and self.learner.certificate_name is not None:
            self.say("certificate.name_kept", self.after_name(), name=self.learner.certificate_name)
        else:
            self.stale()

    def name_given(self, name: str, pending: str) -> None:
        self.learner.certificate_name = name
        said = [self.messages.text("certificate.name_saved", name=name)]
        if plain_letters(name):
            said.append(self.messages.text("certificate.name_unmarked"))
        if pending.removeprefix(NAMING):
            self.out += [Outbound(text) for text in said]
            self.send_waiting(pending)
        else:  # a correction: the certificates are there to see again
            *before, last = said
            self.out += [Outbound(text) for text in before]
            self.out.append(Outbound(last, self.after_name()))

    def send_waiting(self, pending: str) -> None:
        """The certificates earned while the name was asked, then what to learn next."""
        for certificate_id in pending.removeprefix(NAMING).split(","):
            certificate = self.content.certificate(certificate_id)
            if certificate is not None and certificate_id in self.learner.standing():
                self.out.append(self.certificate_message(certificate))
        self.what_next()

    def after_name(self) -> tuple[Button, ...]:
        """After the name is set or kept: seeing the certificates, and the way back."""
        shown: tuple[Button, ...] = ()
        if self.learner.standing():
            show = self.messages.text("certificate.show")
            shown = (Button(show, payloads.command("certificates")),)
        return (*shown, *self.resume_buttons())

    def show_certificates(self) -> None:
        """Every certificate that stands, as its picture, then how to keep them."""
        standing = self.learner.standing()
        if not standing:
            self.say("progress.no_certificates", self.resume_buttons())
            return
        for certificate_id in standing:
            certificate = self.content.certificate(certificate_id)
            if certificate is not None:
                self.out.append(self.certificate_message(certificate))
        rename = Button(self.messages.text("certificate.change_name"), payloads.command("name"))
        self.say("certificate.shown", (rename, *self.resume_buttons()))

    # -- commands ---------------------------------------------------------------------------

    def command(self, name: str) -> None:
        lesson, step = self.place()
        position = self.learner.position
        if name == "menu":
            self.menu()
        elif name == "next":
            if lesson is None:
                following = suggest_next(self.learner, self.content.lessons)
                self.start_lesson(following) if following else self.menu()
            elif self.buttons_are_step() and isinstance(step, Say):
                self.answer(lesson, Reply(go_on=True))
            elif self.buttons_are_step():
                self.say("reading.answer_first")
                self.current()
            else:
                self.current()
        elif name in ("repeat", RESUME):
            self.current()
        elif name == "back":
            if lesson and position:
                self.apply(lesson, *machine.back(lesson, position))
            else:
                self.menu()
        elif name == "help":
            buttons = self.resume_buttons(with_menu=self.learner.position is None)
            self.say("help", (*buttons, self.person_button()))
        elif name == "person":
            self.ask_person("distress" if self.pending == "distress" else "asked")
        elif name == "lost":
            self.lost()
        elif name == "progress":
            buttons = self.resume_buttons()
            if self.learner.standing():
                show = Button(
                    self.messages.text("certificate.show"), payloads.command("certificates")
                )
                rename = Button(
                    self.messages.text("certificate.change_name"), payloads.command("name")
                )
                buttons = (show, rename, *buttons)
            self.out.append(Outbound(progress_text(self.learner, self.content), buttons))
        elif name == "certificates":
            self.show_certificates()
        elif name == "name":
            self.ask_name([])
        elif name == "stop":
            if self.reminding and self.learner.remind:
                self.say("stop")
                self.say("remind.later", self.resume_buttons())
            else:
                self.say("stop", self.resume_buttons())
        elif name in ("remind_off", "remind_on"):
            self.learner.remind = name == "remind_on"
            self.say("remind.on" if self.learner.remind else "remind.off", self.resume_buttons())
        elif name == "delete":
            self.learner.pending = "delete"
            self.say("delete.confirm", self.delete_buttons())

    def delete_buttons(self) -> tuple[Button, ...]:
        yes = Button(self.messages.text("buttons.delete_yes"), payloads.delete(True))
        no = Button(self.messages.text("buttons.delete_no"), payloads.delete(False))
        return (no, yes)

    def delete(self, *, confirmed: bool) -> None:
        if confirmed:
            self.deleted = True
            self.say("delete.done", (self.menu_button(),))
        else:
            self.say("delete.cancelled", self.resume_buttons())

    def buttons_are_step(self) -> bool:
        """Whether the buttons last sent are the current step's (its options or continue),
        maybe with command buttons such as help after them."""
        lesson, step = self.place()
        if not (lesson and step and self.learner.buttons):
            return False
        mark = payloads.step_mark(lesson.id, step)
        ours = [mark in payload for _, payload in self.learner.buttons]
        commands = [payload.startswith("k:") for _, payload in self.learner.buttons]
        return any(ours) and all(a or b for a, b in zip(ours, commands, strict=True))

    # -- what to show -----------------------------------------------------------------------

    def current(self) -> None:
        """Show where the learner is: the current step again, or the lesson menu."""
        lesson, step = self.place()
        if lesson and step:
            self.out.append(self.renderer(lesson).step(step, first=step is lesson.first))
        else:
            self.menu()

    def lost(self) -> None:
        """The learner is lost: say plainly what to do on this step (or in the menu), with
        the step's own buttons, the help button and, where the screen has room for it (a
        question with many options leaves it to the help message), a person's."""
        lesson, step = self.place()
        help_button = Button(self.messages.text("buttons.help"), payloads.command("help"))
        if lesson is None or step is None:
            self.say("lost.menu")
            menu = Menu(self.content, self.learner, self.resume_buttons(with_menu=False)).show()
            self.out.append(self.with_person(replace(menu, buttons=(*menu.buttons, help_button))))
            return
        renderer = self.renderer(lesson)
        if step.options:
            text = self.messages.text("lost.options")
            buttons = renderer.option_buttons(step)
        elif isinstance(step, Say):
            text = self.messages.text("lost.say", button=renderer.continue_label(step))
            buttons = renderer.continue_buttons(step)
        else:
            text = self.messages.text("lost.free_answer")
            buttons = ()
        self.out.append(self.with_person(Outbound(text, (*buttons, help_button))))

    def with_person(self, message: Outbound) -> Outbound:
        """The message with the button that asks for a person, when it still fits a screen."""
        asked = replace(message, buttons=(*message.buttons, self.person_button()))
        return asked if _fits([message.text], asked) else message

    # -- a person on the line (bot.helpdesk) ------------------------------------------------

    def person_button(self) -> Button:
        return Button(self.messages.text("buttons.person"), payloads.command("person"))

    def keep_learning_button(self) -> Button:
        return Button(self.messages.text("buttons.keep_learning"), payloads.command(RESUME))

    def back_button(self) -> Button:
        return Button(self.messages.text("buttons.back_to_lesson"), payloads.command(RESUME))

    def ask_person(self, why: str) -> None:
        """Open a request for a person where the learner stands, and say honestly when
        someone will answer (in the quiet hours: the morning) and what to do if it is urgent."""
        if self.route is None:
            raise Unrouted(Group.of(self.learner))
        request = helpdesk.opened(self.learner, self.route, why, self.clock, self.help_policy)
        quiet = self.help_policy.quiet
        when = helpdesk.morning(quiet, self.clock)
        if when == "day" or quiet is None:
            self.say("person.opened", (self.back_button(),), code=request.code)
        else:
            self.say(f"person.opened_{when}", (self.back_button(),), code=request.code,
                     hour=helpdesk.end_hour(quiet))  # fmt: skip

    def on_the_line(self, inbound: Inbound) -> bool:
        """The learner's open request takes this turn (True), or has closed and the turn goes
        on as usual (False): a request past its `until` closes (they are told), a lesson link
        or the way back closes it; anything else goes to the person, every digit hidden, the
        tutor quiet but for a word now and then that it was passed on."""
        request = self.learner.help
        assert request is not None
        if helpdesk.expired(request, self.clock):
            self.learner.help = None
            self.say("person.expired")
            return False
        back = self.back_button()
        if inbound.start is not None:
            self.learner.help = None
            return False
        if inbound.payload is not None:
            if inbound.payload == back.payload:
                self.leave_person()
            else:
                self.say("person.waiting", (back,))
            return True
        if inbound.text is None or inbound.media is not None:
            helpdesk.heard(request, "", self.content.console.text("desk.media"), self.clock,
                           self.help_policy)  # fmt: skip
            self.say("person.media", (back,))
            return True
        text = "".join(ch for ch in inbound.text if unicodedata.category(ch) != "Cc" or ch in "\n")
        if not text.strip():
            self.say("person.waiting", (back,))
            return True
        if self.goes_back(text[:MAX_TEXT]):
            self.leave_person()
            return True
        helpdesk.heard(request, "", text[:MAX_TEXT], self.clock, self.help_policy)
        secret = find_secret(text) is not None  # its digits hidden, as every line's: say so
        if helpdesk.ack_due(request, self.clock, self.help_policy, now=secret):
            self.say("person.masked" if secret else "person.relayed", (back,))
        return True

    def goes_back(self, text: str) -> bool:
        """Whether the learner, while a person is on the line, asks to go back to learning:
        the way-back button's words or number, or one of `words.back_to_lesson`."""
        back = self.back_button()
        shown = [(label, payload) for label, payload in self.learner.buttons]
        if (back.label, back.payload) in shown:
            number = read_option(text, [[label] for label, _ in shown], yes_no=False)
            if number.option is not None and number.how in ("number", "exact"):
                return shown[number.option][1] == back.payload
        phrases = [spoken(back.label), *self.messages.words("words.back_to_lesson")]
        reading = read_option(text, [phrases], numbered=False, yes_no=False)
        return reading.option == 0 and reading.how in ("exact", "typo")

    def leave_person(self) -> None:
        """The learner goes back to learning: the request closes, the lesson shows again."""
        self.learner.help = None
        self.say("person.left")
        self.current()

    def renderer(self, lesson: Lesson) -> Renderer:
        """A renderer for the learner's attempt at `lesson` (its quizzes' option order)."""
        position = self.learner.place_in(lesson.id)
        seed = f"{self.learner.id}/{position.started_at}" if position else self.learner.id
        return Renderer(self.messages, lesson, seed)

    def stale(self) -> None:
        self.say("reading.stale_button")
        self.current()

    def menu(self, view: int = 0) -> None:
        """The lesson menu (see `bot.menu`), led by a way back into the lesson in progress."""
        self.out.append(
            Menu(self.content, self.learner, self.resume_buttons(with_menu=False)).show(view)
        )

    def menu_button(self) -> Button:
        return Button(self.messages.text("buttons.menu"), payloads.command("menu"))

    def resume_buttons(self, *, with_menu: bool = True) -> tuple[Button, ...]:
        """'Go on with <lesson>' when one is in progress, and the menu."""
        return resume_buttons(self.content, self.learner, with_menu=with_menu)


def resume_buttons(
    content: Content, learner: Learner, *, with_menu: bool = True
) -> tuple[Button, ...]:
    """'Go on with <lesson>' when one is in progress, and the menu: the way back to learning
    (also under what ends a talk with a person, `bot.helpdesk.close`)."""
    buttons = []
    position = learner.position
    if position is not None and position.lesson in content.lessons:
        title = content.lessons[position.lesson].title
        label = content.messages.text("buttons.resume", title=title)
        buttons.append(Button(label, payloads.command(RESUME)))
    if with_menu:
        buttons.append(Button(content.messages.text("buttons.menu"), payloads.command("menu")))
    return tuple(buttons)
