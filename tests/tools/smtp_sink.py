#!/usr/bin/python3
"""A real SMTP server for the delivery tests (Debian's python3-aiosmtpd).

Listens on a loopback port (0: any free one), prints "listening on HOST:PORT",
and stores every accepted message in --dir as NNNNNN.eml (the DATA bytes as
received, after dot-unstuffing) with NNNNNN.json beside it (envelope sender,
recipients, connection number); the .json is written last, by rename, so a
reader that sees it sees the whole message. DIR/connections holds the number
of connections accepted so far.

Recipients whose local part names a behaviour get that answer:
  bounce-550@...  RCPT: 550 5.1.1 user unknown
  full-452@...    RCPT: 452 4.2.2 mailbox full
  busy-451@...    RCPT: 451 4.3.0 try again later
  spam-554@...    end of DATA: 554 5.7.1 message refused as spam
  slow-<ms>@...   end of DATA: waits <ms> milliseconds, then accepts
With --tls-cert/--tls-key it offers STARTTLS; with --require-tls it refuses
MAIL before STARTTLS. With --auth USER:PASSWORD it requires AUTH (PLAIN or
LOGIN, after STARTTLS) with those credentials.
"""
import argparse
import asyncio
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

RCPT_ANSWERS = {
    "bounce-550": "550 5.1.1 <{addr}>: Recipient address rejected: User unknown",
    "full-452": "452 4.2.2 <{addr}>: Mailbox full, try again later",
    "busy-451": "451 4.3.0 Temporary local problem, try again later",
}


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.messages = 0
        self.connections = 0

    def connected(self):
        self.connections += 1
        self._write_atomic("connections", str(self.connections).encode())
        return self.connections

    def _write_atomic(self, name, data):
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.directory, name))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local in RCPT_ANSWERS:
            return RCPT_ANSWERS[local].format(addr=address)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            local = rcpt.split("@", 1)[0].lower()
            if local == "spam-554":
                return "554 5.7.1 Message refused as spam"
            if local.startswith("slow-"):
                await asyncio.sleep(int(local[5:]) / 1000.0)
        self.messages += 1
        name = "%06d" % self.messages
        with open(os.path.join(self.directory, name + ".eml"), "wb") as f:
            f.write(envelope.original_content or envelope.content)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "connection": getattr(session, "patron_connection", 0),
            "tls": session.ssl is not None,
            "auth_user": session.auth_data.decode() if isinstance(session.auth_data, bytes) else None,
        }
        self._write_atomic(name + ".json", json.dumps(meta).encode())
        return "250 2.0.0 Ok: queued as %s" % name


def authenticator_for(credentials):
    user, password = credentials.split(":", 1)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
              and auth_data.password.decode() == password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)
    return authenticate


class CountingSMTP(SMTP):
    def __init__(self, sink, require_tls, **kwargs):
        super().__init__(sink, **kwargs)
        self.sink = sink
        self.require_tls = require_tls

    def connection_made(self, transport):
        number = self.sink.connected()
        super().connection_made(transport)
        self.session.patron_connection = number

    async def smtp_MAIL(self, arg):
        if self.require_tls and not self._tls_protocol:
            await self.push("530 5.7.0 Must issue a STARTTLS command first")
            return
        await super().smtp_MAIL(arg)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--require-tls", action="store_true")
    parser.add_argument("--auth")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    sink = Sink(args.dir)
    tls_context = None
    if args.tls_cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.tls_cert, args.tls_key)
    auth = {}
    if args.auth:
        auth = {"authenticator": authenticator_for(args.auth), "auth_required": True}
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: CountingSMTP(sink, args.require_tls, tls_context=tls_context, hostname="sink.test",
                             decode_data=False, **auth),
        args.host, args.port)
    port = server.sockets[0].getsockname()[1]
    print("listening on %s:%d" % (args.host, port), flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    # Stops by itself when the test that started it dies without stopping it.
    parent = os.getppid()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except asyncio.TimeoutError:
            if os.getppid() != parent:
                break
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
