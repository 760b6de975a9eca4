"""`hocso certificate render|revoke|reissue|rename` and `hocso verify`, as an admin runs them on
a store where a learner earned a certificate in the chat (`hocso chat --json`). In process
(`cli.main`), with a real SQLite file: every command is the same code the console calls."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import cli
from support.chat import REPO, fixture_content

try:
    import zxingcpp
except ImportError as error:  # pragma: no cover - a machine without the test extras
    pytest.fail(f"the certificate tests need {error.name}: pip install -e '.[test]'", pytrace=False)

PUBLIC = "https://hocso.example.vn"
FINISH = ["Bắt đầu ▶", "samsung", "xong", "Chỉ mình tôi", "156"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def common(tmp_path: Path) -> list[str]:
    content = fixture_content(tmp_path).root
    return ["--content", str(content), "--store", f"sqlite:///{tmp_path / 'learners.db'}"]


def earn(common: list[str], learner: str, *lines: str) -> str:
    """A learner finishes the sample lesson in `hocso chat --json` (a real process), then
    says `lines`; the certificate's number."""
    script = "\n".join([*FINISH, *lines]) + "\n"
    done = subprocess.run(
        [sys.executable, "-m", "cli", "chat", "--json", "--learner", learner, "--lesson", "mau",
         *common], input=script, capture_output=True, text=True, timeout=60, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    turns = [json.loads(line) for line in done.stdout.splitlines()]
    finished = json.dumps(turns[len(FINISH)], ensure_ascii=False)
    assert "HS-" in finished
    code = "HS-" + finished.split("HS-")[1][:9]
    if lines and not lines[0].startswith("sửa"):  # the name given: the certificate comes
        shown = [reply.get("certificate") for reply in turns[-1]["replies"]]
        assert code in shown, turns[-1]
    return code


def test_the_number_is_recorded_at_once_and_the_certificate_drawn_with_the_name(
    capsys: pytest.CaptureFixture[str], common: list[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    code = earn(common, "s:1")  # finished, the name not given yet
    status, out, _ = run(capsys, "progress", "s:1", "--json", *common)
    assert status == 0 and json.loads(out)["certificates"][0]["code"] == code
    earn_name = ["sửa tên", "Nguyễn Thị Hường"]  # a new session: the name asked again
    subprocess.run([sys.executable, "-m", "cli", "chat", "--json", "--learner", "s:1", *common],
                   input="\n".join(earn_name) + "\n", capture_output=True, text=True, cwd=REPO,
                   check=True, timeout=60)  # fmt: skip
    status, out, _ = run(capsys, "verify", code, *common)
    assert status == 0
    assert f"{code}: Chứng nhận bài mẫu" in out and "s:1" in out and "Nguyễn Thị Hường" in out

    picture, printable = tmp_path / "giay.png", tmp_path / "giay.pdf"
    monkeypatch.delenv("HOCSO_PUBLIC_URL", raising=False)
    status, _, err = run(capsys, "certificate", "render", code, "--png", str(picture), *common)
    assert status == 1 and "HOCSO_PUBLIC_URL is not set" in err and not picture.exists()
    monkeypatch.setenv("HOCSO_PUBLIC_URL", PUBLIC)
    monkeypatch.setenv("HOCSO_ISSUER", "Tổ công nghệ số cộng đồng xã An Phú")
    status, out, _ = run(capsys, "certificate", "render", code.lower(), "--png", str(picture),
                         "--pdf", str(printable), *common)  # fmt: skip
    assert status == 0 and out.splitlines() == [f"png: {picture}", f"pdf: {printable}"]
    with Image.open(picture) as image:
        found = [bar.text for bar in zxingcpp.read_barcodes(image.convert("L"))]
    assert found == [f"{PUBLIC}/verify/{code}"]
    text = subprocess.run(["pdftotext", str(printable), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    assert "Nguyễn Thị Hường" in text and "Tổ công nghệ số cộng đồng xã An Phú" in text


def test_revoked_reissued_and_renamed(
    capsys: pytest.CaptureFixture[str], common: list[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("HOCSO_PUBLIC_URL", PUBLIC)
    first = earn(common, "s:1", "Trần Văn Bình")
    second = earn(common, "s:2", "Lê Thị Hoa")

    with pytest.raises(SystemExit):  # --why is required
        run(capsys, "certificate", "revoke", first, *common[2:])
    status, out, _ = run(capsys, "certificate", "revoke", first, "--why", "cấp nhầm", *common[2:])
    assert status == 0 and out.startswith(f"{first}: revoked on ") and "(cấp nhầm)" in out
    status, out, _ = run(capsys, "verify", first, *common)
    assert status == 2 and f"{first}: REVOKED on " in out and "(cấp nhầm)" in out
    status, _, err = run(capsys, "certificate", "render", first, "--png", str(tmp_path / "x.png"),
                         *common)  # fmt: skip
    assert status == 1 and "was revoked on" in err and not (tmp_path / "x.png").exists()
    status, _, err = run(capsys, "certificate", "revoke", first, "--why", "lại", *common[2:])
    assert status == 1 and "already revoked" in err

    status, out, _ = run(capsys, "certificate", "rename", second, "--name", "lê thị hoà",
                         *common[2:])  # fmt: skip
    assert status == 0 and out == "s:2: certificates now name Lê Thị Hoà\n"
    status, out, _ = run(capsys, "certificate", "reissue", second, *common[2:])
    fresh = out.splitlines()[-1]
    assert status == 0 and out.startswith(f"{second}: revoked, replaced by {fresh}")
    status, out, _ = run(capsys, "verify", second, *common)
    assert status == 2 and f"replaced by {fresh}" in out
    status, out, _ = run(capsys, "verify", fresh, *common)
    assert status == 0 and "Lê Thị Hoà" in out

    assert run(capsys, "verify", "HS-0000-0000", *common)[0] == 1
    status, _, err = run(capsys, "certificate", "revoke", "HS-0000-0000", "--why", "x", *common[2:])
    assert status == 1 and "no certificate has the number HS-0000-0000" in err
    assert run(capsys, "certificate", "reissue", "12345", *common[2:])[0] == 1


def test_help_names_the_actions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["certificate", "--help"])
    out = capsys.readouterr().out
    for action in ("render", "revoke", "reissue", "rename", "HOCSO_PUBLIC_URL", "HOCSO_ISSUER"):
        assert action in out
