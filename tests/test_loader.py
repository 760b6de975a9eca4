# ruff: noqa: E501 - the tables read best one case a line
"""Loading lesson files and certificates.yaml: every rule of the lesson format is a row of
a table (file name, YAML, the line the problem is on, a fragment of its message that names
the key). Each row must give exactly one problem: one mistake, one message, no cascade."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from lessons import layout, source
from lessons.loader import load_certificates, load_lesson, load_lessons
from lessons.model import Certificate, Lesson
from lessons.problems import ContentError, Problem
from lessons.steps import Ask, Link, Option, Quiz, Say

# Lines 1-3; the first step starts on line 4.
HEAD = "id: bai\ntitle: Bài học\nsteps:\n"


def steps(text: str) -> str:
    return HEAD + textwrap.dedent(text).lstrip("\n")


def lesson(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


SAY = "  - id: a\n    say: Xin chào\n"  # lines 4-5 after HEAD

# (file name, YAML, expected line, fragment of the message)
CASES: list[tuple[str, str, int, str]] = [
    # --- the file and its top level
    ("bai.yml", HEAD + SAY, 1, "rename it to 'bai.yaml'"),
    ("bai.YAML", HEAD + SAY, 1, "rename it to 'bai.yaml'"),
    ("bai.yaml", "", 1, "the file is empty"),
    ("bai.yaml", "# chỉ có chú thích\n", 1, "the file is empty"),
    ("bai.yaml", "- id: bai\n", 1, "a lesson is a mapping of keys (id, title, steps, …), not a list"),
    ("bai.yaml", "id: bai\ntitle: [\n", 3, "YAML syntax error"),
    ("bai.yaml", "id: bai\ntitle: Bước 1: mở app\nsteps: []\n", 2, "put the whole text in quotes"),
    ("bai.yaml", "id: bai\ntitle: a\n\tsteps: []\n", 3, "indent with spaces, not tabs"),
    ("bai.yaml", HEAD + SAY + "---\nid: b\n", 6, "remove the '---' line"),
    ("bai.yaml", "title: Bài\nsteps:\n" + SAY, 1, "'id' is missing"),
    ("bai.yaml", "id: bai\nsteps:\n" + SAY, 1, "'title' is missing"),
    ("bai.yaml", "id: bai\ntitle: Bài\n", 1, "'steps' is missing"),
    ("bai.yaml", "id: bai\ntitle: Bài\nsteps: []\n", 3, "'steps' needs at least one step"),
    ("bai.yaml", "id: bai\ntitle: Bài\nsteps: buoc 1\n", 3, "'steps' must be a list"),
    ("bai.yaml", HEAD + SAY + "sumary: Tóm tắt\n", 6, "'sumary' is not a key of a lesson; did you mean 'summary'?"),
    ("bai.yaml", HEAD + SAY + "xyz: 1\n", 6, "'xyz' is not a key of a lesson (its keys: id, title"),
    ("bai.yaml", HEAD + SAY + "title: Lần hai\n", 6, "duplicate key 'title' (first at line 2)"),
    ("Bai_1.yaml", "id: Bai_1\ntitle: Bài\nsteps:\n" + SAY, 1, "'id' 'Bai_1' may use only a-z, 0-9 and '-'"),
    ("a" * 41 + ".yaml", f"id: {'a' * 41}\ntitle: Bài\nsteps:\n" + SAY, 1, "'id' is 41 characters long; it may have at most 40"),
    ("bai.yaml", "id: khac\ntitle: Bài\nsteps:\n" + SAY, 1, "'id' 'khac' must be the file's name without '.yaml': 'bai'"),
    ("bai.yaml", 'id: bai\ntitle: ""\nsteps:\n' + SAY, 2, "'title' must not be empty"),
    ("bai.yaml", "id: bai\ntitle: [a, b]\nsteps:\n" + SAY, 2, "'title' must be text, not a list"),
    ("bai.yaml", HEAD + SAY + "summary: |\n  dòng một\n  dòng hai\n", 6, "'summary' must be one line"),
    ("bai.yaml", HEAD + SAY + "minutes: 0\n", 6, "'minutes' must be a whole number of at least 1, not '0'"),
    ("bai.yaml", HEAD + SAY + "minutes: năm\n", 6, "'minutes' must be a whole number of at least 1, not 'năm'"),
    ("bai.yaml", HEAD + SAY + 'minutes: "5"\n', 6, "'minutes' must be a whole number of at least 1, without quotes"),
    ("bai.yaml", HEAD + SAY + "pass_score: 70\n", 6, "'pass_score' must be a number above 0 and at most 1, like 0.7, not 70"),
    ("bai.yaml", HEAD + SAY + "pass_score: 0\n", 6, "'pass_score' must be a number above 0"),
    ("bai.yaml", HEAD + SAY + "pass_score: 70%\n", 6, "'pass_score' must be a number above 0 and at most 1, like 0.7, not '70%'"),
    ("bai.yaml", HEAD + SAY + "skills: 4.1\n", 6, "'skills' must be a list like [a, b], not '4.1'"),
    ("bai.yaml", HEAD + SAY + "skills: ['4.1', '']\n", 6, "skills[1] must not be empty"),
    ("bai.yaml", HEAD + SAY + "requires: lam-quen\n", 6, "'requires' must be a list"),
    ("bai.yaml", HEAD + SAY + "requires: [khong-co]\n", 6, "'requires' names no lesson 'khong-co'"),
    ("bai.yaml", HEAD + SAY + "requires: [bai]\n", 6, "'requires' names this lesson itself"),
    # --- YAML tricks
    ("bai.yaml", HEAD + "  - id: a\n    say: &x Xin chào\n", 5, "the anchor '&x' is not supported"),
    ("bai.yaml", HEAD + "  - id: a\n    say: !!python/object:os.system echo\n", 5, "YAML tags like '!!python/object:os.system' are not supported"),
    ("bai.yaml", HEAD + "  - id: a\n    say: !vi Xin chào\n", 5, "YAML tags like '!vi' are not supported"),
    ("bai.yaml", HEAD + SAY + "  - {id: b, say: Hai, <<: {end: true}}\n", 6, "merge keys ('<<') are not supported"),
    ("bai.yaml", HEAD + SAY + "? [a, b]\n: c\n", 6, "a key must be plain text"),
    ("bai.yaml", "id: bai\ntitle: x\nsteps: " + "[" * 100 + "]" * 100 + "\n", 3, "nests more than 30 levels"),
    ("bai.yaml", "id: bai\ntitle: Hỏi\x01đáp\nsteps: []\n", 2, "control character #x0001"),
    # --- steps: ids and kinds
    ("bai.yaml", steps("  - Xin chào\n"), 4, "steps[0] must be a mapping with 'id' and one of 'say', 'ask' or 'quiz', not 'Xin chào'"),
    ("bai.yaml", steps("  - say: Xin chào\n"), 4, "steps[0]: 'id' is missing"),
    ("bai.yaml", steps("  - id: Buoc 1\n    say: Xin chào\n"), 4, "steps[0]: 'id' 'Buoc 1' may use only a-z, 0-9 and '-'"),
    ("bai.yaml", steps(SAY + "  - id: a\n    say: Lần hai\n"), 6, "steps[1] (id 'a'): 'id' 'a' is already the id of the step at line 4"),
    ("bai.yaml", steps("  - id: a\n    button: Tiếp\n"), 4, "steps[0] (id 'a'): a step needs one of 'say', 'ask' or 'quiz'"),
    ("bai.yaml", steps("  - id: a\n    say: Xin chào\n    quiz: Câu hỏi?\n    answers: [x]\n"), 6, "a step has exactly one of 'say', 'ask' or 'quiz', not 'say' and 'quiz'"),
    ("bai.yaml", steps("  - id: a\n    say: ''\n"), 5, "steps[0] (id 'a'): 'say' must not be empty"),
    ("bai.yaml", steps("  - id: a\n    say:\n"), 5, "'say' must not be empty"),
    ("bai.yaml", steps("  - id: a\n    say: [một, hai]\n"), 5, "'say' must be text, not a list"),
    ("bai.yaml", steps("  - id: a\n    say: Xin chào\n    buton: Tiếp\n"), 6, "'buton' is not a key of a step; did you mean 'button'?"),
    # --- keys of another kind
    ("bai.yaml", steps("  - id: a\n    ask: Có không?\n    options: [{label: Có}, {label: Không}]\n    button: Tiếp\n"), 7, "'button' belongs to a say step, not to an ask step"),
    ("bai.yaml", steps("  - id: a\n    quiz: Số mấy?\n    answers: ['1']\n    wait: false\n"), 7, "'wait' belongs to a say step, not to a quiz step"),
    ("bai.yaml", steps("  - id: a\n    say: Xin chào\n    options: [{label: Có}, {label: Không}]\n"), 6, "'options' belongs to an ask or quiz step, not to a say step"),
    ("bai.yaml", steps("  - id: a\n    ask: Có không?\n    options: [{label: Có}, {label: Không}]\n    answers: [có]\n"), 7, "'answers' belongs to a quiz step, not to an ask step"),
    ("bai.yaml", steps("  - id: a\n    say: Xin chào\n    explain: Vì sao\n"), 6, "'explain' belongs to a quiz step, not to a say step"),
    ("bai.yaml", steps("  - id: a\n    say: Xin chào\n    hint: Gợi ý\n"), 6, "'hint' belongs to a quiz step, not to a say step"),
    ("bai.yaml", steps("  - id: a\n    ask: Có không?\n    options: [{label: Có}, {label: Không}]\n    tries: 2\n"), 7, "'tries' belongs to a quiz step, not to an ask step"),
    ("bai.yaml", steps("  - id: a\n    say: Xin chào\n    goto: a\n"), 6, "'goto' belongs to an option (under 'options'), not to the step"),
    ("bai.yaml", steps("  - id: a\n    quiz: Đúng không?\n    options:\n      - label: Đúng\n        correct: true\n        goto: a\n      - label: Sai\n"), 9, "options[0]: 'goto' belongs to the options of an ask step"),
    ("bai.yaml", steps("  - id: a\n    ask: Có không?\n    options:\n      - label: Có\n        correct: true\n      - label: Không\n"), 8, "options[0]: 'correct' belongs to the options of a quiz"),
    # --- options
    ("bai.yaml", steps("  - id: a\n    ask: Có không?\n    options:\n      - lable: Có\n      - label: Không\n"), 7, "steps[0] (id 'a'): options[0]: 'lable' is not a key of an option; did you mean 'label'?"),
    ("bai.yaml", steps("  - id: a\n    ask: Có không?\n    options:\n      - also: [có]\n      - label: Không\n"), 7, "options[0]: 'label' is missing"),
    ("bai.yaml", steps("  - id: a\n    ask: Có không?\n    options:\n      - label: ~\n      - label: Không\n"), 7, "options[0]: 'label' must not be empty"),
    ("bai.yaml", steps("  - id: a\n    ask: Có không?\n    options:\n      - Có\n      - label: Không\n"), 7, "options[0] must be a mapping like {label: …}, not 'Có'"),
    ("bai.yaml", steps("  - id: a\n    ask: Có không?\n    options:\n      - label: Có\n        also: có rồi\n      - label: Không\n"), 8, "options[0]: 'also' must be a list"),
    ("bai.yaml", steps("  - id: a\n    ask: Có không?\n    options:\n      - label: Có\n      - label: có\n"), 8, "options[1]: 'label' 'có' is already the label of options[0]"),
    ("bai.yaml", steps("  - id: a\n    ask: Có không?\n    options:\n      - label: Có\n"), 6, "'options' needs at least two options; it has 1"),
    ("bai.yaml", steps("  - id: a\n    ask: Có không?\n"), 4, "'options' is missing: an ask step offers at least two options"),
    ("bai.yaml", steps("  - id: a\n    ask: Có không?\n    options: có, không\n"), 6, "'options' must be a list"),
    # --- quiz
    ("bai.yaml", steps("  - id: a\n    quiz: Ai?\n    options:\n      - label: Tôi\n      - label: Công an\n"), 6, "no option has 'correct: true'; exactly one must"),
    ("bai.yaml", steps("  - id: a\n    quiz: Ai?\n    options:\n      - {label: Tôi, correct: true}\n      - {label: Công an, correct: true}\n"), 6, "2 options have 'correct: true'; exactly one must"),
    ("bai.yaml", steps("  - id: a\n    quiz: Ai?\n    options:\n      - {label: Tôi, correct: yes}\n      - {label: Công an}\n"), 7, "options[0]: 'correct' must be true or false, not 'yes'"),
    ("bai.yaml", steps("  - id: a\n    quiz: Ai?\n    order: random\n    options:\n      - {label: Tôi, correct: true}\n      - {label: Công an}\n"), 6, "'order' must be 'as-written' (keep the file's order) or 'shuffled', not 'random'"),
    ("bai.yaml", steps("  - id: a\n    ask: Có không?\n    options:\n      - {label: Có, last: true}\n      - {label: Không}\n"), 7, "options[0]: 'last' belongs to the options of a quiz; an ask's options keep their order"),
    ("bai.yaml", steps("  - id: a\n    quiz: Ai?\n    options:\n      - {label: Tôi, correct: true}\n      - {label: Không biết, last: có}\n"), 8, "options[1]: 'last' must be true or false, not 'có'"),
    ("bai.yaml", steps("  - id: a\n    quiz: Ai?\n    options:\n      - {label: Tôi, correct: true}\n      - {label: Bạn}\n    answers: [tôi]\n"), 9, "a quiz has either 'options' or 'answers', not both"),
    ("bai.yaml", steps("  - id: a\n    quiz: Ai?\n    explain: Vì.\n"), 4, "a quiz needs 'options' (multiple choice) or 'answers' (free answer)"),
    ("bai.yaml", steps("  - id: a\n    quiz: Số mấy?\n    answers: []\n"), 6, "'answers' needs at least one answer"),
    ("bai.yaml", steps("  - id: a\n    quiz: Số mấy?\n    answers: ['', '156']\n"), 6, "answers[0] must not be empty"),
    ("bai.yaml", steps("  - id: a\n    quiz: Số mấy?\n    answers: 156\n"), 6, "'answers' must be a list like [a, b], not '156'"),
    ("bai.yaml", steps("  - id: a\n    quiz: Số mấy?\n    answers: ['156']\n    tries: 0\n"), 7, "'tries' must be a whole number of at least 1, not '0'"),
    ("bai.yaml", steps("  - id: a\n    quiz: Số mấy?\n    answers: ['156']\n    explain: ''\n"), 7, "'explain' must not be empty"),
    ("bai.yaml", steps("  - id: a\n    quiz: Số mấy?\n    answers: ['156']\n    hint: '   '\n"), 7, "'hint' must not be empty"),
    # --- say
    ("bai.yaml", steps("  - id: a\n    say: Xin chào\n    wait: yes\n"), 6, "'wait' must be true or false, not 'yes'"),
    ("bai.yaml", steps("  - id: a\n    say: Xin chào\n    wait: 'false'\n"), 6, "'wait' must be true or false, without quotes"),
    ("bai.yaml", steps("  - id: a\n    say: Xin chào\n    button: ''\n"), 6, "'button' must not be empty"),
    # --- where the lesson goes
    ("bai.yaml", steps("  - id: a\n    ask: Có app chưa?\n    options:\n      - {label: Có, goto: b}\n      - {label: Chưa, goto: tai-ap}\n  - id: b\n    say: Mở app.\n    end: true\n  - id: tai-app\n    say: Tải app.\n"), 8, "steps[0] (id 'a'): options[1]: 'goto' names no step 'tai-ap'; did you mean 'tai-app'?"),
    ("bai.yaml", steps("  - id: a\n    say: Một\n    next: c\n  - id: b\n    say: Hai\n"), 6, "steps[0] (id 'a'): 'next' names no step 'c'"),
    ("bai.yaml", steps("  - id: a\n    say: Một\n    end: true\n    next: a\n"), 7, "'end: true' and 'next' contradict each other: keep one"),
    ("bai.yaml", steps("  - id: a\n    say: Một\n    end: 1\n"), 6, "'end' must be true or false, not '1'"),
    ("bai.yaml", steps("  - id: a\n    say: Một\n    end: true\n  - id: b\n    say: Hai\n"), 7, "steps[1] (id 'b'): no path reaches this step from the first step 'a'"),
    ("bai.yaml", steps("  - id: a\n    ask: Có không?\n    options:\n      - {label: Có, goto: c}\n      - {label: Không, goto: c}\n  - id: b\n    say: Hai\n  - id: c\n    say: Ba\n"), 9, "steps[1] (id 'b'): no path reaches this step"),
    ("bai.yaml", steps("  - id: a\n    say: Một\n  - id: b\n    say: Hai\n    wait: false\n  - id: c\n    say: Ba\n    wait: false\n    next: b\n"), 6, "steps[1] (id 'b'): the steps 'b' → 'c' → 'b' have 'wait: false', so they would repeat forever"),
    ("bai.yaml", steps("  - id: a\n    say: Một\n    wait: false\n    next: a\n"), 4, "steps[0] (id 'a'): this step has 'wait: false' and leads back to itself"),
    # --- image and links
    ("bai.yaml", steps("  - id: a\n    say: Một\n    image: media/khong-co.jpg\n"), 6, "'image' names no file: "),
    ("bai.yaml", steps("  - id: a\n    say: Một\n    image: media/../../bi-mat.jpg\n"), 6, "'image' 'media/../../bi-mat.jpg' must be a file under media/"),
    ("bai.yaml", steps("  - id: a\n    say: Một\n    image: /etc/passwd\n"), 6, "'image' '/etc/passwd' must be a file under media/"),
    ("bai.yaml", steps("  - id: a\n    say: Một\n    image: vneid/ch-play.jpg\n"), 6, "'image' 'vneid/ch-play.jpg' must start with 'media/': write 'media/vneid/ch-play.jpg'"),
    ("bai.yaml", steps("  - id: a\n    say: Một\n    image: http://example.com/a.jpg\n"), 6, "'image' must be an https:// URL or a file under media/, not 'http://example.com/a.jpg'"),
    ("bai.yaml", steps("  - id: a\n    say: Một\n    links: https://vneid.gov.vn\n"), 6, "'links' must be a list"),
    ("bai.yaml", steps("  - id: a\n    say: Một\n    links:\n      - {label: VNeID, url: 'http://vneid.gov.vn'}\n"), 7, "links[0]: 'url' must be an https:// address, not 'http://vneid.gov.vn'"),
    ("bai.yaml", steps("  - id: a\n    say: Một\n    links:\n      - {url: 'https://vneid.gov.vn'}\n"), 7, "links[0]: 'label' is missing"),
    ("bai.yaml", steps("  - id: a\n    say: Một\n    links:\n      - {label: VNeID}\n"), 7, "links[0]: 'url' is missing"),
    ("bai.yaml", steps("  - id: a\n    say: Một\n    links:\n      - {label: VNeID, ulr: 'https://vneid.gov.vn'}\n"), 7, "links[0]: 'ulr' is not a key of a link; did you mean 'url'?"),
    # --- the layout of the lines, as a new author gets it wrong: said in the author's words, not YAML's
    # a key indented more or less than the keys beside it
    ("bai.yaml", (HEAD + "  - id: a\n     say: Xin chào\n"), 5, "'say:' is indented 5 spaces, 1 more than 'id:' on line 4: keys that belong together start in the same column; indent it 4 spaces, right under 'id:'"),
    ("bai.yaml", (HEAD + "  - id: a\n   say: Xin chào\n"), 5, "'say:' is indented 3 spaces, 1 less than 'id:' on line 4"),
    ("bai.yaml", (HEAD + SAY + "  - id: b\n     say: Hai\n"), 7, "'say:' is indented 5 spaces, 1 more than 'id:' on line 6"),
    ("bai.yaml", (HEAD + SAY + "  - id: b\n   say: Hai\n"), 7, "'say:' is indented 3 spaces, 1 less than 'id:' on line 6"),
    ("bai.yaml", (HEAD + SAY + "     button: Tiếp\n"), 6, "'button:' is indented 5 spaces, 1 more than 'say:' on line 5"),
    ("bai.yaml", (HEAD + SAY + "   button: Tiếp\n"), 6, "'button:' is indented 3 spaces, 1 less than 'say:' on line 5"),
    ("bai.yaml", (HEAD + SAY + "  button: Tiếp\n"), 6, "'button:' is indented 2 spaces, 2 less than 'say:' on line 5"),
    ("bai.yaml", (HEAD + "  - id: a\n    say: 'Xin chào'\n      button: Tiếp\n"), 6, "'button:' is indented 6 spaces, 2 more than 'say:' on line 5"),
    ("bai.yaml", (HEAD + "  - id: a\n    quiz: Số mấy?\n    answers: ['156']\n     tries: 3\n"), 7, "'tries:' is indented 5 spaces, 1 more than 'answers:' on line 6"),
    ("bai.yaml", (HEAD + "  - id: a\n    ask: Có không?\n    options:\n      - label: Có\n         also: [có]\n      - label: Không\n"), 8, "'also:' is indented 9 spaces, 1 more than 'label:' on line 7"),
    ("bai.yaml", (HEAD + "  - id: a\n    ask: Có không?\n    options:\n      - label: Có\n       also: [có]\n      - label: Không\n"), 8, "'also:' is indented 7 spaces, 1 less than 'label:' on line 7"),
    ("bai.yaml", (HEAD + SAY + " - id: b\n   say: Hai\n"), 6, "this '- ' is indented 1 space, 1 less than the '- ' on line 4: the items of one list start in the same column; indent it 2 spaces"),
    ("bai.yaml", (HEAD + "  - id: a\n    ask: Có không?\n    options:\n      - label: Có\n     - label: Không\n"), 8, "this '- ' is indented 5 spaces, 1 less than the '- ' on line 7"),
    ("bai.yaml", "id: bai\n title: Bài học\nsteps:\n" + SAY, 2, "'title:' is indented 1 space, 1 more than 'id:' on line 1: keys that belong together start in the same column; start it at the margin, right under 'id:'"),
    ("bai.yaml", " id: bai\ntitle: Bài học\nsteps:\n" + SAY, 1, "'id:' is indented 1 space, but the keys of a file start at the margin, like 'title:' on line 2: start it at the margin"),
    ("bai.yaml", HEAD + SAY + "button: Tiếp\n", 6, "'button' belongs to a step (under 'steps'), not to the lesson: indent it like the other keys of its step"),
    ("bai.yaml", HEAD + "  - id: a\n    ask: Có không?\n    options:\n      - label: Có\n      - label: Không\ngoto: a\n", 9, "'goto' belongs to an option (under 'options'), not to the lesson"),
    ("bai.yaml", (HEAD + "  - id: a\n    say: |\n      Xin chào.\n      button: Tiếp\n"), 7, "'button:' is indented like the text under 'say: |' (line 5), so it would be read as part of that text: indent it 4 spaces, right under 'say:'"),
    ("bai.yaml", (HEAD + "  - id: a\n    say: |\n      Mở trang web.\n      links:\n      - {label: Mở, url: 'https://vneid.gov.vn'}\n"), 7, "'links:' is indented like the text under 'say: |' (line 5)"),
    # a line of text that lost its indentation
    ("bai.yaml", (HEAD + "  - id: a\n    say: Bác mở\n    ứng dụng Zalo.\n"), 6, "this line has no 'key:': if it goes on with the text of 'say:' on line 5, indent it more than 'say:'"),
    # text under 'say: |' (or '>') that is not indented under it
    ("bai.yaml", (HEAD + "  - id: a\n    say: |\n    Dòng một.\n    Dòng hai.\n"), 6, "the lines under 'say: |' (line 5) must be indented more than 'say:'"),
    ("bai.yaml", (HEAD + "  - id: a\n    say: |\n    Dòng một.\n  - id: b\n    say: Hai\n"), 6, "the lines under 'say: |' (line 5) must be indented more than 'say:'"),
    ("bai.yaml", (HEAD + "  - id: a\n    say: |\n    Bước 1: mở ứng dụng.\n    Bước 2: gõ chữ VNeID.\n"), 6, "the lines under 'say: |' (line 5) must be indented more than 'say:'"),
    ("bai.yaml", (HEAD + "  - id: a\n    say: >\n   Dòng một.\n"), 6, "the lines under 'say: >' (line 5) must be indented more than 'say:'"),
    ("bai.yaml", (HEAD + "  - id: a\n    say: |\n    - Bước một.\n    - Bước hai.\n"), 6, "the lines under 'say: |' (line 5) must be indented more than 'say:'"),
    ("bai.yaml", (HEAD + "  - id: a\n    quiz: Ai?\n    answers: [tôi]\n    explain: |-\n    Chỉ mình bác.\n"), 8, "the lines under 'explain: |-' (line 7) must be indented more than 'explain:'"),
    ("bai.yaml", HEAD + SAY + "summary: |\nMột dòng.\n", 7, "the lines under 'summary: |' (line 6) must be indented more than 'summary:'"),
    # ...or a line of that text indented less than the first
    ("bai.yaml", (HEAD + "  - id: a\n    say: |\n      Dòng một.\n     Dòng hai.\n"), 7, "this line is indented 5 spaces, less than the text above it under 'say: |' (line 5): indent every line of the text 6 spaces, like line 6"),
    ("bai.yaml", (HEAD + "  - id: a\n    say: |\n      Dòng một.\n    Dòng hai.\n"), 7, "this line is indented 4 spaces, less than the text above it under 'say: |' (line 5)"),
    ("bai.yaml", (HEAD + "  - id: a\n    say: |\n      Dòng một.\n    Bước 2: gõ chữ.\n"), 7, "this line is indented 4 spaces, less than the text above it under 'say: |' (line 5)"),
    # a key without the space after its colon
    ("bai.yaml", (HEAD + "  - id: a\n    say:Xin chào\n"), 5, "'say:' needs a space after the colon: write 'say: Xin chào'"),
    ("bai.yaml", (HEAD + "  - id:a\n    say: Xin chào\n"), 4, "'id:' needs a space after the colon: write 'id: a'"),
    ("bai.yaml", (HEAD + SAY + "    end:true\n"), 6, "'end:' needs a space after the colon: write 'end: true'"),
    ("bai.yaml", (HEAD + "  - id: a\n    ask: Có không?\n    options:\n      - label:Có\n      - label: Không\n"), 7, "'label:' needs a space after the colon: write 'label: Có'"),
    ("bai.yaml", (HEAD + "  -id: a\n    say: Xin chào\n"), 4, "'-id:' needs a space after the '-': write '- id: a'"),
    ("bai.yaml", (HEAD + "  - id: a\n    ask: Có không?\n    options:\n      -label: Có\n      - label: Không\n"), 7, "'-label:' needs a space after the '-': write '- label: Có'"),
    # tabs
    ("bai.yaml", (HEAD + "  - id: a\n\tsay: Xin chào\n"), 5, "this line is indented with a tab: indent with spaces, not tabs"),
    ("bai.yaml", (HEAD + "  - id: a\n    say: |\n\tDòng một.\n"), 6, "this line is indented with a tab: indent with spaces, not tabs"),
    ("bai.yaml", (HEAD + "  - id: a\n    say: |\n      Một.\n  \t\n      Hai.\n"), 7, "this line is indented with a tab: indent with spaces, not tabs"),
    # options written as texts, not as '- label: …'
    ("bai.yaml", (HEAD + "  - id: a\n    ask: Có không?\n    options: Có, Không\n"), 6, "'options' must be a list of options, one '- label: …' a line, not 'Có, Không'"),
    ("bai.yaml", (HEAD + "  - id: a\n    ask: Có không?\n    options: [Có, Không]\n"), 6, "each option needs its 'label:': write the options as '- label: Có', '- label: Không', one a line"),
    ("bai.yaml", (HEAD + "  - id: a\n    ask: Có không?\n    options:\n      - Có\n      - Không\n"), 7, "each option needs its 'label:': write the options as '- label: Có', '- label: Không', one a line"),
]  # fmt: skip


def content(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    """A content folder with these lesson files and one picture, media/vneid/ch-play.jpg."""
    folder = tmp_path / "content"
    (folder / "lessons").mkdir(parents=True)
    (folder / "media" / "vneid").mkdir(parents=True)
    (folder / "media" / "vneid" / "ch-play.jpg").write_bytes(b"\xff\xd8\xff")
    for name, text in files.items():
        path = folder / "lessons" / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(params=["libyaml", "pure-python"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test with libyaml's composer, then with PyYAML's own (the fallback)."""
    if request.param == "pure-python":
        monkeypatch.setattr(source, "Loader", source.PythonLoader)
    elif source.Loader is source.PythonLoader:
        pytest.skip("PyYAML is built without libyaml here")
    return str(request.param)


@pytest.mark.parametrize(
    ("name", "text", "line", "fragment"),
    CASES,
    ids=[f"{index}-{case[3][:40]}" for index, case in enumerate(CASES)],
)
def test_each_rule_gives_one_problem_with_its_line_and_key(
    tmp_path: Path, loader: str, name: str, text: str, line: int, fragment: str
) -> None:
    folder = content(tmp_path, {name: text})
    lessons, problems = load_lessons(folder)
    assert lessons == {}
    assert [(p.line, p.path) for p in problems] == [(line, str(folder / "lessons" / name))], [
        str(p) for p in problems
    ]
    assert fragment in problems[0].message, str(problems[0])


# Layouts that are right however odd they look: the checks of layout must let them through.
VALID_LAYOUTS: list[tuple[str, str]] = [
    ("a text that goes on, indented", (HEAD + "  - id: a\n    say: Bác mở\n      ứng dụng Zalo.\n      rồi bấm nút.\n")),
    ("a text on the line after its key", (HEAD + "  - id: a\n    say:\n      Bác mở ứng dụng\n      rồi bấm nút.\n")),
    ("a list at its key's column", "id: bai\ntitle: Bài học\nsteps:\n- id: a\n  say: Một\n- id: b\n  ask: Có không?\n  options:\n  - label: Có\n  - label: Không\n"),
    ("blank and deeper lines in a text", (HEAD + "  - id: a\n    say: |\n      Một.\n\n        Hai, thụt vào.\n      Ba.\n    button: Tiếp\n")),
    ("words like keys inside a text", (HEAD + "  - id: a\n    say: >-\n      id:abc\n      - Bước 1: mở\n      mã: 123456\n        say: thụt vào thì là chữ\n  - id: b\n    say: Hai\n")),
    ("comments anywhere", "# đầu\nid: bai\n  # lệch\ntitle: Bài học # tên\nsteps:\n# giữa\n  - id: a # bước\n    say: | # chữ\n      Một.\n# cuối\n"),
    ("a quoted text over lines", (HEAD + '  - id: a\n    say: "Một: hai\n      ba"\n    button: Tiếp\n')),
    ("a flow list over lines", (HEAD + "  - id: a\n    ask: Có không?\n    options: [{label: Có},\n      {label: Không}]\n")),
    ("an address with a colon", (HEAD + "  - id: a\n    say: Mở https://vneid.gov.vn\n    links: [{label: Mở, url: https://vneid.gov.vn}]\n")),
    ("an answer that goes on", (HEAD + "  - id: a\n    quiz: Số mấy?\n    answers:\n      - một năm\n        sáu\n      - '156'\n")),
    ("a document start", "---\n" + HEAD + SAY),
]  # fmt: skip


@pytest.mark.parametrize(("why", "text"), VALID_LAYOUTS, ids=[why for why, _ in VALID_LAYOUTS])
def test_right_layouts_load(tmp_path: Path, loader: str, why: str, text: str) -> None:
    lessons, problems = load_lessons(content(tmp_path, {"bai.yaml": text}))
    assert [str(p) for p in problems] == []
    assert list(lessons) == ["bai"]


def test_the_checks_of_layout_find_nothing_in_files_that_load() -> None:
    repo = Path(__file__).resolve().parents[1]
    files = [*repo.glob("content/**/*.yaml"), *repo.glob("tests/data/**/*.yaml")]
    assert len(files) > 20
    for path in files:
        assert layout.scan(path.read_text(encoding="utf-8")) is None, path


def test_the_layout_knows_every_key_of_the_format() -> None:
    """A key written against its value ('say:Xin chào') is found for the keys it knows."""
    from lessons import loader, step_loader

    keys = {
        *loader.LESSON_KEYS,
        *loader.CERTIFICATE_KEYS,
        *step_loader.COMMON_KEYS,
        *step_loader.KINDS,
        *(key for keys in step_loader.KIND_KEYS.values() for key in keys),
        *(key for keys in step_loader.OPTION_KEYS.values() for key in keys),
        *step_loader.LINK_KEYS,
        "certificates",
    }
    assert keys == layout.KEYS


def test_the_table_is_wrong_when_its_yaml_is_right(tmp_path: Path) -> None:
    """The rows are one mistake away from valid: the same head with one good step loads."""
    folder = content(tmp_path, {"bai.yaml": HEAD + SAY})
    lessons, problems = load_lessons(folder)
    assert problems == []
    assert list(lessons) == ["bai"]


FULL = lesson(
    """
    id: cai-dat-vneid
    title: Cài đặt VNeID
    summary: Tải và cài ứng dụng VNeID.
    minutes: 5
    skills: [4.1, "4.10"]
    requires: [an-toan-otp]
    pass_score: 0.8
    steps:
      - id: da-co-app
        ask: Điện thoại của bác đã có ứng dụng VNeID chưa?
        options:
          - label: Có rồi
            goto: dang-nhap
          - label: Chưa có
            also: [chưa cài, không có]
            goto: tai-app
      - id: tai-app
        say: |
          Bước 1: Mở ứng dụng *CH Play*.
          Gõ chữ VNeID vào ô tìm kiếm.
        image: media/vneid/ch-play.jpg
        button: Xong, tiếp tục ▶
        links: [{label: Mở CH Play, url: "https://play.google.com/store"}]
        next: cau-1
      - id: dang-nhap
        say: Đăng nhập bằng số định danh.
        wait: false
        image: https://example.com/a.jpg
      - id: cau-1
        quiz: Ai được biết mã OTP của bác?
        options:
          - label: Chỉ mình tôi
            correct: true
          - label: No
            correct: false
        explain: OTP chỉ mình bác được biết.
        hint: Nghĩ xem ai là chủ tài khoản.
        tries: 3
      - id: cau-2
        quiz: Bác nhắn tin đến tổng đài số mấy?
        answers: [156, một năm sáu]
        end: true
    """
)
OTP = "id: an-toan-otp\ntitle: An toàn OTP\nsteps:\n  - id: a\n    say: Không đưa OTP cho ai.\n"


def test_a_full_lesson_loads_into_the_model(tmp_path: Path, loader: str) -> None:
    folder = content(tmp_path, {"cai-dat-vneid.yaml": FULL, "an-toan-otp.yaml": OTP})
    lessons, problems = load_lessons(folder)
    assert problems == []
    assert list(lessons) == ["an-toan-otp", "cai-dat-vneid"]
    vneid = lessons["cai-dat-vneid"]
    assert isinstance(vneid, Lesson)
    assert (vneid.title, vneid.summary, vneid.minutes) == (
        "Cài đặt VNeID",
        "Tải và cài ứng dụng VNeID.",
        5,
    )
    assert vneid.skills == ("4.1", "4.10")
    assert vneid.requires == ("an-toan-otp",)
    assert vneid.pass_score == 0.8
    assert vneid.path == folder / "lessons" / "cai-dat-vneid.yaml"
    ask, say, passing, multiple, free = vneid.steps
    assert ask == Ask(
        id="da-co-app",
        text="Điện thoại của bác đã có ứng dụng VNeID chưa?",
        line=9,
        options=(
            Option("Có rồi", goto="dang-nhap"),
            Option("Chưa có", also=("chưa cài", "không có"), goto="tai-app"),
        ),
    )
    media = (folder / "media" / "vneid" / "ch-play.jpg").resolve()
    assert say == Say(
        id="tai-app",
        text="Bước 1: Mở ứng dụng *CH Play*.\nGõ chữ VNeID vào ô tìm kiếm.",
        image=str(media),
        links=(Link("Mở CH Play", "https://play.google.com/store"),),
        next="cau-1",
        line=17,
        button="Xong, tiếp tục ▶",
    )
    assert Path(say.image or "").is_absolute()
    assert passing == Say(
        id="dang-nhap",
        text="Đăng nhập bằng số định danh.",
        image="https://example.com/a.jpg",
        wait=False,
        line=25,
    )
    assert multiple == Quiz(
        id="cau-1",
        text="Ai được biết mã OTP của bác?",
        options=(Option("Chỉ mình tôi", correct=True), Option("No")),
        explain="OTP chỉ mình bác được biết.",
        hint="Nghĩ xem ai là chủ tài khoản.",
        tries=3,
        line=29,
    )
    assert free == Quiz(
        id="cau-2",
        text="Bác nhắn tin đến tổng đài số mấy?",
        answers=("156", "một năm sáu"),
        end=True,
        line=39,
    )
    assert free.tries == 2 and free.explain is None


def test_defaults_when_optional_keys_are_left_out(tmp_path: Path) -> None:
    lesson_, problems = load_lesson(
        content(tmp_path, {"bai.yaml": HEAD + SAY}) / "lessons" / "bai.yaml", tmp_path / "content"
    )
    assert problems == []
    assert lesson_ is not None
    assert (lesson_.summary, lesson_.minutes, lesson_.skills, lesson_.requires) == (
        None,
        None,
        (),
        (),
    )
    assert lesson_.pass_score == 0.66
    assert lesson_.steps == (Say(id="a", text="Xin chào", line=4),)


@pytest.mark.parametrize(
    ("value", "text"),
    [("No", "No"), ("yes", "yes"), ("off", "off"), ("156", "156"), ("0.10", "0.10"),
     ("1:20", "1:20"), ("2024-01-01", "2024-01-01"), ("'007'", "007"), ("null", None)],
)  # fmt: skip
def test_text_keeps_what_was_written_not_what_yaml_1_1_makes_of_it(
    tmp_path: Path, loader: str, value: str, text: str | None
) -> None:
    yaml_text = steps(
        f"""
          - id: a
            quiz: Câu?
            options:
              - label: {value}
                correct: true
              - label: Khác
          - id: b
            quiz: Số?
            answers: [{value}]
        """
    )
    lessons, problems = load_lessons(content(tmp_path, {"bai.yaml": yaml_text}))
    if text is None:
        assert [p.line for p in problems] == [7, 12]
        assert all("must not be empty" in p.message for p in problems)
        return
    assert problems == []
    multiple, free = lessons["bai"].steps
    assert multiple.options[0].label == text
    assert isinstance(free, Quiz) and free.answers == (text,)


def test_bom_and_crlf_files_load_with_the_right_lines(tmp_path: Path, loader: str) -> None:
    text = (HEAD + SAY + "  - id: b\n    say: Hai\n    next: c\n").replace("\n", "\r\n")
    folder = content(tmp_path, {"bai.yaml": b"\xef\xbb\xbf" + text.encode()})
    lessons, problems = load_lessons(folder)
    assert [(p.line, p.message) for p in problems] == [
        (8, "steps[1] (id 'b'): 'next' names no step 'c'")
    ]
    (folder / "lessons" / "bai.yaml").write_bytes(
        b"\xef\xbb\xbf" + (HEAD + SAY).replace("\n", "\r\n").encode()
    )
    lessons, problems = load_lessons(folder)
    assert problems == []
    assert lessons["bai"].steps[0].text == "Xin chào"


def test_a_file_that_is_not_utf8_is_a_problem_on_line_1(tmp_path: Path) -> None:
    latin1 = b"id: bai\ntitle: Bai\nsteps:\n  - id: a\n    say: Xin ch\xe0o\n"
    folder = content(tmp_path, {"bai.yaml": latin1})
    lessons, problems = load_lessons(folder)
    assert lessons == {}
    assert len(problems) == 1
    assert problems[0].line == 1
    assert "not UTF-8" in problems[0].message and "line 5" in problems[0].message


def test_an_image_linked_out_of_the_media_folder_is_refused(tmp_path: Path) -> None:
    folder = content(
        tmp_path, {"bai.yaml": steps("  - id: a\n    say: Một\n    image: media/a.jpg\n")}
    )
    (tmp_path / "secret.jpg").write_bytes(b"\xff\xd8\xff")
    (folder / "media" / "a.jpg").symlink_to(tmp_path / "secret.jpg")
    _, problems = load_lessons(folder)
    assert [(p.line, p.message) for p in problems] == [
        (
            6,
            "steps[0] (id 'a'): 'image' 'media/a.jpg' must be a file under media/ (like 'media/vneid/app.jpg') or an https:// URL",
        )
    ]


def test_decomposed_vietnamese_is_stored_composed(tmp_path: Path) -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Xin chào")
    folder = content(tmp_path, {"bai.yaml": HEAD + f"  - id: a\n    say: {decomposed}\n"})
    lessons, problems = load_lessons(folder)
    assert problems == []
    assert lessons["bai"].steps[0].text == "Xin chào"


def test_a_billion_laughs_is_one_problem_per_alias_not_a_hang(tmp_path: Path) -> None:
    lol = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    folder = content(tmp_path, {"bai.yaml": lol})
    started = time.perf_counter()
    lessons, problems = load_lessons(folder)
    assert time.perf_counter() - started < 5
    assert lessons == {}
    assert problems and all("anchor" in p.message or "alias" in p.message for p in problems)


def test_very_deep_nesting_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    deep = "id: bai\ntitle: x\nsteps: " + "[" * 200_000 + "]" * 200_000 + "\n"
    folder = content(tmp_path, {"bai.yaml": deep})
    lessons, problems = load_lessons(folder)
    assert lessons == {}
    assert [p.line for p in problems] == [3]
    assert "nests more than" in problems[0].message


def test_all_problems_of_a_file_are_reported_in_line_order(tmp_path: Path) -> None:
    text = steps(
        """
          - id: a
            say: Một
            buton: Tiếp
          - id: b
            ask: Có không?
            options: [{label: Có, goto: x}]
        minutes: 0
        """
    )
    lessons, problems = load_lessons(content(tmp_path, {"bai.yaml": text}))
    assert lessons == {}
    assert [p.line for p in problems] == [6, 9, 9, 10]
    assert problems == sorted(problems)


def test_a_broken_file_does_not_stop_the_others(tmp_path: Path) -> None:
    folder = content(
        tmp_path,
        {"a.yaml": "id: a\ntitle: A\nsteps: [{id: x, say: Một}]\n", "b.yaml": "id: b\n"},
    )
    lessons, problems = load_lessons(folder)
    assert list(lessons) == ["a"]
    assert [str(p) for p in problems] == [
        f"{folder}/lessons/b.yaml:1: 'title' is missing",
        f"{folder}/lessons/b.yaml:1: 'steps' is missing",
    ]


def test_a_requires_naming_a_broken_lesson_is_not_a_second_problem(tmp_path: Path) -> None:
    a = "id: a\ntitle: A\nrequires: [b]\nsteps: [{id: x, say: Một}]\n"
    folder = content(tmp_path, {"a.yaml": a, "b.yaml": "id: b\n"})
    lessons, problems = load_lessons(folder)
    assert list(lessons) == ["a"]
    assert {p.path for p in problems} == {str(folder / "lessons" / "b.yaml")}


def test_relative_folders_give_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content(tmp_path, {"bai.yaml": "id: bai\n"})
    monkeypatch.chdir(tmp_path)
    _, problems = load_lessons(Path("content"))
    assert str(problems[0]) == "content/lessons/bai.yaml:1: 'title' is missing"


def test_no_lessons_folder_is_a_problem(tmp_path: Path) -> None:
    lessons, problems = load_lessons(tmp_path)
    assert lessons == {}
    assert [p.path for p in problems] == [str(tmp_path / "lessons")]


def test_other_files_in_the_lessons_folder_are_ignored(tmp_path: Path) -> None:
    folder = content(
        tmp_path,
        {"bai.yaml": HEAD + SAY, "README.md": "# not a lesson", "._bai.yaml": b"\x00\x05\x16\x07"},
    )
    lessons, problems = load_lessons(folder)
    assert (list(lessons), problems) == (["bai"], [])


def test_content_error_lists_one_problem_a_line() -> None:
    error = ContentError([Problem("a.yaml", 3, "x"), Problem("b.yaml", 1, "y")])
    assert str(error) == "a.yaml:3: x\nb.yaml:1: y"
    assert error.problems[1] == Problem("b.yaml", 1, "y")


def many_lessons(folder: Path, count: int) -> None:
    for number in range(count):
        lesson_id = f"bai-{number:03d}"
        (folder / "lessons" / f"{lesson_id}.yaml").write_text(
            FULL.replace("cai-dat-vneid", lesson_id).replace("[an-toan-otp]", "[]"),
            encoding="utf-8",
        )


def test_loading_200_lessons_gives_200_lessons(tmp_path: Path) -> None:
    folder = content(tmp_path, {})
    many_lessons(folder, 200)
    lessons, problems = load_lessons(folder)
    assert problems == []
    assert len(lessons) == 200
    assert list(lessons) == sorted(lessons)


# --- certificates.yaml

CERTIFICATE_CASES: list[tuple[str, int, str]] = [
    ("- id: x\n", 1, "certificates.yaml must hold 'certificates:', not a list"),
    ("certificates: []\nchung_chi: []\n", 2, "'chung_chi' is not a key of certificates.yaml"),
    ("{}\n", 1, "'certificates' is missing: write 'certificates: []' for none"),
    ("certificates: []\nextra: 1\n", 2, "'extra' is not a key of certificates.yaml"),
    ("# nothing\ncertificate: []\n", 2, "'certificate' is not a key of certificates.yaml; did you mean 'certificates'?"),
    ("certificates:\n", 1, "'certificates' must be a list"),
    ("certificates: [ky-nang]\n", 1, "certificates[0] must be a mapping with 'id', 'title' and 'lessons'"),
    ("certificates:\n  - id: a\n    title: A\n    lessons: [bai]\n    mota: x\n", 5, "certificates[0] (id 'a'): 'mota' is not a key of a certificate"),
    ("certificates:\n  - id: a\n    title: A\n    lesson: [bai]\n", 4, "'lesson' is not a key of a certificate; did you mean 'lessons'?"),
    ("certificates:\n  - title: A\n    lessons: [bai]\n", 2, "certificates[0]: 'id' is missing"),
    ("certificates:\n  - id: a\n    lessons: [bai]\n", 2, "certificates[0] (id 'a'): 'title' is missing"),
    ("certificates:\n  - id: a\n    title: A\n", 2, "'lessons' is missing"),
    ("certificates:\n  - id: a\n    title: A\n    lessons: []\n", 4, "'lessons' needs at least one lesson"),
    ("certificates:\n  - id: a\n    title: A\n    lessons: bai\n", 4, "'lessons' must be a list"),
    ("certificates:\n  - id: Kỹ năng\n    title: A\n    lessons: [bai]\n", 2, "'id' 'Kỹ năng' may use only a-z, 0-9 and '-'"),
    ("certificates:\n  - {id: a, title: A, lessons: [bai]}\n  - {id: a, title: B, lessons: [bai]}\n", 3, "certificates[1] (id 'a'): 'id' 'a' is already the id of the certificate at line 2"),
    ("certificates:\n  - id: a\n    title: A\n    lessons: [bai, khong-co]\n", 4, "'lessons' names no lesson 'khong-co'"),
    ("certificates:\n  - id: a\n    title: A\n    lessons:\n      - bai\n      - bai\n", 6, "'lessons' lists 'bai' twice (first at line 5)"),
    ("certificates:\n  - id: a\n    title: ''\n    lessons: [bai]\n", 3, "'title' must not be empty"),
    ("certificates:\n  - id: a\n    title: A\n    lessons: [bai]\n    description: ''\n", 5, "'description' must not be empty"),
    ("certificates: [\n", 2, "YAML syntax error"),
    ("certificates:\n  - id: a\n    title: A\n    lessons: [bai]\n    skills: ['4.1']\n", 5, "'skills' names '4.1', which none of its lessons has under 'skills' (they have none)"),
    ("certificates:\n  - id: a\n    title: A\n    lessons: [bai]\n    skills: 4.1\n", 5, "'skills' must be a list"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "fragment"), CERTIFICATE_CASES)
def test_each_certificate_rule(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    folder = content(tmp_path, {"bai.yaml": HEAD + SAY})
    lessons, _ = load_lessons(folder)
    path = folder / "certificates.yaml"
    path.write_text(text, encoding="utf-8")
    certificates, problems = load_certificates(path, lessons)
    assert [(p.line, p.path) for p in problems] == [(line, str(path))], [str(p) for p in problems]
    assert fragment in problems[0].message, str(problems[0])
    assert all(certificate.id != "a" for certificate in certificates) or "lists" not in fragment


def test_certificates_load(tmp_path: Path) -> None:
    folder = content(tmp_path, {"bai.yaml": HEAD + SAY})
    lessons, _ = load_lessons(folder)
    path = folder / "certificates.yaml"
    path.write_text(
        "certificates:\n"
        "  - id: ky-nang-so-co-ban\n    title: Kỹ năng số cơ bản\n    lessons: [bai]\n"
        "    description: Cho người mới.\n"
        "  - {id: b, title: B, lessons: [bai]}\n",
        encoding="utf-8",
    )
    assert load_certificates(path, lessons) == (
        [
            Certificate("ky-nang-so-co-ban", "Kỹ năng số cơ bản", ("bai",), "Cho người mới."),
            Certificate("b", "B", ("bai",)),
        ],
        [],
    )


def test_a_certificate_shows_the_framework_codes_of_its_lessons(tmp_path: Path) -> None:
    """Left out, a certificate's `skills` are every code its lessons carry, each once, in the
    framework's order; written, they are what it says, each one that a lesson of it carries."""
    folder = content(
        tmp_path,
        {
            "bai.yaml": 'id: bai\ntitle: Bài\nskills: ["4.2", "1.10", "0.2"]\nsteps:\n' + SAY,
            "hai.yaml": 'id: hai\ntitle: Hai\nskills: ["1.2", "4.2"]\nsteps:\n' + SAY,
            "ba.yaml": "id: ba\ntitle: Ba\nsteps:\n" + SAY,
        },
    )
    lessons, _ = load_lessons(folder)
    path = folder / "certificates.yaml"
    path.write_text(
        "certificates:\n"
        "  - {id: tat-ca, title: A, lessons: [bai, hai, ba]}\n"
        "  - {id: chon, title: B, lessons: [bai, hai], skills: ['4.2', '1.2']}\n"
        "  - {id: khong, title: C, lessons: [ba]}\n",
        encoding="utf-8",
    )
    certificates, problems = load_certificates(path, lessons)
    assert problems == []
    assert [(c.id, c.skills) for c in certificates] == [
        ("tat-ca", ("0.2", "1.2", "1.10", "4.2")),
        ("chon", ("4.2", "1.2")),
        ("khong", ()),
    ]


def test_no_certificates_file_means_no_certificates(tmp_path: Path) -> None:
    assert load_certificates(tmp_path / "certificates.yaml", {}) == ([], [])
    (tmp_path / "certificates.yaml").write_text("", encoding="utf-8")
    assert load_certificates(tmp_path / "certificates.yaml", {}) == ([], [])


def test_a_certificate_naming_a_lesson_that_did_not_load_says_so(tmp_path: Path) -> None:
    folder = content(tmp_path, {"bai.yaml": "id: bai\n"})
    lessons, _ = load_lessons(folder)
    path = folder / "certificates.yaml"
    path.write_text("certificates:\n  - {id: a, title: A, lessons: [bai]}\n", encoding="utf-8")
    certificates, problems = load_certificates(path, lessons)
    assert certificates == []
    assert [p.message for p in problems] == [
        "certificates[0] (id 'a'): 'lessons' names 'bai', which did not load (see its errors)"
    ]
