"""Check the screen budget (`lessons/screen.py`) against the real thing: every lesson message
of a content folder laid out by headless Chromium with the web chat's own page and CSS, in the
room a 360×740 phone leaves it in Chrome (360×612 CSS px: status bar 24, Chrome's toolbar 56,
navigation bar 48), and compared with what the budget says.

    .venv/bin/python scripts/measure_screen.py [--content content] [--font "Liberation Sans"]

Needs Debian's chromium and chromium-driver, and the test extras (selenium). Phones draw the
page in Roboto (Android) or San Francisco (iPhone); the nearest font here is Liberation Sans,
with Arial's widths. Prints how many messages fit on the page and whether the budget agrees.
"""

from __future__ import annotations

import argparse
import html
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from selenium import webdriver

from bot.content import load_content
from bot.lint import measure, step_messages
from lessons import screen
from lessons.markup import runs

REPO = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 360, 740 - 24 - 56 - 48

# One bot message as chat.js draws it (*bold* in bold), alone in the log; the room above the
# composer, and the height the message takes with its margins.
LAY_OUT = """
document.body.style.fontFamily = arguments[1];
var log = document.getElementById('log');
log.innerHTML = '';
var box = document.createElement('div');
box.className = 'msg msg-bot';
var text = document.createElement('div');
text.className = 'text';
arguments[0].runs.forEach(function (run) {
  var node = document.createElement(run[1] ? 'strong' : run[2] ? 'em' : 'span');
  node.textContent = run[0];
  text.appendChild(node);
});
box.appendChild(text);
if (arguments[0].buttons.length) {
  var choices = document.createElement('div');
  choices.className = 'choices';
  arguments[0].buttons.forEach(function (label) {
    var button = document.createElement('button');
    button.className = 'choice';
    button.textContent = label;
    choices.appendChild(button);
  });
  box.appendChild(choices);
}
log.appendChild(box);
var style = getComputedStyle(box);
var margin = parseFloat(style.marginTop) + parseFloat(style.marginBottom);
var room = window.innerHeight - document.querySelector('.composer').offsetHeight;
return [room, box.getBoundingClientRect().height + margin];
"""


def page(content_dir: Path, folder: Path) -> Path:
    """The web chat page with its placeholders filled, beside a copy of its CSS."""
    static = REPO / "handlers" / "web"
    (folder / "chat.css").write_text((static / "static" / "chat.css").read_text("utf-8"), "utf-8")
    text = (static / "chat.html").read_text("utf-8")
    content = load_content(content_dir)
    words = {f"${name}": content.messages.text(f"web.{name}") for name in (
        "title", "heading", "noscript", "log", "input_label", "placeholder", "send",
        "shortcuts", "menu", "back", "help")}  # fmt: skip
    words |= {"$css": "chat.css", "$js": "none.js", "$config": "{}"}
    for name, value in sorted(words.items(), key=lambda item: -len(item[0])):
        text = text.replace(name, html.escape(value))
    path = folder / "chat.html"
    path.write_text(text, "utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, default=REPO / "content")
    parser.add_argument("--font", default="Liberation Sans")
    args = parser.parse_args()
    content = load_content(args.content)
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(flag)
    options.add_experimental_option(
        "mobileEmulation", {"deviceMetrics": {"width": WIDTH, "height": HEIGHT, "pixelRatio": 2}}
    )
    agree: Counter[tuple[bool, bool]] = Counter()
    disagree = []
    with tempfile.TemporaryDirectory() as folder:
        driver = webdriver.Chrome(options=options)
        try:
            driver.get(page(args.content, Path(folder)).as_uri())
            for lesson in content.lessons.values():
                for made in step_messages(content, lesson):
                    message = made.message
                    labels = [b.label for b in message.buttons] + [k.label for k in message.links]
                    styled = [[run.text, run.bold, run.italic] for run in runs(message.text)]
                    shown = {"runs": styled, "buttons": labels}
                    room, height = driver.execute_script(LAY_OUT, shown, args.font)
                    fits = height <= room
                    says = measure(message).lines <= screen.MAX_LINES
                    agree[fits, says] += 1
                    if fits != says:
                        where = f"{lesson.id} {made.where} {made.when}".strip()
                        lines = measure(message).lines
                        disagree.append(f"  {where}: {height:.0f} of {room} px, {lines} lines")
        finally:
            driver.quit()
    fit, over = agree[True, True] + agree[True, False], agree[False, True] + agree[False, False]
    print(f"{fit + over} messages at {WIDTH}x{HEIGHT} px in {args.font}: {fit} fit, {over} over")
    agreed = agree[True, True] + agree[False, False]
    print(f"  the budget agrees on {agreed}; it counts over {agree[True, False]} that fit, and")
    print(f"  within {agree[False, True]} that do not")
    print("\n".join(disagree))
    return 1 if agree[False, True] else 0


if __name__ == "__main__":
    sys.exit(main())
