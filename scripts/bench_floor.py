"""The floor of the webhook benchmark: what the required stack costs with no tutor in it.

A FastAPI app on uvicorn that reads each Telegram update with python-telegram-bot's types
(the same lean parse as `handlers.telegram.parse`) and answers it with one sendMessage through
PTB's `Bot` (over hocso's aiohttp transport), with one button whose label holds every answer
of ../shared/bench/script.json, so the load generator always finds the button it looks for.
No store, no lesson, no outbox, nothing durable: no tutor built on FastAPI, uvicorn and PTB
can answer faster on the same machine, so its figures bound what hocso can reach.

    TELEGRAM_API_URL=http://127.0.0.1:8089/bot \\
        uvicorn scripts.bench_floor:app --port 8081 --workers 2

`scripts/bench_webhook.sh` runs it beside the peer and hocso when FLOOR=1.
"""

from __future__ import annotations

import asyncio
import json
import os
import warnings

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers.telegram.parse import _lean
from handlers.telegram.transport import AiohttpRequest

warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'")

ANSWERS = "Bắt đầu · Tiếp tục · Chỉ mình tôi · Từ chối"
MARKUP = InlineKeyboardMarkup([[InlineKeyboardButton(ANSWERS, callback_data="floor")]])
bot = Bot(
    os.environ.get("TELEGRAM_BOT_TOKEN", "123:bench"),
    base_url=os.environ["TELEGRAM_API_URL"],
    request=AiohttpRequest(),
)
sending: set[asyncio.Task[None]] = set()


async def reply(chat: int) -> None:
    await bot.do_api_request(
        "sendMessage",
        api_kwargs={
            "chat_id": chat,
            "text": "Bạn đã hoàn thành.",
            "parse_mode": "HTML",
            "reply_markup": MARKUP.to_dict(),
        },
    )


async def webhook(request: Request) -> JSONResponse:
    data = json.loads(await request.body())
    kind = "callback_query" if "callback_query" in data else "message"
    update = Update.de_json({"update_id": data["update_id"], kind: _lean(kind, data[kind])}, None)
    assert update.effective_chat is not None
    task = asyncio.get_running_loop().create_task(reply(update.effective_chat.id))
    sending.add(task)
    task.add_done_callback(sending.discard)
    if update.callback_query is not None:
        return JSONResponse(
            {"method": "answerCallbackQuery", "callback_query_id": update.callback_query.id}
        )
    return JSONResponse({"ok": True})


app = FastAPI()
app.router.routes.append(Route("/webhook/telegram", webhook, methods=["POST"]))


@app.get("/")
def root() -> dict[str, bool]:
    return {"ok": True}
