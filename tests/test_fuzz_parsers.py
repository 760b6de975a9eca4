"""Fuzzing every channel's parser (handlers/*/parse.py) with Hypothesis: anything `json.loads`
can make, and the valid updates of each channel's own tests with one to three things changed.

A parser may refuse a body only with its own documented error (BadUpdate, BadEvent,
BadMessage: a 400), never with anything else (a 500). What it accepts is well typed and
bounded: ids of a known shape and length (text a store can keep), a kind from a short list,
exactly one thing for the engine, and never a change to the value it was given.

Each channel has three tests: any JSON; its valid updates with one to three random changes;
and a sweep of every one-field change to a few valid updates of different shapes (each value
replaced by each of `ODD_VALUES`, each field dropped), which finds in a fixed set what random
changes find only now and then.
"""

from __future__ import annotations

import re
from typing import Any, get_args

from hypothesis import given, settings
from hypothesis import strategies as st
from test_telegram import GROUP, callback, membership, message
from test_telegram import PARSE_CASES as TELEGRAM_CASES
from test_zalo_bot import PARSED as ZALO_BOT_CASES

from bot.inbound import Inbound, Media
from handlers import telegram, web, zalo_bot, zalo_oa
from handlers.telegram.parse import CALLBACK_DATA
from support.fake_zalo_oa import follow_event, media_event, text_event, user_event
from support.fuzz import examples, json_values, mutated, single_changes
from support.service import callback_update, media_update, start_update, text_update

MEDIA = set(get_args(Media))
START = re.compile(r"[A-Za-z0-9_-]{0,64}")


def check_inbound(inbound: Inbound, learner: str) -> None:
    """Exactly one thing for the engine, of the right type, from `learner`."""
    assert inbound.learner == learner
    given_ = [name for name in ("text", "payload", "start", "media") if getattr(inbound, name)
              is not None]  # fmt: skip
    assert len(given_) == 1, inbound
    assert inbound.text is None or isinstance(inbound.text, str)
    assert inbound.payload is None or (isinstance(inbound.payload, str) and inbound.payload)
    assert inbound.start is None or START.fullmatch(inbound.start)
    assert inbound.media is None or inbound.media in MEDIA


def check_id(value: object, shape: str = r"[\x21-\x7e]{1,128}") -> None:
    """An id: text of printable ASCII, of `shape`."""
    assert isinstance(value, str), value
    assert re.fullmatch(shape, value), value


def _keys(value: object) -> set[str]:
    """Every object key in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {key for inner in value.values() for key in _keys(inner)}
    if isinstance(value, list):
        return {key for inner in value for key in _keys(inner)}
    return set()


def sweep(check: Any, changes: list[Any], *args: object) -> None:
    """`check` every one of `changes`, naming the one that fails."""
    for data in changes:
        try:
            check(data, *args)
        except AssertionError as error:
            raise AssertionError(f"{error} for {ascii(data)[:400]}") from error


def unchanged(parse: Any, data: object, *args: object) -> Any:
    """`parse(data, *args)`, checking that it leaves `data` as it was."""
    before = repr(data)
    try:
        return parse(data, *args)
    finally:
        assert repr(data) == before


# -- Telegram ---------------------------------------------------------------------------------

TELEGRAM_SEEDS = [
    *(case.values[0] for case in TELEGRAM_CASES),
    text_update(12345, "dạ có ạ"),
    start_update(12345, "an-toan-otp_V12"),
    media_update(12345, "photo"),
    callback_update(12345, "o:3f9a1c0b2d:1"),
]
TELEGRAM_KEYS = sorted({key for seed in TELEGRAM_SEEDS for key in _keys(seed)})
# One of each shape for the sweep (PTB is slow to build an update: a sweep of every seed
# would take seconds).
TELEGRAM_SWEEP = single_changes(
    [
        text_update(12345, "dạ có ạ"),
        media_update(12345, "photo"),
        callback(11, "o:3f9a1c0b2d:1"),
        callback(12, "c:3f9a1c0b2d", chat=None),
        membership(29, "member", "kicked"),
        message(31, chat=GROUP, text="/start"),
    ]
)
TELEGRAM_KINDS = {"text", "start", "button", "media"}
TELEGRAM_REACH = {"blocked", "unblocked"}  # my_chat_member: no message, the learner's chat


def check_telegram(data: object) -> None:
    try:
        got = unchanged(telegram.parse_update, data)
    except telegram.BadUpdate:
        return
    assert isinstance(got, telegram.Received)
    assert isinstance(data, dict)
    update_id = data["update_id"]
    assert got.event_id == f"tg:{update_id}" and len(got.event_id) <= 23
    assert got.kind in TELEGRAM_KINDS | TELEGRAM_REACH or re.fullmatch(
        r"ignored:[a-z_-]{1,40}", got.kind
    ), got
    assert (got.reach is not None) == (got.kind in TELEGRAM_REACH) and got.reach in (None, got.kind)
    if got.reach is not None:
        assert got.learner is not None and got.inbound is None
    if got.learner is None:
        assert got.chat is None and got.inbound is None
    else:
        check_id(got.learner, r"tg:-?[0-9]{1,19}")
        assert got.chat == got.learner.removeprefix("tg:")
    if got.inbound is not None:
        assert got.learner is not None and got.kind in TELEGRAM_KINDS
        check_inbound(got.inbound, got.learner)
        if got.inbound.payload is not None:
            assert 0 < len(got.inbound.payload.encode("utf-8", "surrogatepass")) <= CALLBACK_DATA
    if got.callback_id is not None:
        check_id(got.callback_id)
    assert (got.kind == "button") <= (got.callback_id is not None)


@settings(max_examples=examples(0.5))
@given(json_values(TELEGRAM_KEYS))
def test_telegram_any_json(data: object) -> None:
    check_telegram(data)


@settings(max_examples=examples(1))
@given(mutated(TELEGRAM_SEEDS, TELEGRAM_KEYS))
def test_telegram_changed_updates(data: object) -> None:
    check_telegram(data)


def test_telegram_every_one_field_change() -> None:
    sweep(check_telegram, TELEGRAM_SWEEP)


# -- Zalo Bot ---------------------------------------------------------------------------------

ZALO_BOT_SEEDS = [case.values[0] for case in ZALO_BOT_CASES]
ZALO_BOT_KEYS = sorted({key for seed in ZALO_BOT_SEEDS for key in _keys(seed)})


ZALO_BOT_SWEEP = single_changes(ZALO_BOT_SEEDS)


def check_zalo_bot(data: object) -> None:
    try:
        got = unchanged(zalo_bot.parse_update, data)
    except zalo_bot.BadUpdate:
        return
    assert isinstance(got, zalo_bot.Received)
    check_id(got.event_id, r"zb:(-|[\x21-\x7e]{1,128})")
    assert got.kind in ("text", "media") or re.fullmatch(r"ignored:[a-z0-9_.-]{1,40}", got.kind)
    if got.learner is None:
        assert got.chat is None and got.inbound is None
    else:
        assert got.learner == f"zalobot:{got.chat}"
        check_id(got.chat)
        assert got.inbound is not None
        check_inbound(got.inbound, got.learner)
        assert got.inbound.text is not None or got.inbound.media is not None


@settings(max_examples=examples(0.5))
@given(json_values(ZALO_BOT_KEYS))
def test_zalo_bot_any_json(data: object) -> None:
    check_zalo_bot(data)


@settings(max_examples=examples(1))
@given(mutated(ZALO_BOT_SEEDS, ZALO_BOT_KEYS))
def test_zalo_bot_changed_updates(data: object) -> None:
    check_zalo_bot(data)


def test_zalo_bot_every_one_field_change() -> None:
    sweep(check_zalo_bot, ZALO_BOT_SWEEP)


# -- Zalo OA ----------------------------------------------------------------------------------

OA_USER = "246845883529197922"
ZALO_OA_SEEDS = [
    text_event(OA_USER, "Chỉ mình tôi", at="1763884800000"),
    media_event(OA_USER, "image"),
    media_event(OA_USER, "sticker"),
    media_event(OA_USER, "location"),
    follow_event(OA_USER, at="1763884800000"),
    follow_event(OA_USER, "unfollow", at="1763884800000"),
    user_event(OA_USER, "oa_send_text", {"text": "Chào bác"}),
    user_event(OA_USER, "user_seen_message", {"msg_ids": ["a", "b"]}),
    user_event(OA_USER, "user_reacted_message", {"react_icon": "/-heart"}),
]
ZALO_OA_KEYS = sorted({key for seed in ZALO_OA_SEEDS for key in _keys(seed)})
ZALO_OA_SWEEP = single_changes(ZALO_OA_SEEDS)
OA_EVENT, OA_USER_ID = "[a-z0-9_.]{1,64}", "[0-9A-Za-z_-]{1,64}"
# What `handlers.zalo_oa.signature.timestamp_of` hands the parser.
TIMESTAMPS = st.from_regex(r"[0-9]{1,16}", fullmatch=True)


def check_zalo_oa(data: object, timestamp: str) -> None:
    try:
        got = unchanged(zalo_oa.parse_event, data, timestamp)
    except zalo_oa.BadEvent:
        return
    assert isinstance(got, zalo_oa.Received)
    # "zoa:<msg_id>", or "zoa:<event>:<user or ->:<timestamp>" for events without one
    check_id(got.event_id, rf"zoa:([\x21-\x7e]{{1,128}}|{OA_EVENT}:{OA_USER_ID}:[0-9]{{1,16}})")
    assert got.kind in ("text", "start", "media") or re.fullmatch(
        r"ignored:[a-z0-9_.]{1,64}", got.kind
    ), got
    if got.learner is not None:
        assert re.fullmatch(r"zalo:[0-9A-Za-z_-]{1,64}", got.learner), got
    if got.inbound is None:
        assert got.chat is None
    else:
        assert got.learner == f"zalo:{got.chat}"
        check_inbound(got.inbound, got.learner)


@settings(max_examples=examples(0.5))
@given(json_values(ZALO_OA_KEYS), TIMESTAMPS)
def test_zalo_oa_any_json(data: object, timestamp: str) -> None:
    check_zalo_oa(data, timestamp)


@settings(max_examples=examples(1))
@given(mutated(ZALO_OA_SEEDS, ZALO_OA_KEYS), TIMESTAMPS)
def test_zalo_oa_changed_events(data: object, timestamp: str) -> None:
    check_zalo_oa(data, timestamp)


def test_zalo_oa_every_one_field_change() -> None:
    sweep(check_zalo_oa, ZALO_OA_SWEEP, "1763884800000")


# -- the web chat -----------------------------------------------------------------------------

WEB_CHAT = web.chat_of("k" * 32)
assert WEB_CHAT is not None
WEB_SEEDS = [
    {"id": "k3J9-a81Qz", "text": "chi minh toi"},
    {"id": "k3J9-a81R0", "payload": "o:3f9a1c0b2d:0"},
    {"id": "k3J9-a81R1", "start": "an-toan-otp_V123"},
    {"id": "k3J9-a81R2", "start": ""},
]
WEB_KEYS = ["id", "text", "payload", "start"]
WEB_SWEEP = single_changes(WEB_SEEDS)


def check_web(data: object) -> None:
    try:
        got = unchanged(web.parse_message, data, WEB_CHAT)
    except web.BadMessage:
        return
    assert isinstance(got, web.Received)
    assert isinstance(data, dict)
    learner = f"web:{WEB_CHAT}"
    assert got.chat == WEB_CHAT
    assert re.fullmatch(rf"{re.escape(learner)}:[A-Za-z0-9_-]{{8,64}}", got.event_id)
    assert got.kind in ("text", "button", "start")
    check_inbound(got.inbound, learner)
    if got.inbound.payload is not None:
        assert len(got.inbound.payload) <= web.parse.MAX_PAYLOAD


@settings(max_examples=examples(0.5))
@given(json_values(WEB_KEYS))
def test_web_any_json(data: object) -> None:
    check_web(data)


@settings(max_examples=examples(1))
@given(mutated(WEB_SEEDS, WEB_KEYS))
def test_web_changed_messages(data: object) -> None:
    check_web(data)


def test_web_every_one_field_change() -> None:
    sweep(check_web, WEB_SWEEP)
