"""A small real SMTP server on loopback for the e-mail tests (RFC 5321 subset: EHLO/HELO,
MAIL, RCPT, DATA, RSET, NOOP, QUIT). It offers no STARTTLS, so a mailer that insists on TLS
refuses it; with ``starttls=True`` it advertises STARTTLS and then cannot do it (the
handshake fails), which a fail-closed mailer must survive without sending."""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message


@dataclass
class SmtpStandIn:
    starttls: bool = False
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self) -> None:
                self.reply("220 stand-in ESMTP")
                sender, recipients = "", []
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    command = raw.decode("ascii", "replace").strip()
                    verb = command[:4].upper()
                    if verb == "EHLO":
                        self.reply("250-stand-in" if outer.starttls else "250 stand-in")
                        if outer.starttls:
                            self.reply("250 STARTTLS")
                    elif verb == "HELO":
                        self.reply("250 stand-in")
                    elif verb == "STAR":
                        self.reply("454 TLS not available")  # advertised, cannot do it
                    elif verb == "MAIL":
                        sender, recipients = command.split(":", 1)[1].strip(" <>"), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(command.split(":", 1)[1].strip(" <>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        lines = []
                        while (line := self.rfile.readline()) not in (b".\r\n", b""):
                            lines.append(line[1:] if line.startswith(b"..") else line)
                        outer.received.append(Received(sender, recipients,
                                                       message_from_bytes(b"".join(lines))))
                        self.reply("250 OK queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:  # RSET, NOOP
                        self.reply("250 OK")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
