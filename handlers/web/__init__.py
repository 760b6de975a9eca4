"""The web chat channel, for learners with no Telegram or Zalo: a page of the service.

A learner is `web:<chat>` (see `cookie`: a digest of the signed token in their cookie). What
the page posts is read by `parse_message`; what the tutor says is added to the learner's
transcript by `WebSender` (the delivery loop's sender for this channel) and fetched by the
page's long polls (`Transcripts.wait`), each message in the JSON of `render`. `ChatPage` draws
the page itself. The routes are in `webhook.web`.
"""

from handlers.web.cookie import COOKIE, Cookie, Signer, chat_of, new_token
from handlers.web.page import Asset, ChatPage
from handlers.web.parse import BadMessage, Received, parse_message
from handlers.web.render import render
from handlers.web.transcript import Transcript, Transcripts, WebSender

__all__ = [
    "COOKIE",
    "Asset",
    "BadMessage",
    "ChatPage",
    "Cookie",
    "Received",
    "Signer",
    "Transcript",
    "Transcripts",
    "WebSender",
    "chat_of",
    "new_token",
    "parse_message",
    "render",
]
