#!/usr/bin/env python3
"""chat_server --web against clients nobody here wrote: Python's `websockets` as the
browser-side member and a plain TCP socket as an nc user, in the same room, plus raw
HTTP requests for what is not the chat (tests/programs/test_chat_web.cpp runs this).

    chat_web_client.py TCP_PORT WEB_PORT
    chat_web_client.py TCP_PORT WEB_PORT --chat-only
                             the two ports may be two chat_servers sharing a room
                             (--redis): only the members' checks, no HTTP ones
    chat_web_client.py TCP_PORT WEB_PORT --tls CA.pem
                             the server has --tls-cert: the page over https, a
                             member over wss (only that)
                             prints "ok <check>" or "FAIL <check>: why" per check;
                             the exit status is the number of failures.
"""
import asyncio
import json
import re
import socket
import sys

import websockets

TCP_PORT = int(sys.argv[1])
WEB_PORT = int(sys.argv[2])
URI = f"ws://127.0.0.1:{WEB_PORT}/chat"
LIMIT = 10  # seconds per wait
failures = 0


def report(name, ok, why=""):
    global failures
    if ok:
        print(f"ok {name}", flush=True)
    else:
        failures += 1
        print(f"FAIL {name}: {why}", flush=True)


def http(raw, port=WEB_PORT):
    """Sends raw request bytes, returns (status, head, body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=LIMIT) as s:
        s.sendall(raw)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
    return status, head.decode("latin-1"), body


def get(path, method="GET", extra=""):
    return http(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{WEB_PORT}\r\n{extra}\r\n".encode())


class Nc:
    """A text-mode member over TCP, as `nc` is."""

    def __init__(self):
        self.sock = socket.create_connection(("127.0.0.1", TCP_PORT), timeout=LIMIT)
        self.buf = b""
        self.lines = []

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")

    async def wait(self, pattern):
        """The first unread line matching `pattern` (lines before it stay unread)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LIMIT
        while True:
            for i, line in enumerate(self.lines):
                if re.search(pattern, line):
                    return self.lines.pop(i)
            if loop.time() > deadline:
                return None
            self.sock.setblocking(False)
            try:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return None
                self.buf += chunk
                *done, self.buf = self.buf.split(b"\n")
                self.lines += [d.decode() for d in done]
            except BlockingIOError:
                await asyncio.sleep(0.02)


class Web:
    """A WebSocket member: one JSON event per text message."""

    def __init__(self, ws):
        self.ws = ws
        self.events = []

    async def send(self, **msg):
        await self.ws.send(json.dumps(msg))

    async def wait(self, **fields):
        """The first unread event whose fields equal `fields`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LIMIT
        while True:
            for i, e in enumerate(self.events):
                if all(e.get(k) == v for k, v in fields.items()):
                    return self.events.pop(i)
            left = deadline - loop.time()
            if left <= 0:
                return None
            try:
                raw = await asyncio.wait_for(self.ws.recv(), left)
            except (asyncio.TimeoutError, websockets.ConnectionClosed):
                return None
            self.events.append(json.loads(raw))


def check_http():
    status, head, body = get("/")
    report("GET / is the page", status == 200 and "text/html" in head and b"<title>coronet chat" in body,
           head)
    status, head, body = get("/", "HEAD")
    report("HEAD / has no body", status == 200 and body == b"", head)
    status, head, _ = get("/nowhere")
    report("404 on another path", status == 404, head)
    status, head, _ = get("/", "POST", "Content-Length: 0\r\n")
    report("405 on POST /", status == 405 and "Allow: GET, HEAD" in head, head)
    status, head, _ = get("/chat")
    report("400 on /chat without an upgrade", status == 400, head)
    upgrade = ("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
    status, head, _ = get("/chat", "POST", upgrade)
    report("405 on POST /chat", status == 405, head)
    status, head, _ = get("/chat", "GET", upgrade + "Origin: http://evil.example\r\n")
    report("403 for a page from another site", status == 403, head)
    status, head, _ = get("/chat", "GET", upgrade.replace("13", "8"))
    report("426 for another WebSocket version", status == 426, head)
    status, head, _ = http(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n")
    report("431 for a head over the limit", status == 431, head)
    # A head that never finishes (slowloris) holds its own connection only.
    slow = socket.create_connection(("127.0.0.1", WEB_PORT), timeout=LIMIT)
    slow.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    status, head, _ = get("/")
    report("still serving after the refusals", status == 200, head)
    report("served while a slow head waits", status == 200, head)
    slow.close()


async def chat():
    nc = Nc()
    async with websockets.connect(URI) as ws1:
        web = Web(ws1)
        await web.send(type="join", name="wendy")
        w = await web.wait(type="welcome")
        report("web member welcomed", w is not None and w["name"] == "wendy", w)

        nc.send("tom")
        line = await nc.wait(r"welcome, tom")
        report("nc member sees the web member", line is not None and "wendy" in line, line)
        e = await web.wait(type="joined", name="tom")
        report("web member sees nc join", e is not None, web.events)

        await web.send(type="say", text="hello from the web ✓")
        line = await nc.wait(r"^<wendy> ")
        report("web -> nc message", line == "<wendy> hello from the web ✓", line)
        e = await web.wait(type="message", **{"from": "wendy"})
        report("web member gets its own message", e is not None and e["text"] == "hello from the web ✓", e)
        nc.send("hi from nc")
        e = await web.wait(type="message", **{"from": "tom"})
        report("nc -> web message", e is not None and e["text"] == "hi from nc", e)

        await web.send(type="whisper", to="tom", text="psst")
        line = await nc.wait(r"whisper")
        report("web -> nc whisper", line == "*wendy* (whisper) psst", line)
        e = await web.wait(type="whisper", **{"from": "wendy"})
        report("web whisperer gets its copy", e is not None and e["to"] == "tom", e)
        nc.send("/msg wendy back at you")
        e = await web.wait(type="whisper", **{"from": "tom"})
        report("nc -> web whisper", e is not None and e["to"] == "wendy" and e["text"] == "back at you", e)

        await web.send(type="nick", name="wendy2")
        e = await web.wait(type="renamed")
        report("web rename seen by itself", e is not None and e["from"] == "wendy" and e["to"] == "wendy2", e)
        line = await nc.wait(r"known as")
        report("web rename seen by nc", line == "* wendy is now known as wendy2", line)
        nc.send("/nick tommy")
        e = await web.wait(type="renamed", to="tommy")
        report("nc rename seen by web", e is not None and e["from"] == "tom", e)

        await web.send(type="who")
        e = await web.wait(type="users")
        report("who from the web", e is not None and e["users"] == ["tommy", "wendy2"], e)

        async with websockets.connect(URI) as ws2:
            other = Web(ws2)
            await other.send(type="join", name="TOMMY")
            e = await other.wait(type="error")
            report("name taken across transports", e is not None and e["code"] == "name_taken", e)
            await other.send(type="join", name="x" * 40)
            e = await other.wait(type="error")
            report("name too long", e is not None and e["code"] == "invalid_name", e)
            await other.send(type="join", name="val")
            e = await other.wait(type="welcome")
            report("second web member", e is not None and e["users"] == ["tommy", "val", "wendy2"], e)
            await other.send(type="say", text="y" * 2001)
            e = await other.wait(type="error")
            report("text too long", e is not None and e["code"] == "too_large", e)
            await other.send(type="whisper", to="wendy2", text="web to web")
            e = await web.wait(type="whisper", **{"from": "val"})
            report("web -> web whisper", e is not None and e["text"] == "web to web", e)
            await ws2.send(b"\x00binary")
            e = await other.wait(type="error")
            report("binary refused politely", e is not None and e["code"] == "bad_message", e)
            await ws2.send("{" + " " * 9000 + "}")
            try:
                await asyncio.wait_for(ws2.wait_closed(), LIMIT)
            except asyncio.TimeoutError:
                pass
            report("message over the line limit closes 1009", ws2.close_code == 1009, ws2.close_code)
            line = await nc.wait(r"^\* val left")
            report("the closed member left the room", line is not None, nc.lines)

        await web.send(type="leave")
        line = await nc.wait(r"wendy2 left")
        report("web leave seen by nc", line is not None, nc.lines)
        try:
            await asyncio.wait_for(ws1.wait_closed(), LIMIT)
        except asyncio.TimeoutError:
            pass
        report("leave closes the WebSocket with 1000", ws1.close_code == 1000, ws1.close_code)
    nc.sock.close()


async def over_tls(ca):
    import ssl
    import urllib.error
    import urllib.request

    ctx = ssl.create_default_context(cafile=ca)
    base = f"https://127.0.0.1:{WEB_PORT}"
    page = urllib.request.urlopen(base + "/", context=ctx, timeout=LIMIT).read()
    report("https page", b"<title>coronet chat" in page, page[:80])
    try:
        urllib.request.urlopen(base + "/nowhere", context=ctx, timeout=LIMIT)
        report("https 404", False, "no error")
    except urllib.error.HTTPError as e:
        report("https 404", e.code == 404, e.code)
    async with websockets.connect(f"wss://127.0.0.1:{WEB_PORT}/chat", ssl=ctx, origin=base) as ws:
        web = Web(ws)
        await web.send(type="join", name="sam")
        e = await web.wait(type="welcome")
        report("wss member welcomed", e is not None and e["users"] == ["sam"], e)
        await web.send(type="say", text="over TLS")
        e = await web.wait(type="message")
        report("wss message", e is not None and e["text"] == "over TLS", e)


def main():
    if len(sys.argv) > 4 and sys.argv[3] == "--tls":
        asyncio.run(asyncio.wait_for(over_tls(sys.argv[4]), 60))
        sys.exit(failures)
    if sys.argv[3:4] != ["--chat-only"]:
        check_http()
    asyncio.run(asyncio.wait_for(chat(), 60))
    sys.exit(failures)


if __name__ == "__main__":
    main()
