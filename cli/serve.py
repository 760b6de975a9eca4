"""`hocso serve`: run the webhook service and the web chat (uvicorn), and optionally
register the webhooks with the platforms first (`--set-webhook`). It publishes its content
folder's version as it starts, and again on SIGHUP (as `hocso reload` does; see
`webhook.reload`)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

from cli.common import add_common, load_content, open_or_say


def register(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the webhook service",
        description="Run the service that chat platforms call (uvicorn). Channels are turned "
        "on by their settings in the environment, e.g. TELEGRAM_BOT_TOKEN and "
        "TELEGRAM_SECRET_TOKEN; with none it still starts. See the README for every setting. "
        "SIGHUP makes every worker load the content folder again, as `hocso reload` does.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="the port to listen on")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes, each on a socket of its own (SO_REUSEPORT) so the kernel spreads "
        "connections evenly; several need a SQLite or Redis store",
    )
    serve.add_argument(
        "--set-webhook",
        action="store_true",
        help="first tell each configured platform (Telegram, the Zalo Bot Platform) to send "
        "updates to $HOCSO_PUBLIC_URL/webhook/telegram, /webhook/zalo-bot",
    )
    serve.add_argument(
        "--global-rate",
        type=float,
        help="messages a second to all chats (env HOCSO_RATE_GLOBAL; 30)",
    )
    serve.add_argument(
        "--chat-rate", type=float, help="messages a second to one chat (env HOCSO_RATE_CHAT; 1)"
    )
    serve.add_argument(
        "--chat-burst",
        type=float,
        help="messages at once to one chat (env HOCSO_RATE_CHAT_BURST; 3)",
    )
    serve.add_argument("--log-level", default="info", help="debug, info, warning or error")
    add_common(serve)
    serve.set_defaults(run=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.publish import announce
    from webhook import logs
    from webhook.reload import Republisher
    from webhook.settings import Settings

    # Workers are separate processes: they read their settings from the environment.
    overrides = {
        "HOCSO_CONTENT": str(args.content) if args.content else None,
        "HOCSO_STORE": args.store,
        "HOCSO_RATE_GLOBAL": args.global_rate,
        "HOCSO_RATE_CHAT": args.chat_rate,
        "HOCSO_RATE_CHAT_BURST": args.chat_burst,
        "HOCSO_LOG_LEVEL": args.log_level,
    }
    os.environ.update({name: str(value) for name, value in overrides.items() if value is not None})
    try:
        settings = Settings.from_env()
    except ValueError as error:
        print(f"hocso: {error}", file=sys.stderr)
        return 1
    content = load_content(settings.content)
    if content is None:
        return 1
    if args.workers > 1 and settings.store.startswith("memory:"):
        print("hocso: several workers need a shared store (sqlite:// or redis://)", file=sys.stderr)
        return 1
    store = open_or_say(settings.store, timeout=settings.store_timeout)
    if store is None:
        return 1
    try:
        # This folder is what runs now: the workers follow the version published (see there).
        announce(store, content, serving=True)
    except Exception as error:  # a store that does not answer yet: serve all the same
        print(
            f"hocso: could not publish the content version to the store ({error}); once it "
            "answers, run `hocso reload` for the workers to follow later edits",
            file=sys.stderr,
        )
    finally:
        store.close()
    if args.set_webhook and not _set_webhook(settings):
        return 1
    logs.setup(args.log_level.upper())
    options: dict[str, Any] = {
        "app": "webhook.app:create_app",
        "factory": True,
        "log_level": args.log_level,
        "log_config": logs.uvicorn_config(args.log_level),
        "access_log": False,
        # httptools with limits on slow and large requests (HOCSO_HEADER_TIMEOUT, ...).
        "http": "webhook.http:HttpProtocol",
        # Telegram keeps webhook connections open; uvicorn's default closes idle ones after 5 s,
        # and a client that reuses one just as it closes gets a reset.
        "timeout_keep_alive": 75,
        # A stop waits this long for requests in flight: webhooks finish in milliseconds, but
        # the web chat's long polls would hold it for up to 25 s.
        "timeout_graceful_shutdown": 10,
    }
    metrics = settings.metrics_token is not None
    # SIGHUP: publish the content folder again, in a thread (the workers then follow).
    republisher = Republisher(
        settings.content, settings.store, timeout=settings.store_timeout
    ).start()
    if args.workers > 1:
        # Each worker on a socket of its own, so connections are spread evenly (see there);
        # with metrics on, the workers count in files of a folder the supervisor prepares.
        from webhook.workers import serve

        return serve(
            options,
            args.host,
            args.port,
            args.workers,
            metrics=metrics,
            on_hangup=republisher.request,
        )
    # One process: its metrics are counted in memory (prometheus_client reads this variable
    # when it is first imported, in this process's app).
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    signal.signal(signal.SIGHUP, lambda number, frame: republisher.request())
    uvicorn.run(host=args.host, port=args.port, workers=args.workers, **options)
    return 0


def _set_webhook(settings: Any) -> bool:
    """Register the webhook of every configured channel that registers one by API, saying
    what each platform answered; False when any refused."""
    if not settings.public_url or not (settings.telegram or settings.zalo_bot):
        print(
            "hocso: --set-webhook needs HOCSO_PUBLIC_URL and a channel to register: "
            "TELEGRAM_BOT_TOKEN and TELEGRAM_SECRET_TOKEN, or ZALO_BOT_TOKEN and "
            "ZALO_BOT_SECRET_TOKEN",
            file=sys.stderr,
        )
        return False
    done = True
    if settings.telegram:
        done = _set_telegram_webhook(settings) and done
    if settings.zalo_bot:
        done = _set_zalo_bot_webhook(settings) and done
    return done


def _set_telegram_webhook(settings: Any) -> bool:
    import asyncio

    from handlers.telegram import make_bot, set_webhook

    url = f"{settings.public_url}/webhook/telegram"

    async def register() -> None:
        bot = make_bot(settings.telegram_token, settings.telegram_api_url)
        async with bot:
            await set_webhook(bot, url, settings.telegram_secret)

    try:
        asyncio.run(register())
    except Exception as error:  # a person fixes this: say what Telegram answered
        print(f"hocso: Telegram did not take the webhook {url}: {error}", file=sys.stderr)
        return False
    print(f"hocso: Telegram now sends updates to {url}", file=sys.stderr)
    return True


def _set_zalo_bot_webhook(settings: Any) -> bool:
    import asyncio

    from handlers.zalo_bot import ZaloBotApi, set_webhook

    url = f"{settings.public_url}/webhook/zalo-bot"
    if not 8 <= len(settings.zalo_bot_secret) <= 256:
        print("hocso: ZALO_BOT_SECRET_TOKEN must be 8 to 256 characters long", file=sys.stderr)
        return False

    async def register() -> dict[str, Any]:
        api = ZaloBotApi(settings.zalo_bot_token, settings.zalo_bot_api_url)
        try:
            return await set_webhook(api, url, settings.zalo_bot_secret)
        finally:
            await api.aclose()

    try:
        result = asyncio.run(register())
    except Exception as error:  # a person fixes this: say what Zalo answered
        print(f"hocso: Zalo did not take the webhook {url}: {error}", file=sys.stderr)
        return False
    print(f"hocso: the Zalo Bot Platform now sends updates to {url}", file=sys.stderr)
    check = result.get("verification")
    if isinstance(check, dict) and check.get("ok") is False:
        # Zalo posts a test update as soon as the webhook is saved, before the service is up.
        hint = f" ({check['hint']})" if check.get("hint") else ""
        print(
            f"hocso: Zalo's test request to it got {check.get('outcome')}{hint}. The service "
            "starts only now, so webhook.err.unreachable or webhook.http.5xx is expected; "
            "anything else (TLS, 403 from a firewall, 404) needs fixing.",
            file=sys.stderr,
        )
    return True
