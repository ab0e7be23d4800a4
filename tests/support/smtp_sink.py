"""A real SMTP server on 127.0.0.1 for the notification tests (aiosmtpd).

Usage: python3 smtp_sink.py PORT DIR

Writes each message it accepts to DIR/<n>.json, decoded with Python's email package: envelope
sender and recipients, From, To, Subject, Message-ID and the plain-text body. Prints "ready" once
it listens, then serves until killed.
"""

import asyncio
import email
import json
import pathlib
import sys
from email import policy

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out):
        self.out = out
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "message_id": str(message["Message-ID"]),
            "content_type": message.get_content_type(),
            "body": message.get_content(),
        }
        # Written whole, then renamed, so the test never reads half a file.
        tmp = self.out / f"{self.count}.json.tmp"
        tmp.write_text(json.dumps(record))
        tmp.rename(self.out / f"{self.count}.json")
        return "250 OK"


async def main():
    port = int(sys.argv[1])
    out = pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    # A generous start-up check: CI machines are busy, and the default 1-5 s can run out.
    controller = Controller(Sink(out), hostname="127.0.0.1", port=port, ready_timeout=60)
    controller.start()
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    asyncio.run(main())
