"""`hocso link`: the links, the poster and the QR code that open a lesson, as a volunteer runs
it."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from support.chat import REPO, fixture_content
from support.fake_telegram import FakeTelegram
from webhook.web import start_payload

PUBLIC = "https://hocso.example.vn"
# Settings of the developer's shell must not leak into what these runs print.
_OURS = ("HOCSO_", "TELEGRAM_", "ZALO_")


def hocso(
    *args: str, env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=clean_env(env),
        stdin=subprocess.DEVNULL,
    )


def clean_env(extra: dict[str, str] | None) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(_OURS)}
    return {**env, **(extra or {})}


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return fixture_content(tmp_path).root


def link_json(content_dir: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    result = hocso(
        "link", *args, "--json", "--no-qr", "--no-poster", "--content", str(content_dir), env=env
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# -- the links --------------------------------------------------------------------------------

LINKS = [
    # (case, arguments, settings, the links expected, a note expected on stderr)
    ("public address", ["mau"], {"HOCSO_PUBLIC_URL": PUBLIC},
     {"web": f"{PUBLIC}/chat?lesson=mau"}, "no Telegram link"),
    ("public address with a path and a trailing /", ["sau"],
     {"HOCSO_PUBLIC_URL": "https://example.vn/hocso/"},
     {"web": "https://example.vn/hocso/chat?lesson=sau"}, "no Zalo link"),
    ("a volunteer", ["mau", "--volunteer", "V12"], {"HOCSO_PUBLIC_URL": PUBLIC},
     {"web": f"{PUBLIC}/chat?lesson=mau&v=V12"}, ""),
    ("a lesson id in capitals", ["MAU", "--volunteer", "HN-0042"], {"HOCSO_PUBLIC_URL": PUBLIC},
     {"web": f"{PUBLIC}/chat?lesson=mau&v=HN-0042"}, ""),
    ("Telegram from the setting", ["mau", "--volunteer", "V12"],
     {"HOCSO_PUBLIC_URL": PUBLIC, "TELEGRAM_BOT_USERNAME": "@hocso_bot"},
     {"web": f"{PUBLIC}/chat?lesson=mau&v=V12",
      "telegram": "https://t.me/hocso_bot?start=mau_V12"}, ""),
    ("Zalo OA and Zalo bot", ["sau", "--volunteer", "V12"],
     {"HOCSO_PUBLIC_URL": PUBLIC, "ZALO_OA_ID": "1234567890123456789",
      "ZALO_BOT_LINK": "https://zalo.me/s/botcreator/abc"},
     {"web": f"{PUBLIC}/chat?lesson=sau&v=V12", "zalo_oa": "https://zalo.me/1234567890123456789",
      "zalo_bot": "https://zalo.me/s/botcreator/abc"},
     "the learner picks 'Bài sau' from the lesson menu, and volunteer V12 is not credited"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "args", "env", "expected", "note"), LINKS, ids=[c[0] for c in LINKS]
)
def test_links(
    content_dir: Path, case: str, args: list[str], env: dict[str, str],
    expected: dict[str, str], note: str,
) -> None:  # fmt: skip
    result = hocso("link", *args, "--no-qr", "--no-poster", "--content", str(content_dir), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"{channel}: {url}" for channel, url in expected.items()]
    assert note in result.stderr and "Traceback" not in result.stderr
    assert "█" not in result.stdout  # no QR in text when stdout is not a terminal


@pytest.mark.parametrize(("lesson", "volunteer"), [("mau", None), ("sau", "V12"), ("mau", "a-B-9")])
def test_the_web_link_opens_what_the_payload_says(
    content_dir: Path, lesson: str, volunteer: str | None
) -> None:
    """The web link's query, decoded as the web chat decodes it, is the start payload."""
    extra = ["--volunteer", volunteer] if volunteer else []
    out = link_json(content_dir, lesson, *extra, env={"HOCSO_PUBLIC_URL": PUBLIC})
    web = urlsplit(out["links"]["web"])
    assert (web.scheme, web.netloc, web.path) == ("https", "hocso.example.vn", "/chat")
    query = {name: values[0] for name, values in parse_qs(web.query, strict_parsing=True).items()}
    assert query == {"lesson": lesson, **({"v": volunteer} if volunteer else {})}
    assert start_payload(query) == out["payload"]


NOT_PUBLIC = "Set HOCSO_PUBLIC_URL to the service's public https address"
REFUSED = [
    # (case, arguments, settings besides HOCSO_PUBLIC_URL={PUBLIC}, what stderr must say)
    ("unknown lesson", ["mua"], {},
     ["no lesson 'mua'", "did you mean 'mau'?", "  mau: Bài mẫu", "  sau: Bài sau"]),
    ("volunteer code with &", ["mau", "--volunteer", "V1&x=2"], {},
     ["may only have letters A-Z a-z, digits 0-9 and -"]),
    ("volunteer code with a space", ["mau", "--volunteer", "V 12"], {}, ["may only have letters"]),
    ("volunteer code with _", ["mau", "--volunteer", "V_12"], {}, ["may only have letters"]),
    ("volunteer code in Vietnamese", ["mau", "--volunteer", "Hà"], {}, ["may only have letters"]),
    ("volunteer code too long", ["mau", "--volunteer", "V" * 61], {},
     ["is too long", "at most 60 characters"]),
    ("empty volunteer code", ["mau", "--volunteer", ""], {}, ["--volunteer needs a code"]),
    ("no public address", ["mau", "--volunteer", "V12"], {"HOCSO_PUBLIC_URL": None},
     ["HOCSO_PUBLIC_URL is not set", NOT_PUBLIC, "e.g. HOCSO_PUBLIC_URL=https://"]),
    ("an empty public address", ["mau"], {"HOCSO_PUBLIC_URL": ""},
     ["HOCSO_PUBLIC_URL is not set", NOT_PUBLIC]),
    ("public address without a scheme", ["mau"], {"HOCSO_PUBLIC_URL": "hocso.example.vn"},
     ["HOCSO_PUBLIC_URL 'hocso.example.vn' is not a web address", NOT_PUBLIC]),
    ("localhost", ["mau"], {"HOCSO_PUBLIC_URL": "http://localhost:8000"},
     ["HOCSO_PUBLIC_URL 'http://localhost:8000' is this machine's own address", NOT_PUBLIC]),
    ("localhost over https", ["mau"], {"HOCSO_PUBLIC_URL": "https://localhost"},
     ["this machine's own address (localhost)", NOT_PUBLIC]),
    ("what hocso serve listens on", ["mau"], {"HOCSO_PUBLIC_URL": "http://127.0.0.1:8000"},
     ["is a local or private address (127.0.0.1)", NOT_PUBLIC]),
    ("IPv6 loopback", ["mau"], {"HOCSO_PUBLIC_URL": "https://[::1]:8000"},
     ["is a local or private address (::1)", NOT_PUBLIC]),
    ("a home network", ["mau"], {"HOCSO_PUBLIC_URL": "https://192.168.1.20"},
     ["is a local or private address (192.168.1.20)", NOT_PUBLIC]),
    ("a private network with a port", ["mau"], {"HOCSO_PUBLIC_URL": "https://10.0.0.5:8443/"},
     ["is a local or private address (10.0.0.5)", NOT_PUBLIC]),
    ("a carrier's shared addresses", ["mau"], {"HOCSO_PUBLIC_URL": "https://100.64.0.9"},
     ["is a local or private address (100.64.0.9)", NOT_PUBLIC]),
    ("a name of the local network", ["mau"], {"HOCSO_PUBLIC_URL": "https://hocso.local"},
     ["names hocso.local, which only a local network knows", NOT_PUBLIC]),
    ("a machine's bare name", ["mau"], {"HOCSO_PUBLIC_URL": "https://hocso-server"},
     ["names hocso-server, which only a local network knows", NOT_PUBLIC]),
    ("plain http", ["mau"], {"HOCSO_PUBLIC_URL": "http://hocso.example.vn"},
     ["HOCSO_PUBLIC_URL 'http://hocso.example.vn' is not https", NOT_PUBLIC]),
    ("a password in it", ["mau"], {"HOCSO_PUBLIC_URL": "https://admin:secret@hocso.example.vn"},
     ["has a user name or password in it", NOT_PUBLIC]),
    ("a query in it", ["mau"], {"HOCSO_PUBLIC_URL": "https://hocso.example.vn/?x=1"},
     ["has a ?query or #part", NOT_PUBLIC]),
    ("a port that is not one", ["mau"], {"HOCSO_PUBLIC_URL": "https://hocso.example.vn:99999"},
     ["is not a web address", NOT_PUBLIC]),
    ("bot user name with a space", ["mau"], {"TELEGRAM_BOT_USERNAME": "hocso bot"},
     ["TELEGRAM_BOT_USERNAME 'hocso bot' is not a Telegram bot's user name"]),
    ("OA id as a link", ["mau"], {"ZALO_OA_ID": "https://zalo.me/123"},
     ["is not an Official Account id"]),
    ("QR path and format disagree", ["mau", "--qr", "x.png", "--qr-format", "svg"], {},
     ["--qr x.png ends in .png but --qr-format is svg"]),
    ("QR path in another format", ["mau", "--qr", "x.jpg"], {},
     ["--qr x.jpg: the name must end in .png or .svg"]),
    ("poster path in another format", ["mau", "--poster", "x.pdf", "--poster", "x.jpg"], {},
     ["--poster x.jpg: the name must end in .pdf or .png"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "args", "env", "said"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_with_the_rule(
    content_dir: Path, tmp_path: Path, case: str, args: list[str], env: dict[str, str | None],
    said: list[str],
) -> None:  # fmt: skip
    """Exit 1 with the rule on stderr, and nothing written: no QR code, no poster."""
    settings = {name: value for name, value in {"HOCSO_PUBLIC_URL": PUBLIC, **env}.items()
                if value is not None}  # fmt: skip
    work = tmp_path / "work"
    work.mkdir()
    result = hocso("link", *args, "--content", str(content_dir), env=settings, cwd=work)
    assert result.returncode == 1
    assert result.stdout == "" and "Traceback" not in result.stderr
    for words in said:
        assert words in result.stderr
    assert list(work.iterdir()) == []


# -- Telegram's user name, asked of the Bot API -----------------------------------------------


def test_telegram_user_name_from_get_me(content_dir: Path, fake_telegram: FakeTelegram) -> None:
    env = {
        "HOCSO_PUBLIC_URL": PUBLIC,
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "TELEGRAM_API_URL": fake_telegram.api_url,
    }
    out = link_json(content_dir, "mau", "--volunteer", "V12", env=env)
    assert out["links"]["telegram"] == "https://t.me/hocso_test_bot?start=mau_V12"
    assert [call.token for call in fake_telegram.calls("getMe")] == ["123:abc"]


def test_the_setting_wins_over_get_me(content_dir: Path, fake_telegram: FakeTelegram) -> None:
    env = {
        "HOCSO_PUBLIC_URL": PUBLIC,
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "TELEGRAM_API_URL": fake_telegram.api_url,
        "TELEGRAM_BOT_USERNAME": "hocso_bot",
    }
    out = link_json(content_dir, "mau", env=env)
    assert out["links"]["telegram"] == "https://t.me/hocso_bot?start=mau"
    assert fake_telegram.calls("getMe") == []


def test_a_refused_token_leaves_telegram_out_with_a_note(content_dir: Path) -> None:
    with FakeTelegram(token="999:right") as telegram:
        env = {
            "HOCSO_PUBLIC_URL": PUBLIC,
            "TELEGRAM_BOT_TOKEN": "123:wrong",
            "TELEGRAM_API_URL": telegram.api_url,
        }
        args = ["--no-qr", "--no-poster", "--content", str(content_dir)]
        result = hocso("link", "mau", *args, env=env)
        assert len(telegram.calls("getMe")) == 1
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"web: {PUBLIC}/chat?lesson=mau"]
    assert (
        f"no Telegram link: asking for the bot's user name failed: {telegram.api_url} refused "
        "TELEGRAM_BOT_TOKEN. Set TELEGRAM_BOT_USERNAME" in result.stderr
    )
    assert "wrong" not in result.stderr and "Traceback" not in result.stderr


# -- the QR code ------------------------------------------------------------------------------


def decode_qr(path: Path) -> list[str]:
    """The texts of the QR codes in a picture, read by zxing-cpp (a real decoder)."""
    try:
        import zxingcpp
        from PIL import Image
    except ImportError as error:
        missing = str(error)
    else:
        missing = ""
    if missing:
        pytest.fail(
            f"the QR tests need a decoder ({missing}): pip install -e '.[test]' "
            "(zxing-cpp and Pillow)",
            pytrace=False,
        )
    with Image.open(path) as image:
        return [found.text for found in zxingcpp.read_barcodes(image.convert("L"))]


QR = [
    # (case, arguments, settings, the file expected, the link it holds)
    ("default name", ["mau"], {"HOCSO_PUBLIC_URL": PUBLIC}, "mau.png", f"{PUBLIC}/chat?lesson=mau"),
    ("default name with a volunteer", ["sau", "--volunteer", "V12"], {"HOCSO_PUBLIC_URL": PUBLIC},
     "sau_V12.png", f"{PUBLIC}/chat?lesson=sau&v=V12"),
    ("chosen path", ["mau", "--volunteer", "HN-7", "--qr", "posters/otp.png"],
     {"HOCSO_PUBLIC_URL": PUBLIC}, "posters/otp.png", f"{PUBLIC}/chat?lesson=mau&v=HN-7"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "args", "env", "file", "link"), QR, ids=[c[0] for c in QR])
def test_the_qr_code_decodes_to_the_web_link(
    content_dir: Path, tmp_path: Path, case: str, args: list[str], env: dict[str, str],
    file: str, link: str,
) -> None:  # fmt: skip
    work = tmp_path / "work"
    (work / "posters").mkdir(parents=True)
    result = hocso("link", *args, "--no-poster", "--content", str(content_dir), env=env, cwd=work)
    assert result.returncode == 0, result.stderr
    assert f"qr: {file}" in result.stdout.splitlines()
    assert decode_qr(work / file) == [link]
    assert_poster_sized(work / file)


def assert_poster_sized(path: Path) -> None:
    """Big enough to print, with the standard quiet zone of 4 modules all round."""
    from PIL import Image, ImageOps

    with Image.open(path) as image:
        grey = image.convert("L")
    width, height = grey.size
    assert width == height >= 1200
    left, top, right, bottom = ImageOps.invert(grey).getbbox() or (0, 0, 0, 0)
    # The finder pattern in the top-left corner is 7 modules wide.
    row = [grey.getpixel((x, top)) for x in range(left, right)]
    module = next(i for i, value in enumerate(row) if value) / 7
    assert module >= 20
    assert min(left, top, width - right, height - bottom) >= 4 * module - 1


def test_an_svg_qr_code(content_dir: Path, tmp_path: Path) -> None:
    result = hocso("link", "mau", "--qr-format", "svg", "--no-poster", "--content",
                   str(content_dir), cwd=tmp_path, env={"HOCSO_PUBLIC_URL": PUBLIC})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "qr: mau.svg" in result.stdout.splitlines()
    svg = (tmp_path / "mau.svg").read_text(encoding="utf-8")
    size = re.search(r'<svg [^>]*width="([0-9.]+)mm" height="([0-9.]+)mm"', svg)
    assert size and float(size[1]) == float(size[2]) == pytest.approx(120)  # 12 cm on paper
    assert f"<title>{PUBLIC}/chat?lesson=mau</title>" in svg


def test_a_qr_code_that_cannot_be_written_is_a_plain_error(
    content_dir: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-folder" / "x.png"
    result = hocso("link", "mau", "--qr", str(missing), "--content", str(content_dir),
                   env={"HOCSO_PUBLIC_URL": PUBLIC}, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1
    assert f"cannot write the QR code to {missing}" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_qr_code_in_text_on_a_terminal(content_dir: Path, tmp_path: Path) -> None:
    screen = run_on_terminal(
        [sys.executable, "-m", "cli", "link", "mau", "--content", str(content_dir)],
        cwd=tmp_path,
        env=clean_env({"HOCSO_PUBLIC_URL": PUBLIC}),
    )
    lines = screen.splitlines()
    assert lines[:4] == [
        f"web: {PUBLIC}/chat?lesson=mau",
        "qr: mau.png",
        "poster: mau-poster.pdf",
        "poster: mau-poster.png",
    ]
    blocks = [line for line in lines[4:] if line.strip()]
    assert len(blocks) >= 12 and all(set(line) <= set("█▀▄ ") for line in blocks)


def run_on_terminal(command: list[str], *, cwd: Path, env: dict[str, str]) -> str:
    """What `command` writes to its stdout when that is a terminal (a pseudo-terminal here)."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        command, stdout=child, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, cwd=cwd, env=env
    )
    os.close(child)
    chunks = []
    try:
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child's side is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(main)
        assert process.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


# -- the poster --------------------------------------------------------------------------------

POSTERS = [
    # (case, arguments, the files expected, the link their QR codes hold)
    ("default names", ["mau"], ["mau-poster.pdf", "mau-poster.png"], f"{PUBLIC}/chat?lesson=mau"),
    ("default names with a volunteer", ["sau", "--volunteer", "V12"],
     ["sau_V12-poster.pdf", "sau_V12-poster.png"], f"{PUBLIC}/chat?lesson=sau&v=V12"),
    ("a PDF only, in a folder", ["mau", "--volunteer", "HN-7", "--poster", "in/otp.pdf"],
     ["in/otp.pdf"], f"{PUBLIC}/chat?lesson=mau&v=HN-7"),
    ("both, named", ["mau", "--poster", "a.png", "--poster", "b.PDF"], ["a.png", "b.PDF"],
     f"{PUBLIC}/chat?lesson=mau"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "args", "files", "link"), POSTERS, ids=[c[0] for c in POSTERS])
def test_the_poster_is_written(
    content_dir: Path, tmp_path: Path, case: str, args: list[str], files: list[str], link: str
) -> None:
    """The poster files and nothing else (with --no-qr), each named on stdout; each holds the
    lesson's title and a QR code of the web link."""
    import pypdfium2

    work = tmp_path / "work"
    (work / "in").mkdir(parents=True)
    result = hocso("link", *args, "--no-qr", "--content", str(content_dir),
                   env={"HOCSO_PUBLIC_URL": PUBLIC}, cwd=work)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-len(files) :] == [f"poster: {file}" for file in files]
    written = sorted(str(path.relative_to(work)) for path in work.rglob("*.*"))
    assert written == sorted(files)
    title = "Bài sau" if args[0] == "sau" else "Bài mẫu"
    for file in files:
        if file.lower().endswith(".png"):
            assert decode_qr(work / file) == [link]
            continue
        page = pypdfium2.PdfDocument(work / file)[0]
        assert title in page.get_textpage().get_text_range().splitlines()
        drawn = tmp_path / "page.png"
        page.render(scale=2).to_pil().save(drawn)
        assert decode_qr(drawn) == [link]


def test_a_poster_that_cannot_be_written_is_a_plain_error(
    content_dir: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-folder" / "x.pdf"
    result = hocso("link", "mau", "--no-qr", "--poster", str(missing), "--content",
                   str(content_dir), env={"HOCSO_PUBLIC_URL": PUBLIC}, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1
    assert f"cannot write the poster to {missing}" in result.stderr
    assert "Traceback" not in result.stderr


def test_words_that_crowd_out_the_qr_code_leave_no_file(content_dir: Path, tmp_path: Path) -> None:
    """A content folder whose poster steps leave the QR code too little room: nothing is
    written, not even the QR code alone, and the message says what to shorten."""
    messages = content_dir / "messages.yaml"
    last = "    Bấm vào đường link hiện lên\n"
    many = "".join(f"    Bước thêm số {k}\n" for k in range(4, 16))
    messages.write_text(messages.read_text(encoding="utf-8").replace(last, last + many), "utf-8")
    work = tmp_path / "work"
    work.mkdir()
    result = hocso("link", "mau", "--content", str(content_dir),
                   env={"HOCSO_PUBLIC_URL": PUBLIC}, cwd=work)  # fmt: skip
    assert result.returncode == 1 and result.stdout == ""
    assert "cannot make the poster: the poster's words leave too little room" in result.stderr
    assert "shorten poster.steps" in result.stderr and "Traceback" not in result.stderr
    assert list(work.iterdir()) == []


# -- --json and --help ------------------------------------------------------------------------


def test_json_has_every_key_it_knows(content_dir: Path, tmp_path: Path) -> None:
    env = {
        "HOCSO_PUBLIC_URL": PUBLIC,
        "TELEGRAM_BOT_USERNAME": "hocso_bot",
        "ZALO_OA_ID": "42",
        "ZALO_BOT_LINK": "https://zalo.me/s/botcreator/abc",
    }
    work = tmp_path / "work"
    work.mkdir()
    result = hocso("link", "mau", "--volunteer", "V12", "--json", "--content", str(content_dir),
                   env=env, cwd=work)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "lesson": "mau",
        "volunteer": "V12",
        "payload": "mau_V12",
        "links": {
            "web": f"{PUBLIC}/chat?lesson=mau&v=V12",
            "telegram": "https://t.me/hocso_bot?start=mau_V12",
            "zalo_oa": "https://zalo.me/42",
            "zalo_bot": "https://zalo.me/s/botcreator/abc",
        },
        "qr": "mau_V12.png",
        "posters": ["mau_V12-poster.pdf", "mau_V12-poster.png"],
    }
    assert sorted(path.name for path in work.iterdir()) == [
        "mau_V12-poster.pdf",
        "mau_V12-poster.png",
        "mau_V12.png",
    ]


def test_json_leaves_out_what_it_does_not_know(content_dir: Path) -> None:
    assert link_json(content_dir, "sau", env={"HOCSO_PUBLIC_URL": PUBLIC}) == {
        "lesson": "sau",
        "payload": "sau",
        "links": {"web": f"{PUBLIC}/chat?lesson=sau"},
    }


def test_help_explains_it() -> None:
    assert "link" in hocso("--help").stdout
    result = hocso("link", "--help")
    assert result.returncode == 0
    for words in ("LESSON", "--volunteer", "QR code", "poster", "Zalo", "TELEGRAM_BOT_USERNAME",
                  "ZALO_OA_ID", "ZALO_BOT_LINK", "--qr", "--json", "--content", "--poster",
                  "--no-poster", "LESSON_CODE-poster.pdf", "HOCSO_PUBLIC_URL must be the "
                  "service's public https address", "localhost"):  # fmt: skip
        assert words in result.stdout
