#!/usr/bin/env python3
"""A WebSocket client nobody here wrote (Python's `websockets`) against coronet's test
echo server (tests/support/websocket_support.hpp): echo on /echo, "close-me" makes the server
close with 4001, messages above 64 KiB are refused. Where the library will not send a
malformed frame, the raw bytes go straight to its transport.

    ws_client.py PORT        prints "ok <check>" or "FAIL <check>: why" per check;
                             the exit status is the number of failures.
"""
import asyncio
import os
import sys

import websockets

PORT = int(sys.argv[1])
URI = f"ws://127.0.0.1:{PORT}/echo"
LIMIT = 10  # seconds per check
failures = 0


def report(name, ok, why=""):
    global failures
    if ok:
        print(f"ok {name}", flush=True)
    else:
        failures += 1
        print(f"FAIL {name}: {why}", flush=True)


async def closed_with(ws):
    """Waits for the closing handshake; returns the code and reason the server sent."""
    try:
        while True:
            await ws.recv()
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    return ws.close_code, ws.close_reason


def masked(first, payload):
    """A client frame with a fixed mask, for raw writes."""
    key = b"\x01\x02\x03\x04"
    n = len(payload)
    head = bytes([first]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126, n >> 8, n & 0xFF]))
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


async def echo():
    async with websockets.connect(URI, subprotocols=["echo.v1"]) as ws:
        report("subprotocol", ws.subprotocol == "echo.v1", ws.subprotocol)
        await ws.send("héllo ✓")
        got = await ws.recv()
        report("text", got == "héllo ✓", repr(got))
        blob = bytes(range(256)) * 4
        await ws.send(blob)
        got = await ws.recv()
        report("binary", got == blob, repr(got[:16]))
        await ws.send(["frag", "men", "ted"])  # one message in three frames
        got = await ws.recv()
        report("fragmented", got == "fragmented", repr(got))
        await ws.send([b"\x00\x01", b"\x02"])
        got = await ws.recv()
        report("fragmented binary", got == b"\x00\x01\x02", repr(got))
        big = "y" * 60000
        await ws.send(big)
        got = await ws.recv()
        report("60 KB text", got == big, len(got))
        pong = await ws.ping(b"probe")
        await asyncio.wait_for(pong, LIMIT)
        report("ping answered by pong", True)
        await ws.close(4000, "bye")
        report("close 4000 echoed", ws.close_code == 4000, ws.close_code)


async def server_close():
    async with websockets.connect(URI) as ws:
        await ws.send("close-me")
        code, reason = await closed_with(ws)
        report("server close 4001", (code, reason) == (4001, "asked"), (code, reason))


async def violation(name, action, expected):
    async with websockets.connect(URI, max_size=None) as ws:
        await action(ws)
        code, reason = await closed_with(ws)
        report(name, code == expected, f"{code} {reason!r}")


async def too_big(ws):
    await ws.send("x" * 100000)


async def bad_utf8(ws):
    # The library sends text from str only; write_frame takes the bytes as they are.
    await ws.write_frame(True, 0x1, b"ok \xc0\xaf")


async def bad_utf8_across(ws):
    await ws.write_frame(False, 0x1, b"\xed")
    await ws.write_frame(True, 0x0, b"\xa0\x80")


async def unmasked(ws):
    ws.transport.write(b"\x81\x02hi")


async def reserved_opcode(ws):
    ws.transport.write(masked(0x83, b"x"))


async def big_control(ws):
    ws.transport.write(masked(0x89, b"p" * 126))


async def refused_upgrade(name, key_line, expected):
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    writer.write(("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" + key_line + "\r\n").encode())
    await writer.drain()
    answer = await reader.read()
    writer.close()
    status = answer.split(b" ", 2)[1] if answer.startswith(b"HTTP/1.1 ") else answer[:20]
    report(name, status == str(expected).encode(), answer[:60])


async def wrong_path():
    try:
        async with websockets.connect(f"ws://127.0.0.1:{PORT}/missing"):
            report("404 on another path", False, "upgraded")
    except websockets.InvalidStatusCode as e:
        report("404 on another path", e.status_code == 404, e.status_code)


async def main():
    checks = [
        echo(),
        server_close(),
        violation("1009 message too big", too_big, 1009),
        violation("1007 invalid UTF-8", bad_utf8, 1007),
        violation("1007 invalid UTF-8 across fragments", bad_utf8_across, 1007),
        violation("1002 unmasked client frame", unmasked, 1002),
        violation("1002 reserved opcode", reserved_opcode, 1002),
        violation("1002 control frame over 125 bytes", big_control, 1002),
        refused_upgrade("400 without a key", "", 400),
        refused_upgrade("400 with a wrong key", "Sec-WebSocket-Key: c2hvcnQ=\r\n", 400),
        wrong_path(),
    ]
    for check in checks:
        try:
            await asyncio.wait_for(check, LIMIT)
        except Exception as e:  # a check that blew up is a failure, not a crash
            report(getattr(check, "__name__", "check"), False, f"{type(e).__name__}: {e}")


asyncio.run(main())
sys.exit(failures)
