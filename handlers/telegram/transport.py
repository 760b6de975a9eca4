"""PTB's `Bot` over aiohttp instead of httpx.

PTB keeps its types, its methods and its error mapping (`BaseRequest.post` turns Telegram's
answers into `RetryAfter`, `Forbidden`, …); only the HTTP transport changes. Under load this
matters: with hundreds of sends in flight, httpx's pool spent ~15 ms of CPU per request on
this machine, aiohttp ~0.3 ms (see `scripts/bench_send.py`).

A call without files goes as one JSON body, which the Bot API takes as well as a form and
which costs less to build (a form encodes each field on its own); uploads go as multipart:

```json
{"chat_id": "7001", "text": "Xin chào", "parse_mode": "HTML",
 "reply_markup": {"inline_keyboard": [[{"text": "Bắt đầu", "callback_data": "o:3f9a:0"}]]}}
```
"""

from __future__ import annotations

import json

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """A connection pool of `connections` keep-alive connections to the Bot API."""

    def __init__(
        self,
        *,
        connections: int = 64,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        write_timeout: float = 10.0,
        media_write_timeout: float = 30.0,
    ) -> None:
        self._connections = connections
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            await self.initialize()
        assert self._session is not None
        files = request_data.multipart_data if request_data else None
        headers = {"User-Agent": self.USER_AGENT}
        body: aiohttp.FormData | bytes | None = None
        if request_data is not None and files:
            body = aiohttp.FormData(request_data.json_parameters)
            for name, (filename, content, mimetype) in files.items():
                body.add_field(name, content, filename=filename, content_type=mimetype)
        elif request_data is not None:
            body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        write = self._media_write_timeout if files else self._write_timeout
        if not isinstance(write_timeout, DefaultValue) and write_timeout is not None:
            write = write_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = None if isinstance(pool_timeout, DefaultValue) else pool_timeout
        total = None if read is None else read + (write or 0) + (connect or 0) + (pool or 0)
        timeout = aiohttp.ClientTimeout(total=total, connect=connect, sock_read=read)
        try:
            async with self._session.request(
                method, url, data=body, timeout=timeout, headers=headers
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
