"""The Zalo Bot API over HTTP: `POST <api url><token>/<method>` with a JSON body, and its
answers read into a result or an `ApiError`.

```json
{"ok": true, "result": {"message_id": "82599fa32f56d00e8941", "date": 1749632637199}}
{"ok": false, "error_code": 429, "description": "Quota exceeded"}
```
Whether an error comes with that HTTP status or with HTTP 200 is not documented: both are read,
the body's `error_code` first, else the HTTP status. The token is part of every URL, so no URL
is ever put in an error or a log line.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["DEFAULT_API_URL", "ApiError", "ZaloBotApi"]

DEFAULT_API_URL = "https://bot-api.zaloplatforms.com/bot"


class ApiError(Exception):
    """A call that did not succeed. `code`: Zalo's error_code, else the HTTP status, None for
    no answer at all (a timeout, a refused connection); `retry_after`: seconds Zalo asked to
    wait, when it said."""

    def __init__(self, code: int | None, description: str, retry_after: float | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"ApiError({self.code}, {self.description!r}, retry_after={self.retry_after})"


class ZaloBotApi:
    """One bot's API client: a keep-alive connection pool, closed with `aclose()`."""

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        timeout: float = 10.0,
        connections: int = 64,
    ) -> None:
        self._base = f"{api_url.rstrip('/')}{token}/"
        self.timeout = timeout
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )

    async def call(
        self, method: str, params: dict[str, Any], *, timeout: float | None = None
    ) -> Any:
        """The `result` of `method` (None when there is none); raises ApiError."""
        try:
            response = await self._client.post(
                self._base + method,
                json=params,
                timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
            )
        except httpx.TimeoutException as error:
            raise ApiError(None, f"no answer in time ({type(error).__name__})") from None
        except httpx.HTTPError as error:
            raise ApiError(None, f"network error ({type(error).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("ok") is True and response.is_success:
            return body.get("result")
        raise _error(response, body)

    async def aclose(self) -> None:
        await self._client.aclose()


def _error(response: httpx.Response, body: object) -> ApiError:
    fields = body if isinstance(body, dict) else {}
    code = fields.get("error_code")
    if isinstance(code, bool) or not isinstance(code, int):
        code = None if response.is_success else response.status_code
    description = fields.get("description")
    if not isinstance(description, str) or not description:
        shown = "not JSON" if body is None else "no description"
        description = f"HTTP {response.status_code}, {shown}"
    return ApiError(code, description, _retry_after(fields, response.headers))


def _retry_after(fields: dict[str, Any], headers: httpx.Headers) -> float | None:
    """A wait Zalo asked for: Telegram's `parameters.retry_after` (the API is modelled on it),
    a top-level `retry_after`, or a Retry-After header in seconds. None when none is given."""
    parameters = fields.get("parameters")
    candidates = [
        parameters.get("retry_after") if isinstance(parameters, dict) else None,
        fields.get("retry_after"),
        headers.get("retry-after"),
    ]
    for value in candidates:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if 0 < seconds <= 3600:
            return seconds
    return None
