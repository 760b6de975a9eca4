"""The Vietnamese of content/: full diacritics, lengths that fit a small phone, no step that
asks for a secret in the chat, quizzes with explanations, links to official sites only, and
words that do not confuse (cúp máy, no praise for a child, no law numbers, today's bodies).

Each check is a function that returns problems (`[]` when all is well), run per lesson on the
real content and, at the end, on broken copies of lessons to show that it catches them.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from lessons.loader import load_lessons
from lessons.model import Lesson
from lessons.steps import Quiz, Say

REPO = Path(__file__).resolve().parents[1]
CONTENT_DIR = REPO / "content"
WALK_DATA = Path(__file__).parent / "data" / "walk"
ALLOWLIST = WALK_DATA / "allowed_undiacritised.yaml"
LESSON_IDS = sorted(path.stem for path in (CONTENT_DIR / "lessons").glob("*.yaml"))
MESSAGES = "messages"  # stands for messages.yaml where a lesson id goes

# -- full diacritics --------------------------------------------------------------------------

# Vietnamese words written without their diacritics, each with its right spelling. Only
# words whose bare spelling is no Vietnamese word at all, so that a hit is always a mistake:
# - a syllable ending in p, t, c or ch always carries a sắc or nặng mark (học, giúp, cách);
# - "ie", "ye" and "uo" are always "iê", "yê" and "uô"/"ươ" (tiền, người, được);
# - the others were checked one by one (khong, neu, gui, mot have no bare meaning).
# Left out on purpose, because the bare spelling is a real word: cua (crab), chua (sour),
# roi (whip), voi (elephant), nhung (velvet), dung (nội dung, dung lượng), ban (ban ngày),
# chau (chau mày), bai (chối bai bải), nhe (nhe răng), toi (chết toi), minh (thông minh),
# lam (xanh lam), nay (hôm nay), ung dung (leisurely), cho, la, ma, thi, tin, xong...
# Phrases of words that are each real bare (ngan: a duck, hang: a cave) but never together.
UNDIACRITISED: dict[str, str] = {
    # endings p, t, c, ch without a mark
    "hoc": "học",
    "bac": "bác",
    "hoac": "hoặc",
    "giup": "giúp",
    "nhap": "nhập",
    "xac": "xác",
    "cach": "cách",
    "khach": "khách",
    "dich": "dịch",
    # iê, yê, uô, ươ without their marks
    "duoc": "được",
    "nguoi": "người",
    "tien": "tiền",
    "tieng": "tiếng",
    "viet": "Việt",
    "viec": "việc",
    "dien": "điện",
    "biet": "biết",
    "hieu": "hiểu",
    "nhieu": "nhiều",
    "tiep": "tiếp",
    "truoc": "trước",
    "duoi": "dưới",
    "duong": "đường",
    "muon": "muốn",
    "chuyen": "chuyển",
    "cuoc": "cuộc",
    # checked one by one
    "khong": "không",
    "neu": "nếu",
    "gui": "gửi",
    "mot": "một",
    # phrases
    "ngan hang": "ngân hàng",
    "mat khau": "mật khẩu",
    "tai khoan": "tài khoản",
    "thong tin": "thông tin",
    "tra loi": "trả lời",
    "an toan": "an toàn",
    "lua dao": "lừa đảo",
    "cong an": "công an",
    "tin nhan": "tin nhắn",
    "nhan tin": "nhắn tin",
    "ma otp": "mã OTP",
}

URL_OR_DOMAIN = re.compile(r"https?://\S+|\S*\w\.\w\S*")  # links, dichvucong.gov.vn, 2.1.10


def _whole(phrase: str) -> re.Pattern[str]:
    words = r"\s+".join(re.escape(word) for word in phrase.split())
    return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


PATTERNS = {word: _whole(word) for word in UNDIACRITISED}


@dataclass(frozen=True)
class Text:
    """One text a learner reads: which lesson (or messages.yaml), where in it, and the text."""

    lesson: str
    where: str
    text: str


def lesson_texts(lesson: Lesson) -> Iterator[Text]:
    """Every learner-facing text of a lesson; not `also` phrases nor accepted `answers`,
    which list what learners type."""
    yield Text(lesson.id, "title", lesson.title)
    if lesson.summary:
        yield Text(lesson.id, "summary", lesson.summary)
    for step in lesson.steps:
        at = f"step {step.id!r}"
        yield Text(lesson.id, f"{at} {step.kind}", step.text)
        for k, option in enumerate(step.options, start=1):
            yield Text(lesson.id, f"{at} option {k} label", option.label)
        for k, link in enumerate(step.links, start=1):
            yield Text(lesson.id, f"{at} link {k} label", link.label)
        if isinstance(step, Quiz):
            if step.explain:
                yield Text(lesson.id, f"{at} explain", step.explain)
            if step.hint:
                yield Text(lesson.id, f"{at} hint", step.hint)
        if isinstance(step, Say) and step.button:
            yield Text(lesson.id, f"{at} button", step.button)


def message_texts(path: Path) -> Iterator[Text]:
    """Every sentence of messages.yaml but the `commands` and `words` lists (what learners
    type)."""

    def walk(node: Any, key: str) -> Iterator[Text]:
        if isinstance(node, dict):
            for name, value in node.items():
                if key or name not in ("commands", "words"):
                    yield from walk(value, f"{key}.{name}" if key else str(name))
        elif isinstance(node, list):
            for value in node:
                yield from walk(value, key)
        elif isinstance(node, str):
            yield Text(MESSAGES, key, node)

    yield from walk(yaml.safe_load(path.read_text(encoding="utf-8")), "")


def load_allowlist(path: Path = ALLOWLIST) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return entries


def undiacritised(text: Text) -> list[str]:
    """The words of UNDIACRITISED this text has (lower case), outside links and domains."""
    plain = URL_OR_DOMAIN.sub(" ", unicodedata.normalize("NFC", text.text))
    return [word for word, pattern in PATTERNS.items() if pattern.search(plain)]


def diacritics_problems(texts: list[Text], allowed: list[dict[str, str]]) -> list[str]:
    pairs = {(entry["lesson"], entry["word"]) for entry in allowed}
    return [
        f"{text.lesson} {text.where}: {word!r} without diacritics, write "
        f"{UNDIACRITISED[word]!r} (or list it in {ALLOWLIST.name} if a learner must type it so)"
        for text in texts
        for word in undiacritised(text)
        if (text.lesson, word) not in pairs
    ]


def allowlist_problems(texts: list[Text], allowed: list[dict[str, str]]) -> list[str]:
    """Each entry names a checked word, gives a reason, and is still needed."""
    found = {(text.lesson, word) for text in texts for word in undiacritised(text)}
    problems = []
    for entry in allowed:
        if set(entry) != {"lesson", "word", "reason"} or not str(entry["reason"]).strip():
            problems.append(f"{entry}: give exactly lesson, word and reason")
        elif entry["word"] not in UNDIACRITISED:
            problems.append(f"{entry}: {entry['word']!r} is not a word the check looks for")
        elif (entry["lesson"], entry["word"]) not in found:
            problems.append(f"{entry}: no longer needed, remove it")
    return problems


# -- lengths ----------------------------------------------------------------------------------

MAX_TITLE = 50  # the lesson menu's button
MAX_STEP_TEXT = 600  # one chat bubble an elderly learner reads without scrolling away
MAX_BUTTON = 40  # a button on a small phone: option labels, continue buttons, link labels


def length_problems(lesson: Lesson) -> list[str]:
    limits = []
    limits.append(("title", lesson.title, MAX_TITLE))
    for step in lesson.steps:
        at = f"step {step.id!r}"
        limits.append((f"{at} text", step.text.strip(), MAX_STEP_TEXT))
        limits += [
            (f"{at} option {k} label", option.label, MAX_BUTTON)
            for k, option in enumerate(step.options, start=1)
        ]
        limits += [
            (f"{at} link {k} label", link.label, MAX_BUTTON)
            for k, link in enumerate(step.links, start=1)
        ]
        if isinstance(step, Say) and step.button:
            limits.append((f"{at} button", step.button, MAX_BUTTON))
    return [
        f"{lesson.id} {where}: {len(text)} characters, at most {limit}: {text[:60]!r}"
        for where, text, limit in limits
        if len(text) > limit
    ]


# -- secrets ----------------------------------------------------------------------------------

_VERB = r"(?:gõ|(?<!đăng )nhập|gửi|nhắn|đọc|viết|chép|dán|đưa|cung cấp|điền)"
_SECRET = (
    r"(?:mã otp|otp|mã xác nhận|mã kích hoạt|mã pin|mật khẩu|mật mã|passcode|số căn cước"
    r"|ảnh (?:thẻ )?căn cước|số định danh|số thẻ|số tài khoản|mã(?! (?:qr|hồ sơ)))"
)
_NAMED_SECRET = _SECRET.replace(r"|mã(?! (?:qr|hồ sơ))", "")  # "Gửi mã đi là…" is no ask
_HERE = (
    r"(?:vào đây|ở đây|lên đây|qua đây|cho cháu|cho học số"
    r"|(?:vào|trong) (?:cuộc trò chuyện|ô chat|khung chat) (?:này|với cháu))"
)
_NEGATOR = r"(?:không|đừng|chớ|chẳng|lỡ|nếu|cấm)"
_SAME = rf"(?:(?!{_NEGATOR}\b)[^.!?\n])"  # a character of the same sentence, before any no
# Asking for a secret in the chat: "gõ mã OTP vào đây", "gửi cho cháu mật khẩu", "Bác nhắn
# số căn cước". Matched from each verb of a sentence with no "không", "đừng"... before it.
ASKS_FOR_SECRET = (
    re.compile(rf"{_VERB}\b{_SAME}{{0,60}}?\b{_SECRET}\b{_SAME}{{0,80}}?\b{_HERE}"),
    re.compile(rf"{_VERB}\b{_SAME}{{0,15}}?\b{_HERE}{_SAME}{{0,30}}?\b{_SECRET}\b"),
    re.compile(
        rf"(?:^|(?<=[.!?\n:;])\s*|\bbác |\bhãy |\bmời bác )"
        rf"(?P<ask>(?:nhắn|gửi) (?:ngay |luôn |lại )?(?:cho cháu )?{_NAMED_SECRET})\b"
    ),
)
# Telling the learner to type a secret: the step must say where it goes.
TYPE_SECRET = re.compile(rf"(?:gõ|(?<!đăng )nhập)\b[^.!?\n]{{0,25}}?\b{_SECRET}\b")
SAYS_WHERE = re.compile(
    r"(?:vào|trên|trong) (?:ứng dụng|ô|trang|zalo|vneid|máy|màn hình)"
    r"|không (?:cần )?(?:gõ|gửi|nhắn) (?:vào đây|cho cháu|vào cuộc trò chuyện)"
)
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|'[^']*'")  # what someone else says, e.g. a scammer
_SENTENCE_END = ".!?\n:;"


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower().replace("*", "").replace("_", " ")
    return _QUOTED.sub(" ", text)


def _unnegated(pattern: re.Pattern[str], text: str) -> Iterator[str]:
    """Every match of `pattern` starting at a place that no "không", "đừng"... before it in
    its sentence turns around."""
    negator = re.compile(rf"(?<!\w){_NEGATOR}(?!\w)")
    for start in range(len(text)):
        found = pattern.match(text, start)
        if found is None:
            continue
        sentence = max(text.rfind(mark, 0, start) for mark in _SENTENCE_END) + 1
        if not negator.search(text, sentence, start):
            yield found.group("ask") if "ask" in pattern.groupindex else found.group()


def asks_for_secret(text: str) -> list[str]:
    """The phrases of a text that ask the learner to send a secret into the chat."""
    plain = _plain(text)
    found = [phrase for pattern in ASKS_FOR_SECRET for phrase in _unnegated(pattern, plain)]
    return list(dict.fromkeys(found))


def secret_problems(lesson: Lesson) -> list[str]:
    problems = []
    for step in lesson.steps:
        texts = [("text", step.text)]
        if isinstance(step, Quiz):
            texts += [("explain", step.explain or ""), ("hint", step.hint or "")]
        for name, text in texts:
            problems += [
                f"{lesson.id} step {step.id!r} {name} asks for a secret in the chat: {found!r}"
                for found in asks_for_secret(text)
            ]
    return problems


def where_problems(lesson: Lesson) -> list[str]:
    """A step that tells the learner to type a secret says where: "vào ứng dụng VNeID", "trên
    trang", "không gõ vào đây"."""
    problems = []
    for step in lesson.steps:
        plain = _plain(step.text)
        typed = next(_unnegated(TYPE_SECRET, plain), None)
        if typed is not None and not SAYS_WHERE.search(plain):
            problems.append(
                f"{lesson.id} step {step.id!r} says {typed!r} but not where to type it "
                "(e.g. 'vào ô Mật khẩu trên máy', 'vào ứng dụng VNeID, không gõ vào đây')"
            )
    return problems


# -- structure and links ----------------------------------------------------------------------

MIN_QUIZZES = 2
# Links may only open official pages. Each host, and why it is official:
OFFICIAL_HOSTS = {
    "vneid.gov.vn": "VNeID, the national e-ID (Bộ Công an)",
    "dichvucong.gov.vn": "the National Public Service Portal",
    "play.google.com": "Google Play, where Android apps come from",
    "apps.apple.com": "the App Store, where iPhone apps come from",
    "tinnhiemmang.vn": "the national list of scam sites (NCSC), which Bộ Công an points to",
}
OFFICIAL_SUFFIXES = (".gov.vn",)  # any state body: sso.dancuquocgia.gov.vn, *.gov.vn


def official(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return (
        parts.scheme == "https"
        and (host in OFFICIAL_HOSTS or host.endswith(OFFICIAL_SUFFIXES))
        and not parts.username
    )


def structure_problems(lesson: Lesson) -> list[str]:
    problems = []
    quizzes = [step for step in lesson.steps if isinstance(step, Quiz)]
    if len(quizzes) < MIN_QUIZZES:
        problems.append(f"{lesson.id}: {len(quizzes)} quiz step(s), at least {MIN_QUIZZES}")
    problems += [
        f"{lesson.id} step {q.id!r}: a quiz with no 'explain'" for q in quizzes if not q.explain
    ]
    if not lesson.minutes:
        problems.append(f"{lesson.id}: no 'minutes'")
    if not lesson.summary:
        problems.append(f"{lesson.id}: no 'summary'")
    for step in lesson.steps:
        problems += [
            f"{lesson.id} step {step.id!r}: link {link.url!r} is not https on an official site"
            for link in step.links
            if not official(link.url)
        ]
        image = step.image or ""
        if "://" in image and not official(image):
            problems.append(f"{lesson.id} step {step.id!r}: image {image!r} is not official")
    return problems


# -- words that confuse -----------------------------------------------------------------------

# Words a learner may misread, or that were true before 2025, each with what to write instead.
# Quoted speech (what a scammer or a relative says) is not checked.
WORDING: dict[str, str] = {
    r"tắt máy": "it can mean switching the phone off: write 'cúp máy' (end the call)",
    r"giỏi quá|giỏi lắm|tốt lắm|ngoan quá|tuyệt vời": (
        "praise for a child: say what the learner has done, or 'Dạ, bác làm đúng rồi ạ'"
    ),
    r"\d+/\d{4}/(?:nđ-cp|qh\d+|tt-\w+)|\d+/qđ-\w+": (
        "a legal document's number: move it to a YAML comment next to the fact, with its source"
    ),
    r"huyện|quận": "there are no districts since 1/7/2025: say 'xã', 'phường' or 'tỉnh'",
    r"bộ phận một cửa": (
        "since 1/7/2025 the commune's desk is the 'Trung tâm Phục vụ hành chính công' "
        "(Nghị định 118/2025/NĐ-CP)"
    ),
    r"bộ thông tin và truyền thông|bộ tt&tt|bộ tt-tt": (
        "merged into Bộ Khoa học và Công nghệ on 1/3/2025"
    ),
}
WORDING_PATTERNS = {rule: re.compile(rf"(?<!\w)(?:{rule})(?!\w)") for rule in WORDING}


def confusing_words(text: Text) -> list[str]:
    """The words of a text that a WORDING rule finds, outside quotes (lower case)."""
    plain = _plain(text.text)
    return [
        found.group() for pattern in WORDING_PATTERNS.values() for found in pattern.finditer(plain)
    ]


def wording_problems(texts: list[Text]) -> list[str]:
    problems = []
    for text in texts:
        plain = _plain(text.text)
        for rule, pattern in WORDING_PATTERNS.items():
            problems += [
                f"{text.lesson} {text.where}: {found.group()!r}: {WORDING[rule]}"
                for found in pattern.finditer(plain)
            ]
    return problems


# -- the real content ---------------------------------------------------------------------------


def load(root: Path) -> dict[str, Lesson]:
    lessons, problems = load_lessons(root)
    assert not problems, problems
    return lessons


@pytest.fixture(scope="module")
def lessons() -> dict[str, Lesson]:
    return load(CONTENT_DIR)


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_lesson_texts_have_full_diacritics(lessons: dict[str, Lesson], lesson_id: str) -> None:
    problems = diacritics_problems(list(lesson_texts(lessons[lesson_id])), load_allowlist())
    assert not problems, "\n".join(problems)


def test_messages_have_full_diacritics() -> None:
    texts = list(message_texts(CONTENT_DIR / "messages.yaml"))
    assert len(texts) > 50 and not any(text.where.startswith("commands") for text in texts)
    problems = diacritics_problems(texts, load_allowlist())
    assert not problems, "\n".join(problems)


def test_console_texts_have_full_diacritics() -> None:
    texts = list(message_texts(CONTENT_DIR / "console.yaml"))
    assert len(texts) > 30
    problems = diacritics_problems(texts, load_allowlist())
    assert not problems, "\n".join(problems)


def test_every_allowed_undiacritised_word_is_still_needed_and_has_a_reason(
    lessons: dict[str, Lesson],
) -> None:
    texts = [text for lesson in lessons.values() for text in lesson_texts(lesson)]
    texts += list(message_texts(CONTENT_DIR / "messages.yaml"))
    problems = allowlist_problems(texts, load_allowlist())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_texts_fit_a_small_phone(lessons: dict[str, Lesson], lesson_id: str) -> None:
    problems = length_problems(lessons[lesson_id])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_no_step_asks_for_a_secret_in_the_chat(lessons: dict[str, Lesson], lesson_id: str) -> None:
    problems = secret_problems(lessons[lesson_id])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_a_step_that_has_a_secret_typed_says_where(
    lessons: dict[str, Lesson], lesson_id: str
) -> None:
    problems = where_problems(lessons[lesson_id])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_quizzes_explanations_summary_and_official_links(
    lessons: dict[str, Lesson], lesson_id: str
) -> None:
    problems = structure_problems(lessons[lesson_id])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_lesson_texts_use_words_that_do_not_confuse(
    lessons: dict[str, Lesson], lesson_id: str
) -> None:
    problems = wording_problems(list(lesson_texts(lessons[lesson_id])))
    assert not problems, "\n".join(problems)


def test_messages_use_words_that_do_not_confuse() -> None:
    problems = wording_problems(list(message_texts(CONTENT_DIR / "messages.yaml")))
    assert not problems, "\n".join(problems)


# -- the checks catch what they should --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Bác gõ mã OTP vào đây nhé.", ["gõ mã otp vào đây"]),
        ("Gửi mã OTP cho cháu để cháu kiểm tra giúp.", ["gửi mã otp cho cháu", "gửi mã otp"]),
        ("Bác nhắn số căn cước nhé.", ["nhắn số căn cước"]),
        ("Bác gửi cho cháu *mật khẩu* Zalo.", ["gửi cho cháu mật khẩu"]),
        ("Xong rồi, bác đọc passcode ở đây để cháu ghi lại.", ["đọc passcode ở đây"]),
        ("Gõ mã vào ứng dụng VNeID, không gõ vào đây.", []),
        ("Không gõ mã OTP vào đây, không đọc mã cho ai.", []),
        ("Cháu không bao giờ bảo bác gõ mã OTP, mật khẩu vào cuộc trò chuyện này.", []),
        ("Lỡ gõ mật khẩu hay mã vào cuộc trò chuyện với cháu: bác đổi mật khẩu.", []),
        ("Có người nhắn: “Bác gửi mã OTP cho cháu nhé”. Đó là lừa đảo.", []),
        ("Bác gửi mã hồ sơ cho cháu xem.", []),
        ("Không gửi mã cho ai, kể cả người quen.", []),
    ],
)
def test_asks_for_secret_reads_a_sentence(text: str, found: list[str]) -> None:
    assert asks_for_secret(text) == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Bác giữ *dichvucong.gov.vn* và https://vneid.gov.vn/khong-duoc.", []),
        ("Bác khong can go dau.", ["khong"]),
        ("Vào Ngan Hang, nhập Mật khẩu.", ["ngan hang"]),
        ("Bài học hôm nay, nội dung: dung lượng, chua, cua, roi.", []),
        ("Bấm Tiếp tục hoặc gõ tiep.", ["tiep"]),
        ("Vietcombank, Viettel, hocso", []),
    ],
)
def test_undiacritised_finds_whole_words_outside_links(text: str, found: list[str]) -> None:
    assert undiacritised(Text("x", "y", text)) == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Bác tắt máy, rồi gọi số in trên thẻ.", ["tắt máy"]),
        ("Bác cúp máy, rồi gọi số in trên thẻ. Tắt nguồn điện thoại thì khác.", []),
        ("Bác đã học xong. Giỏi quá!", ["giỏi quá"]),
        ("Theo Quyết định 2345/QĐ-NHNN, từ ngày 1/7/2024…", ["2345/qđ-nhnn"]),
        ("Luật 91/2025/QH15 và Nghị định 69/2024/NĐ-CP", ["91/2025/qh15", "69/2024/nđ-cp"]),
        ("Giao trong huyện, gửi xe đi tỉnh.", ["huyện"]),
        ("Hỏi bộ phận một cửa của xã.", ["bộ phận một cửa"]),
        ("Kẻ gian nói: “Tôi ở huyện, bác tắt máy đi”.", []),
    ],
)
def test_confusing_words_are_found_outside_quotes(text: str, found: list[str]) -> None:
    assert confusing_words(Text("x", "y", text)) == found


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://vneid.gov.vn", True),
        ("https://sso.dancuquocgia.gov.vn/login", True),
        ("https://play.google.com/store/apps/details?id=com.vnid", True),
        ("http://dichvucong.gov.vn", False),
        ("https://dichvucong.gov.vn.evil.top", False),
        ("https://dichvucong-gov.com", False),
        ("https://bit.ly/vneid", False),
        ("https://evil.com@dichvucong.gov.vn", False),
    ],
)
def test_official_links(url: str, ok: bool) -> None:
    assert official(url) is ok


def broken_copy(tmp: Path, lesson_id: str, old: str, new: str) -> Lesson:
    """A copy of content/ with one lesson's text changed, loaded."""
    root = tmp / "content"
    shutil.copytree(CONTENT_DIR, root)
    path = root / "lessons" / f"{lesson_id}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {lesson_id}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load(root)[lesson_id]


BROKEN = [
    (
        "diacritics",
        "an-toan-otp",
        "quiz: Ai được biết mã OTP của bác?",
        "quiz: Ai duoc biet mã OTP của bác?",
        "an-toan-otp step 'cau-1' quiz: 'duoc' without diacritics",
    ),
    (
        "diacritics",
        "cai-ung-dung",
        "label: Tên nhà phát triển",
        "label: Ten nha phat trien (tieng Viet)",
        "cai-ung-dung step 'cau-4' option 1 label: 'tieng' without diacritics",
    ),
    (
        "wording",
        "an-toan-otp",
        "label: Cúp máy, gọi số in trên thẻ",
        "label: Tắt máy, gọi số in trên thẻ",
        "an-toan-otp step 'cau-2' option 2 label: 'tắt máy'",
    ),
    (
        "length",
        "zalo-co-ban",
        "title: Zalo cơ bản",
        "title: Zalo cơ bản cho người mới bắt đầu dùng điện thoại thông minh",
        "zalo-co-ban title: 60 characters, at most 50",
    ),
    (
        "length",
        "an-toan-otp",
        "label: Chỉ mình tôi",
        "label: Chỉ mình tôi, không ai khác, kể cả con cháu trong nhà",
        "an-toan-otp step 'cau-1' option 1 label: 53 characters, at most 40",
    ),
    (
        "length",
        "an-toan-otp",
        "Bác cũng có thể gọi thẳng 156 (miễn phí).",
        "Bác cũng có thể gọi thẳng 156 (miễn phí)." + " Nhớ gọi 156 nhé." * 30,
        "an-toan-otp step 'bao-156' text: 732 characters, at most 600",
    ),
    (
        "secret",
        "cai-dat-vneid",
        "Bác mở tin nhắn xem mã, rồi gõ mã vào ô trong ứng dụng VNeID.",
        "Bác mở tin nhắn xem mã, rồi gõ mã OTP vào đây cho cháu.",
        "cai-dat-vneid step 'kh-otp' text asks for a secret in the chat: 'gõ mã otp vào đây'",
    ),
    (
        "where",
        "cai-dat-vneid",
        "Bác gõ 2 thứ *vào ứng dụng VNeID*, không gõ vào đây nhé:",
        "Bác gõ *số định danh* và số điện thoại:",
        "cai-dat-vneid step 'kh-2' says 'gõ số định danh' but not where",
    ),
    (
        "structure",
        "cai-ung-dung",
        "    explain: Xem tên nhà phát triển ghi dưới tên ứng dụng.",
        "    hint: Xem tên nhà phát triển ghi dưới tên ứng dụng.",
        "cai-ung-dung step 'cau-4': a quiz with no 'explain'",
    ),
    (
        "structure",
        "hoi-tro-ly-ai",
        "minutes: 10\n",
        "",
        "hoi-tro-ly-ai: no 'minutes'",
    ),
    (
        "structure",
        "nhan-biet-lua-dao",
        "url: https://tinnhiemmang.vn/website-lua-dao",
        "url: https://tinnhiemmang.vn.kiem-tra.top/website-lua-dao",
        "nhan-biet-lua-dao step 'chieu-2': link 'https://tinnhiemmang.vn.kiem-tra.top/",
    ),
]
CHECKS = {
    "diacritics": lambda lesson: diacritics_problems(list(lesson_texts(lesson)), []),
    "wording": lambda lesson: wording_problems(list(lesson_texts(lesson))),
    "length": length_problems,
    "secret": secret_problems,
    "where": where_problems,
    "structure": structure_problems,
}


@pytest.mark.parametrize(
    ("check", "lesson_id", "old", "new", "expected"),
    BROKEN,
    ids=[f"{check}-{lesson_id}" for check, lesson_id, *_ in BROKEN],
)
def test_each_check_catches_a_broken_lesson(
    tmp_path: Path, check: str, lesson_id: str, old: str, new: str, expected: str
) -> None:
    problems = CHECKS[check](broken_copy(tmp_path, lesson_id, old, new))
    assert any(problem.startswith(expected) for problem in problems), problems


def test_a_lesson_with_one_quiz_no_summary_and_a_short_link_is_caught(
    tmp_path: Path,
) -> None:
    root = tmp_path / "content"
    (root / "lessons").mkdir(parents=True)
    shutil.copy(WALK_DATA / "lessons" / "mot-cau.yaml", root / "lessons")
    problems = structure_problems(load(root)["mot-cau"])
    assert problems == [
        "mot-cau: 1 quiz step(s), at least 2",
        "mot-cau: no 'minutes'",
        "mot-cau: no 'summary'",
        "mot-cau step 'chao': link 'https://bit.ly/vneid-moi' is not https on an official site",
    ]


def test_an_allowlisted_word_is_allowed_only_in_its_lesson() -> None:
    texts = [Text("an-toan-otp", "step 'x' say", "Khong"), Text("zalo-co-ban", "title", "khong")]
    allowed = [{"lesson": "an-toan-otp", "word": "khong", "reason": "quoted SMS"}]
    assert [p.split(":")[0] for p in diacritics_problems(texts, allowed)] == ["zalo-co-ban title"]


def test_the_allowlist_check_catches_stale_and_unexplained_entries() -> None:
    texts = [Text("an-toan-otp", "step 'vi-du' say", "Khong cung cap ma nay")]
    allowed = [
        {"lesson": "an-toan-otp", "word": "khong", "reason": "quoted SMS"},
        {"lesson": "an-toan-otp", "word": "duoc", "reason": "quoted SMS"},
        {"lesson": "an-toan-otp", "word": "khong", "reason": " "},
        {"lesson": "an-toan-otp", "word": "cung cap", "reason": "quoted SMS"},
    ]
    assert [problem.rsplit("}: ", 1)[1] for problem in allowlist_problems(texts, allowed)] == [
        "no longer needed, remove it",
        "give exactly lesson, word and reason",
        "'cung cap' is not a word the check looks for",
    ]


def test_messages_are_read_but_not_their_commands_and_words(tmp_path: Path) -> None:
    path = tmp_path / "messages.yaml"
    path.write_text(
        "greeting: Chào bác, khong sao.\n"
        "quiz:\n  wrong: [Chưa đúng, Sai roi duoc]\n"
        "commands:\n  next: [tiep, tiếp]\n"
        "words:\n  go_on: [duoc, được]\n",
        encoding="utf-8",
    )
    texts = list(message_texts(path))
    assert [text.where for text in texts] == ["greeting", "quiz.wrong", "quiz.wrong"]
    assert diacritics_problems(texts, []) == [
        f"messages greeting: 'khong' without diacritics, write 'không' (or list it in "
        f"{ALLOWLIST.name} if a learner must type it so)",
        f"messages quiz.wrong: 'duoc' without diacritics, write 'được' (or list it in "
        f"{ALLOWLIST.name} if a learner must type it so)",
    ]
