// A WebSocket client nobody here wrote (Node's `ws`) against coronet's test echo server
// (tests/websocket_support.hpp): echo on /echo, "close-me" makes the server close with
// 4001, messages above 64 KiB are refused. Where `ws` will not send a malformed frame,
// the raw bytes go straight to its socket.
//
//   NODE_PATH=build/npm/node_modules node ws_client.js PORT
//   prints "ok <check>" or "FAIL <check>: why" per check; exits with the failure count.
'use strict';
const WebSocket = require('ws');
const net = require('net');

const port = Number(process.argv[2]);
const url = `ws://127.0.0.1:${port}/echo`;
let failures = 0;

function report(name, ok, why) {
  if (ok) {
    console.log(`ok ${name}`);
  } else {
    failures++;
    console.log(`FAIL ${name}: ${why}`);
  }
}

function withTimeout(promise, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out`)), 10000);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

function open(path = '/echo', protocols = []) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function nextMessage(ws) {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({data, isBinary})));
}

function closed(ws) {
  return new Promise((resolve) => ws.once('close', (code, reason) =>
    resolve({code, reason: reason.toString()})));
}

function masked(first, payload) {
  const key = Buffer.from([1, 2, 3, 4]);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([first, 0x80 | n]) : Buffer.from([first, 0x80 | 126, n >> 8, n & 0xff]);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]));
  return Buffer.concat([head, key, body]);
}

async function echo() {
  const ws = await open('/echo', ['echo.v1']);
  report('subprotocol', ws.protocol === 'echo.v1', ws.protocol);
  ws.send('héllo ✓');
  let m = await nextMessage(ws);
  report('text', !m.isBinary && m.data.toString() === 'héllo ✓', m.data.toString());
  const blob = Buffer.from([...Array(256).keys()]);
  ws.send(blob);
  m = await nextMessage(ws);
  report('binary', m.isBinary && Buffer.compare(m.data, blob) === 0, m.data.length);
  ws.send('frag', {fin: false});
  ws.send('men', {fin: false});
  ws.send('ted', {fin: true});
  m = await nextMessage(ws);
  report('fragmented', !m.isBinary && m.data.toString() === 'fragmented', m.data.toString());
  const pong = new Promise((resolve) => ws.once('pong', resolve));
  ws.ping('probe');
  const data = await pong;
  report('ping answered by pong', data.toString() === 'probe', data.toString());
  const done = closed(ws);
  ws.close(4000, 'bye');
  const c = await done;
  report('close 4000 echoed', c.code === 4000, c.code);
}

async function serverClose() {
  const ws = await open();
  const done = closed(ws);
  ws.send('close-me');
  const c = await done;
  report('server close 4001', c.code === 4001 && c.reason === 'asked', `${c.code} ${c.reason}`);
}

async function violation(name, action, expected) {
  const ws = await open();
  ws.on('error', () => {});  // ws reports the server's close as an error at times
  const done = closed(ws);
  action(ws);
  const c = await done;
  report(name, c.code === expected, `${c.code} ${c.reason}`);
}

function refusedUpgrade(name, keyLine, expected) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write('GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n' +
              'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' + keyLine + '\r\n');
    });
    let answer = '';
    s.on('data', (d) => { answer += d.toString(); });
    s.on('close', () => {
      report(name, answer.startsWith(`HTTP/1.1 ${expected} `), answer.slice(0, 40));
      resolve();
    });
  });
}

async function wrongPath() {
  try {
    const ws = await open('/missing');
    ws.terminate();
    report('404 on another path', false, 'upgraded');
  } catch (e) {
    report('404 on another path', e.message === 'status 404', e.message);
  }
}

async function main() {
  const checks = [
    ['echo', echo],
    ['server close', serverClose],
    ['1009', () => violation('1009 message too big', (ws) => ws.send('x'.repeat(100000)), 1009)],
    ['1007', () => violation('1007 invalid UTF-8',
      (ws) => ws.send(Buffer.from([0x6f, 0x6b, 0xc0, 0xaf]), {binary: false}), 1007)],
    ['1002 unmasked', () => violation('1002 unmasked client frame',
      (ws) => ws._socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69])), 1002)],
    ['1002 opcode', () => violation('1002 reserved opcode',
      (ws) => ws._socket.write(masked(0x83, [0x78])), 1002)],
    ['1002 control', () => violation('1002 control frame over 125 bytes',
      (ws) => ws._socket.write(masked(0x89, new Array(126).fill(0x70))), 1002)],
    ['400 no key', () => refusedUpgrade('400 without a key', '', 400)],
    ['400 wrong key', () => refusedUpgrade('400 with a wrong key', 'Sec-WebSocket-Key: c2hvcnQ=\r\n', 400)],
    ['404', wrongPath],
  ];
  for (const [name, check] of checks) {
    try {
      await withTimeout(check(), name);
    } catch (e) {
      report(name, false, e.message);
    }
  }
  process.exit(failures);
}

main();
