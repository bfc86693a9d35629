// node_chat_server.js: the Node.js baseline for the chat benchmark, the chat server most
// people would write with `net`: one process (Node runs JavaScript on one thread), no
// npm packages, JSON mode of docs/chat.md's protocol.
//
//   node bench/comparisons/node_chat_server.js [--port 7777] [--max-queue 262144]   (127.0.0.1;
//   a bare number is the port too, as node_echo_server.js takes it; 0: any free port)
//
// One JSON object per line. Client to server: join, say, whisper, who, nick, leave.
// Server to client: welcome (name, users sorted), joined, left, message (to everyone,
// the sender included), whisper (to both ends), users, renamed, and errors with the codes
// invalid_name, name_taken, not_joined, already_joined, no_such_user, bad_message,
// unknown_type, too_large. As chat_server: lines over 8 KiB are answered too_large and
// the connection closed, texts are at most 2000 bytes, names 1 to 32 of [A-Za-z0-9_-]
// unique case-insensitively, and a receiver with more than --max-queue bytes waiting
// is disconnected. Text mode (a first line that is not JSON) is not spoken: it gets a
// bad_message error.
//
// Delivery is what a Node programmer writes: socket.write() of one line per member per
// event (libuv tries each write at once; Node buffers what the socket does not take).
'use strict';
const net = require('net');

function option(name, fallback) {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  if (i >= 0 && i + 1 < args.length) return Number(args[i + 1]);
  if (name === '--port' && args.length > 0 && /^\d+$/.test(args[0])) return Number(args[0]);
  return fallback;
}
const port = option('--port', 7777);
const maxQueue = option('--max-queue', 262144);
const MAX_LINE = 8 * 1024;
const MAX_TEXT = 2000;

const members = new Map(); // lower-cased name -> member {name, socket}
const line = (event) => JSON.stringify(event) + '\n';
const validName = (n) => typeof n === 'string' && /^[A-Za-z0-9_-]{1,32}$/.test(n);
const sortedNames = () =>
  [...members.keys()].sort().map((k) => members.get(k).name); // keys sort case-insensitively

function send(member, text) {
  if (member.socket.destroyed) return;
  member.socket.write(text);
  if (member.socket.writableLength > maxQueue) {
    console.error(`disconnecting slow receiver ${member.name}: over ${maxQueue} bytes queued`);
    member.socket.destroy();
  }
}

function broadcast(event, except) {
  const text = line(event);
  for (const m of members.values()) if (m !== except) send(m, text);
}

function session(socket) {
  socket.setNoDelay(true); // as chat_server does
  socket.setEncoding('utf8');
  const self = { name: '', socket };
  let buffered = '';
  const reply = (event) => send(self, line(event));
  const fail = (code, message) => reply({ type: 'error', code, message });

  function leave() {
    if (!self.name) return;
    members.delete(self.name.toLowerCase());
    broadcast({ type: 'left', name: self.name });
    self.name = '';
  }

  function handle(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      return fail('bad_message', e.message);
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg))
      return fail('bad_message', 'expected a JSON object');
    if (typeof msg.type !== 'string') return fail('bad_message', 'missing "type"');
    const t = msg.type;
    if (t === 'join') {
      if (typeof msg.name !== 'string') return fail('bad_message', 'join needs a string "name"');
      if (self.name) return fail('already_joined', 'already joined as ' + self.name);
      if (!validName(msg.name))
        return fail('invalid_name', "names are 1 to 32 letters, digits, '_' or '-'");
      const key = msg.name.toLowerCase();
      if (members.has(key)) return fail('name_taken', 'the name ' + msg.name + ' is taken');
      members.set(key, self);
      self.name = msg.name;
      const users = sortedNames();
      broadcast({ type: 'joined', name: self.name }, self);
      return reply({ type: 'welcome', name: self.name, users });
    }
    if (!['say', 'whisper', 'who', 'nick', 'leave'].includes(t))
      return fail('unknown_type', `unknown message type "${t}"`);
    if (!self.name) return fail('not_joined', 'join first');
    if (t === 'say') {
      if (typeof msg.text !== 'string') return fail('bad_message', 'say needs a string "text"');
      if (Buffer.byteLength(msg.text) > MAX_TEXT) return fail('too_large', 'text over the limit');
      return broadcast({ type: 'message', from: self.name, text: msg.text });
    }
    if (t === 'whisper') {
      if (typeof msg.to !== 'string' || typeof msg.text !== 'string')
        return fail('bad_message', 'whisper needs strings "to" and "text"');
      if (Buffer.byteLength(msg.text) > MAX_TEXT) return fail('too_large', 'text over the limit');
      const target = members.get(msg.to.toLowerCase());
      if (!target) return fail('no_such_user', 'nobody here is called ' + msg.to);
      const event = line({ type: 'whisper', from: self.name, to: target.name, text: msg.text });
      if (target !== self) send(target, event);
      return send(self, event);
    }
    if (t === 'who') return reply({ type: 'users', users: sortedNames() });
    if (t === 'nick') {
      if (typeof msg.name !== 'string') return fail('bad_message', 'nick needs a string "name"');
      if (!validName(msg.name))
        return fail('invalid_name', "names are 1 to 32 letters, digits, '_' or '-'");
      const from = self.name, key = msg.name.toLowerCase();
      if (key !== from.toLowerCase() && members.has(key))
        return fail('name_taken', 'the name ' + msg.name + ' is taken');
      members.delete(from.toLowerCase());
      members.set(key, self);
      self.name = msg.name;
      return broadcast({ type: 'renamed', from, to: msg.name });
    }
    leave(); // 'leave': then the connection ends, as chat_server's session does
    socket.end();
  }

  function tooLarge() {
    fail('too_large', 'line over the limit; closing the connection');
    leave();
    socket.end();
  }

  socket.on('data', (chunk) => {
    const lines = (buffered + chunk).split('\n');
    buffered = lines.pop(); // the partial line at the end, if any
    for (const text of lines) {
      if (Buffer.byteLength(text) > MAX_LINE) return tooLarge();
      handle(text.endsWith('\r') ? text.slice(0, -1) : text);
      if (socket.destroyed || socket.writableEnded) return;
    }
    if (Buffer.byteLength(buffered) > MAX_LINE) tooLarge();
  });
  socket.on('close', leave);
  socket.on('error', () => socket.destroy());
}

const server = net.createServer(session);
server.listen(port, '127.0.0.1', () =>
  console.error(`node_chat_server listening on 127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
