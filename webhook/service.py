"""Everything one worker process runs: the content (following what is published,
`webhook.reload`), the store, the tutor, the channels, the delivery loop, the reminder
sweep (`webhook.reminders`) and the sweep of requests for a person past their time
(`webhook.helpdesk`), started and stopped with the app."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from bot.content import ContentHolder, load_content
from bot.engine import Engine
from bot.helpdesk import Desks, HelpPolicy
from bot.inbound import Inbound
from bot.learner import VIETNAM
from bot.outbound import Outbound
from bot.stores import open_store
from bot.stores.base import Delivery, Store
from bot.tutor import Receipt, Tutor
from handlers.base import SendError
from handlers.web import Transcripts, WebSender
from webhook import metrics
from webhook.certificates import FILES_PREFIX, Certificates
from webhook.delivery import NO_LIMITS, Courier, Limits, Outlet
from webhook.helpdesk import Helpdesk
from webhook.media import public_url
from webhook.reload import ContentFollower
from webhook.reminders import ReminderSweep
from webhook.settings import Settings
from webhook.storecalls import StoreCalls
from webhook.storefailures import StoreFailures

log = logging.getLogger("hocso.service")

EXPIRE_EVERY = 600.0
"""Seconds between a worker's sweeps of what has expired in the store (`Store.expire`)."""


class StoreFileIds:
    """Uploaded photos' file ids, shared by every worker through the store."""

    def __init__(self, store: Store, channel: str) -> None:
        self.store = store
        self.prefix = f"file-id:{channel}:"

    def get(self, key: str) -> str | None:
        return self.store.recall(self.prefix + key)

    def set(self, key: str, file_id: str) -> None:
        self.store.remember(self.prefix + key, file_id)


class Service:
    """One worker's tutor service. Events of one learner are applied one at a time, in the
    order they arrive (across workers the store's atomic `handle` keeps them apart)."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        # What learners' turns and reminders are timed by (a test's clock; the delivery loop
        # and the store keep the wall clock).
        self.clock = clock
        self.content = ContentHolder(load_content(settings.content))
        self.store = store or open_store(settings.store, timeout=settings.store_timeout)
        policy = settings.reminders
        # A person on the line: the same quiet hours as reminders (HOCSO_QUIET_HOURS).
        self.help_policy = HelpPolicy(hours=settings.help_hours, quiet=policy.quiet)
        # Requests for a person go to a Telegram chat: none without the Telegram channel.
        desks = Desks(self.store, settings.help_chat, telegram=settings.telegram)
        engine = Engine(
            self.content, clock=self._now_vn, reminding=policy.on, help_policy=self.help_policy
        )
        self.tutor = Tutor(engine, self.store, policy, desks=desks)
        self.outlets: dict[str, Outlet] = {}
        # Counting only with HOCSO_METRICS_TOKEN set (see webhook.metrics).
        self.metrics = metrics.create(settings.metrics_token)
        # How the store's failures are logged (and counted).
        self.store_failures = StoreFailures(counted=self.metrics.store_error)
        # Every store call of the loop, which tells when the store is down (see there).
        self.store_calls = self._store_calls = StoreCalls(self.store)
        self.courier = Courier(
            self.store,
            self.outlets,
            calls=self.store_calls,
            failures=self.store_failures,
            metrics=self.metrics,
            on_failed=self._failed,
        )
        self.reminders = ReminderSweep(
            self.tutor,
            self.store,
            calls=self.store_calls,
            failures=self.store_failures,
            clock=clock,
            every=settings.remind_every,
            rate=settings.remind_rate,
        )
        self.transcripts = Transcripts(  # the web chat's
            self.store, self._store_calls, ttl=settings.web_transcript_days * 24 * 3600
        )
        # The content published with `hocso reload` or SIGHUP, swapped in (webhook.reload).
        self.follower = ContentFollower(
            self.content, settings.content, self.store, self.store_calls, self.store_failures
        )
        # The certificates' files and addresses for the channels (webhook.certificates).
        self.certificates = Certificates(settings, self.store, self.store_calls, self.content)
        # Helpers' answers from a desk's group, and requests closed when their time is over.
        self.helpdesk = Helpdesk(
            self.store,
            self.store_calls,
            self.content,
            self.help_policy,
            kick=self.courier.kick,
            failures=self.store_failures,
            clock=clock,
        )
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._poller: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._reminding: asyncio.Task[None] | None = None
        self._help_sweeper: asyncio.Task[None] | None = None
        self._follower: asyncio.Task[None] | None = None
        self._closers: list[object] = []
        # Set when the server is asked to stop: long polls answer at once (webhook.signals).
        self.draining = asyncio.Event()

    async def start(self) -> None:
        if self.settings.telegram:
            from telegram.error import TelegramError

            from handlers.telegram import TelegramSender, make_bot

            assert self.settings.telegram_token is not None
            bot = make_bot(self.settings.telegram_token, self.settings.telegram_api_url)
            try:
                await bot.initialize()
            except TelegramError as error:
                # Updates are still taken and acknowledged; their replies wait in the outbox
                # until the Bot API answers again.
                log.warning("the Telegram Bot API does not answer yet: %s", error)
            self._closers.append(bot)
            files = StoreFileIds(self.store, "telegram")
            sender = TelegramSender(bot, files, self.certificates)
            self.outlets["telegram"] = Outlet(sender, self.settings.limits)
        if self.settings.zalo_bot:
            from handlers.zalo_bot import ZaloBotApi, ZaloBotSender

            assert self.settings.zalo_bot_token is not None
            api = ZaloBotApi(self.settings.zalo_bot_token, self.settings.zalo_bot_api_url)
            self._closers.append(api)
            zalo_bot = ZaloBotSender(
                api, lambda: self.content.current.messages, self.media_url, attach=self.fetched
            )
            # Zalo publishes no rate limits (only a 429): the same conservative ones as
            # Telegram's, HOCSO_RATE_* (30 a second overall, 1 a second per chat after 3).
            self.outlets["zalo-bot"] = Outlet(zalo_bot, self.settings.limits)
        if self.settings.zalo_oa:
            self._start_zalo_oa()
        # The web chat needs no settings: always on, its pictures at relative /media/ URLs,
        # a certificate's at relative /certificate/ ones.
        web = WebSender(self.transcripts, self.page_image, attach=self.shown)
        self.outlets["web"] = Outlet(web, NO_LIMITS)
        self._poller = asyncio.get_running_loop().create_task(self.courier.run())
        self._sweeper = asyncio.get_running_loop().create_task(self._expire())
        self._help_sweeper = asyncio.get_running_loop().create_task(self.helpdesk.run())
        self._follower = asyncio.get_running_loop().create_task(self.follower.run())
        if self.settings.reminders.on:
            self._reminding = asyncio.get_running_loop().create_task(self.reminders.run())
        log.info("service started", extra={"channel": ",".join(self.outlets) or "none"})

    def _start_zalo_oa(self) -> None:
        import httpx

        from handlers.zalo_oa import RATE, TokenKeeper, ZaloOASender

        settings = self.settings
        assert settings.zalo_oa_app_id is not None and settings.zalo_oa_secret_key is not None
        client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))
        self._closers.append(client)
        tokens = TokenKeeper(
            self.store,
            self._store_calls,
            client,
            oauth_url=settings.zalo_oa_oauth_url,
            app_id=settings.zalo_oa_app_id,
            app_secret=settings.zalo_oa_app_secret or settings.zalo_oa_secret_key,
            access=settings.zalo_oa_access_token,
            refresh=settings.zalo_oa_refresh_token,
        )
        sender = ZaloOASender(
            client,
            tokens,
            api_url=settings.zalo_oa_api_url,
            media_url=self.media_url,
            more=lambda: self.content.current.messages.text("zalo_oa.more_buttons"),
            attach=self.fetched,
        )
        # Zalo's limit is on API calls (4000 a minute), not on chats: an overall rate only.
        self.outlets["zalo-oa"] = Outlet(sender, Limits(global_rate=RATE, chat_rate=0))

    async def _expire(self) -> None:
        """Delete what has expired (SQLite, memory: Redis expires keys itself) at the start and
        every EXPIRE_EVERY seconds, until the service stops."""
        while True:
            try:
                await self._store_calls(self.store.expire, time.time())
            except Exception as error:
                self.store_failures.log(log, "expired values could not be deleted", error, {})
            await asyncio.sleep(EXPIRE_EVERY)

    async def stop(self) -> None:
        for task in (self._sweeper, self._follower, self._reminding, self._help_sweeper):
            if task is not None:
                task.cancel()
        await self.courier.stop()
        if self._poller is not None:
            await self._poller
        await self.store_calls.stop()
        for closer in self._closers:
            # PTB's Bot has shutdown(), httpx-based clients aclose().
            shutdown = getattr(closer, "aclose", None) or getattr(closer, "shutdown", None)
            if shutdown is not None:
                await shutdown()
        self.store.close()

    def media_url(self, image: str) -> str | None:
        """Where a platform fetches a message's image (see `webhook.media`); None when it
        cannot (no `HOCSO_PUBLIC_URL` for a content file)."""
        if not image.startswith("https://") and self.settings.public_url is None:
            return None
        return public_url(image, self.settings.content, self.settings.public_url)

    def page_image(self, image: str) -> str | None:
        """Where the web chat's page loads a message's image: a content picture under
        /media/, a certificate's where `webhook.certificates` serves it."""
        if image.startswith(FILES_PREFIX):
            return image
        return public_url(image, self.settings.content, None)

    async def fetched(self, message: Outbound) -> Outbound:
        """A certificate's files at addresses Zalo fetches (under HOCSO_PUBLIC_URL)."""
        return await self.certificates.attach(message, absolute=True)

    async def shown(self, message: Outbound) -> Outbound:
        """A certificate's files at addresses the web chat's page loads (relative)."""
        return await self.certificates.attach(message, absolute=False)

    async def receive(self, channel: str, event_id: str, inbound: Inbound, chat: str) -> Receipt:
        """Apply one platform event at most once, queue its replies, and start sending them."""
        async with self._learner_lock(inbound.learner):
            until = self.courier.clock() + self.courier.lease  # on the courier's clock
            receipt = await self._store_calls(
                self.tutor.receive, event_id, inbound, channel, chat, self.clock(),
                lease_until=until,
            )  # fmt: skip
        for delivery in receipt.deliveries:
            if delivery.leased:  # its queue is this worker's already
                self.courier.take(delivery, until)
        for queue in dict.fromkeys(d.queue for d in receipt.deliveries if not d.leased):
            self.courier.kick(queue)
        return receipt

    async def reach(self, channel: str, event_id: str, learner: str, chat: str, why: str) -> bool:
        """A platform says whether a learner's chat can be reached ("blocked", "unblocked"),
        without a message (`Tutor.reach`); False for a repeat."""
        async with self._learner_lock(learner):
            return await self._store_calls(
                self.tutor.reach, event_id, learner, channel, chat, why, self.clock()
            )

    async def show_reminder(self, learner: str, channel: str, chat: str) -> None:
        """The reminder a learner opening the web page is shown, when one is due, sent at once
        (they are looking)."""
        async with self._learner_lock(learner):
            queued = await self._store_calls(
                self.tutor.show_reminder, learner, channel, chat, self.clock()
            )
        for queue in dict.fromkeys(delivery.queue for delivery in queued):
            self.courier.kick(queue)

    async def _failed(self, delivery: Delivery, error: SendError) -> None:
        """A delivery given up on: a learner whose chat says they cannot be reached is marked
        so (`Tutor.unreachable`)."""
        if error.gone is not None and delivery.learner:
            await self._store_calls(self.tutor.unreachable, delivery, error.gone, self.clock())

    def _now_vn(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), VIETNAM).replace(microsecond=0)

    @asynccontextmanager
    async def _learner_lock(self, learner: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(learner, (asyncio.Lock(), 0))
        self._locks[learner] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[learner]
            if users == 1:
                del self._locks[learner]
            else:
                self._locks[learner] = (lock, users - 1)
