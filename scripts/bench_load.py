"""How long loading a content folder takes: 200 lessons of 12 steps each, written to a
temporary folder, loaded with `lessons.loader.load_lessons`.

    .venv/bin/python scripts/bench_load.py [--lessons 200] [--rounds 5]

Prints the best and median time of several rounds, with libyaml's composer (the default when
PyYAML has it) and with PyYAML's pure-Python one for comparison.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lessons import source
from lessons.loader import load_lessons


def lesson_yaml(number: int, count: int) -> str:
    """A lesson like the real ones: say steps with pictures and links, a branching ask,
    multiple-choice and free-answer quizzes; 12 steps."""
    lesson_id = f"bai-{number:03d}"
    requires = f"[bai-{number - 1:03d}]" if number else "[]"
    return f"""\
id: {lesson_id}
title: "Bài {number + 1} trên {count}: Cài đặt và dùng ứng dụng VNeID"
summary: Tải ứng dụng, đăng nhập, và giữ an toàn mã OTP.
minutes: 8
skills: ["4.1", "4.2"]
requires: {requires}
pass_score: 0.7
steps:
  - id: chao
    say: |
      Chào bác! Hôm nay mình học cách cài *VNeID*, ứng dụng định danh điện tử.
      Bác cầm điện thoại lên nhé.
    button: Sẵn sàng ▶
  - id: da-co-app
    ask: Điện thoại của bác đã có ứng dụng VNeID chưa?
    options:
      - label: Có rồi
        also: [có, rồi, cài rồi]
        goto: dang-nhap
      - label: Chưa có
        also: [chưa cài, không có, chưa]
        goto: mo-ch-play
  - id: mo-ch-play
    say: |
      Bước 1: Mở ứng dụng *CH Play* (hình tam giác nhiều màu).
      Gõ chữ VNeID vào ô tìm kiếm ở trên cùng.
    image: media/vneid/ch-play.jpg
    links: [{{label: Mở CH Play, url: "https://play.google.com/store/apps/details?id=com.vnid"}}]
  - id: bam-cai-dat
    say: "Bước 2: Bấm nút *Cài đặt* màu xanh, chờ tải xong."
    image: media/vneid/cai-dat.jpg
  - id: mo-app
    say: Bước 3 - Bấm *Mở* để mở ứng dụng.
    wait: false
  - id: dang-nhap
    say: |
      Bước 4: Nhập số định danh cá nhân (12 số trên căn cước) và mật khẩu.
      Bấm *Đăng nhập*.
    image: media/vneid/dang-nhap.jpg
    button: Xong, tiếp tục ▶
  - id: otp
    say: Điện thoại sẽ nhận một tin nhắn có *mã OTP* gồm 6 số. Nhập mã đó vào ứng dụng.
  - id: cau-1
    quiz: Ai được biết mã OTP của bác?
    options:
      - label: Chỉ mình tôi
        correct: true
      - label: Công an gọi điện hỏi
      - label: Nhân viên ngân hàng
        also: [ngân hàng]
    explain: OTP chỉ mình bác được biết. Công an, ngân hàng không bao giờ hỏi OTP.
    hint: Nghĩ xem ai là chủ tài khoản.
  - id: cau-2
    quiz: Muốn báo cuộc gọi lừa đảo, bác nhắn tin đến tổng đài số mấy?
    answers: [156, một năm sáu]
    explain: Nhắn tin đến 156 (miễn phí) để báo cuộc gọi lừa đảo.
    tries: 3
  - id: cau-3
    quiz: Có nên bấm vào đường link lạ trong tin nhắn không?
    options:
      - label: Có
      - label: Không
        correct: true
    explain: Link lạ có thể là lừa đảo. Không bấm.
  - id: on-tap
    say: Bác đã làm rất tốt! Nhớ giữ bí mật mã OTP nhé.
    links:
      - label: Trang VNeID
        url: https://vneid.gov.vn
  - id: ket-thuc
    say: Hẹn gặp bác ở bài sau.
    end: true
"""


def write_content(folder: Path, count: int) -> None:
    (folder / "lessons").mkdir(parents=True)
    media = folder / "media" / "vneid"
    media.mkdir(parents=True)
    for picture in ("ch-play.jpg", "cai-dat.jpg", "dang-nhap.jpg"):
        (media / picture).write_bytes(b"\xff\xd8\xff")
    for number in range(count):
        path = folder / "lessons" / f"bai-{number:03d}.yaml"
        path.write_text(lesson_yaml(number, count), encoding="utf-8")


def measure(folder: Path, count: int, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        lessons, problems = load_lessons(folder)
        times.append(time.perf_counter() - started)
        if problems or len(lessons) != count:
            shown = "\n".join(map(str, problems[:10]))
            raise SystemExit(f"the benchmark content does not load:\n{shown}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "content"
        write_content(folder, args.lessons)
        steps = args.lessons * 12
        size = sum(path.stat().st_size for path in (folder / "lessons").iterdir())
        print(f"{args.lessons} lessons, {steps} steps, {size / 1024:.0f} KiB of YAML")
        loaders: dict[str, source.LoaderType] = {"pure Python": source.PythonLoader}
        if source.Loader is not source.PythonLoader:
            loaders = {"libyaml": source.Loader, **loaders}
        for name, loader in loaders.items():
            source.Loader = loader
            times = measure(folder, args.lessons, args.rounds)
            best, median = min(times), statistics.median(times)
            print(
                f"{name:>12}: best {best * 1000:6.1f} ms, median {median * 1000:6.1f} ms "
                f"({median / args.lessons * 1000:.2f} ms a lesson, {args.rounds} rounds)"
            )


if __name__ == "__main__":
    main()
