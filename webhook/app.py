"""The FastAPI app: health, the channels' webhooks, the web chat, the console at `/admin`
(`webhook.console`), `/metrics` (`webhook.metrics`, when HOCSO_METRICS_TOKEN is set), and the
OpenAPI page at /docs (unless HOCSO_DOCS=0).

uvicorn --factory webhook.app:create_app     # settings from the environment
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from bot.stores.base import Store
from webhook import logs
from webhook.certificates import CERTIFICATE_OPENAPI, certificate_routes
from webhook.console import Console
from webhook.media import media_route
from webhook.metrics import METRICS_OPENAPI, StoreGauges, metrics_route
from webhook.service import Service
from webhook.settings import Settings
from webhook.signals import on_stop_signal
from webhook.telegram import TELEGRAM_OPENAPI, telegram_route
from webhook.web import WEB_OPENAPI, web_routes
from webhook.zalo_bot import ZALO_BOT_OPENAPI, zalo_bot_route
from webhook.zalo_oa import ZALO_OA_OPENAPI, zalo_oa_route

log = logging.getLogger("hocso.certificates")


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The app for one worker process (`clock`: what turns and reminders are timed by, for
    tests). Raises ContentError when the content has problems."""
    logs.setup(os.environ.get(logs.LEVEL_ENV, "INFO").upper())  # every worker process
    service = Service(settings or Settings.from_env(), store=store, clock=clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await service.start()
        # What start-up built (modules, content, the app) lives as long as the worker: moved
        # out of the collector's way, a full collection no longer walks it (pauses of ~0.15 s).
        gc.collect()
        gc.freeze()
        try:
            with on_stop_signal(asyncio.get_running_loop(), service.draining.set):
                yield
        finally:
            await service.stop()

    # HOCSO_DOCS=0: no /docs, /redoc nor /openapi.json (each answers 404).
    shown: dict[str, Any] = {} if service.settings.docs else {
        "docs_url": None, "redoc_url": None, "openapi_url": None
    }  # fmt: skip
    app = FastAPI(
        title="hocso",
        summary="A chat tutor for Bình dân học vụ số",
        lifespan=lifespan,
        **shown,
    )
    app.state.service = service

    @app.get("/healthz", summary="200 when the store answers")
    def healthz() -> JSONResponse:
        # In a worker thread (a plain def): a store that does not answer holds nothing else up,
        # and a call waits HOCSO_STORE_TIMEOUT at most. Down already: answered at once.
        if service.store_calls.down is not None or not service.store.ping():
            return JSONResponse({"ok": False, "store": "down"}, status_code=503)
        try:
            pending = service.store.pending()
        except Exception:  # gone between the two calls
            return JSONResponse({"ok": False, "store": "down"}, status_code=503)
        return JSONResponse({"ok": True, "pending": pending})

    # A plain Starlette route: the endpoint uses nothing of FastAPI's, whose per-request
    # machinery cost a noticeable share of a turn under load. Documented by hand below.
    app.router.routes.append(telegram_route(service))
    app.router.routes.append(zalo_bot_route(service))
    app.router.routes.append(zalo_oa_route(service))
    app.router.routes.append(media_route(service.settings.content))

    def certificates_failed(error: Exception) -> None:
        service.store_failures.log(log, "a certificate could not be looked up", error, {})

    app.router.routes.extend(certificate_routes(service.certificates, certificates_failed))
    app.router.routes.extend(web_routes(service))
    console = app.state.console = Console(service)
    app.router.routes.extend(console.routes())
    gauges = StoreGauges(service.store, lambda: service.store_calls.down)
    app.router.routes.append(metrics_route(service.metrics, service.settings.metrics_token, gauges))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary,
                                 routes=app.routes)  # fmt: skip
            schema["paths"]["/webhook/telegram"] = TELEGRAM_OPENAPI
            schema["paths"].update(WEB_OPENAPI)
            schema["paths"]["/webhook/zalo-bot"] = ZALO_BOT_OPENAPI
            schema["paths"]["/webhook/zalo-oa"] = ZALO_OA_OPENAPI
            schema["paths"]["/metrics"] = METRICS_OPENAPI
            schema["paths"].update(CERTIFICATE_OPENAPI)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
