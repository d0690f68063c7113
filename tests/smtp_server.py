"""A real SMTP server on loopback (aiosmtpd) whose answers a test can script."""

from __future__ import annotations

import logging
import socket
import socketserver
import ssl
import threading
import time
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
    at: float = field(default_factory=time.monotonic)

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
    close_after_first: bool = False   # accept one message, then hang up

    ehlos: int = 0
    tokens: set[str] = field(default_factory=set)
    oauth_user: str = ""

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

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.close_after_first and self.received:
            self.close_after_first = False
            server.transport.close()  # hang up on the second letter
            return "421 4.4.2 closing connection"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def auth_XOAUTH2(self, server, args):
        import base64

        blob = base64.b64decode(args[1]).decode() if len(args) > 1 else ""
        fields = dict(part.split("=", 1) for part in blob.split("\x01") if "=" in part)
        ok = (fields.get("user") == self.oauth_user
              and fields.get("auth", "").removeprefix("Bearer ") in self.tokens)
        return AuthResult(success=ok, handled=False)


class SmtpServer:
    """Start with `start()`, stop with `stop()`; `port` and `handler` are public."""

    def __init__(self, *, tls_context: ssl.SSLContext | None = None, implicit_tls=False,
                 users: dict[str, str] | None = None, size_limit: int | None = None):
        self.handler = Handler()
        self.port = free_port()
        self.users = users
        kwargs = {}
        if size_limit is not None:
            kwargs["data_size_limit"] = size_limit
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


class ScriptedSmtp:
    """A bare-hands SMTP server for what aiosmtpd will not do: drop the connection at
    the DATA command, or answer the final dot with garbage. `script` maps the n-th
    connection (from 0) to its behaviour: "drop-at-data", "garbage-after-dot", or
    "ok". Messages accepted are kept in `received`."""

    def __init__(self, script: dict[int, str]):
        self.script = script
        self.connections = 0
        self.received: list[bytes] = []
        outer = self

        class Session(socketserver.StreamRequestHandler):
            def handle(self):
                behaviour = outer.script.get(outer.connections, "ok")
                outer.connections += 1
                self.wfile.write(b"220 scripted ready\r\n")
                while line := self.rfile.readline():
                    verb = line.strip().split(b" ")[0].upper()
                    if verb in (b"EHLO", b"HELO"):
                        self.wfile.write(b"250-scripted\r\n250 8BITMIME\r\n")
                    elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                        self.wfile.write(b"250 OK\r\n")
                    elif verb == b"DATA":
                        if behaviour == "drop-at-data":
                            return
                        self.wfile.write(b"354 go ahead\r\n")
                        body = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            body += chunk
                        if behaviour == "garbage-after-dot":
                            outer.received.append(body)
                            self.wfile.write(b"what?\r\n")
                            return
                        outer.received.append(body)
                        self.wfile.write(b"250 2.0.0 accepted\r\n")
                    elif verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"502 not here\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Session)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
