"""A real SMTP server on loopback (aiosmtpd) whose answers a test can script."""

from __future__ import annotations

import logging
import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

logging.getLogger("mail.log").setLevel(logging.CRITICAL)  # aiosmtpd's own noise


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message_id(self) -> str:
        return message_from_bytes(self.content)["Message-ID"]


@dataclass
class Handler:
    """Stores what arrives; `data_replies` and `refuse_rcpt` script the answers."""

    received: list[Received] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)   # consumed one per DATA
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    drop_during_data: bool = False
    keep_dropped: bool = True
    ehlos: int = 0
    tokens: set[str] = field(default_factory=set)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.ehlos += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.data_replies.pop(0) if self.data_replies else "250 2.0.0 OK queued"
        if self.drop_during_data:
            if self.keep_dropped:
                self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                              envelope.content))
            server.transport.close()
            return "250 never heard"
        if reply.startswith("2"):
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          envelope.content))
        return reply

    async def auth_XOAUTH2(self, server, args):
        import base64

        blob = base64.b64decode(args[1]).decode() if len(args) > 1 else ""
        token = blob.split("auth=Bearer ", 1)[-1].rstrip("\x01")
        return AuthResult(success=token in self.tokens, handled=False)


class SmtpServer:
    """Start with `start()`, stop with `stop()`; `port` and `handler` are public."""

    def __init__(self, *, tls_context: ssl.SSLContext | None = None, implicit_tls=False,
                 users: dict[str, str] | None = None):
        self.handler = Handler()
        self.port = free_port()
        self.users = users
        kwargs = {}
        if users is not None:
            # aiosmtpd only knows STARTTLS as "TLS"; on an implicit-TLS port the whole
            # connection is encrypted already.
            kwargs.update(authenticator=self._authenticate,
                          auth_require_tls=tls_context is not None and not implicit_tls)
        if tls_context is not None and implicit_tls:
            kwargs["ssl_context"] = tls_context
        elif tls_context is not None:
            kwargs.update(tls_context=tls_context, require_starttls=True)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     ready_timeout=5, **kwargs)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            ok = self.users.get(auth_data.login.decode()) == auth_data.password.decode()
            # handled=False: let aiosmtpd answer 535 itself on a failure.
            return AuthResult(success=ok, handled=False)
        return AuthResult(success=False, handled=False)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()
