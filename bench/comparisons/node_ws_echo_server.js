// node_ws_echo_server.js: the Node.js WebSocket baseline, the echo most people would
// write with `ws` (installed by scripts/setup.sh into build/npm; NODE_PATH finds it).
//   NODE_PATH=build/npm/node_modules node bench/comparisons/node_ws_echo_server.js [port]
'use strict';
const WebSocket = require('ws');
const port = Number(process.argv[2] || 7301);
// perMessageDeflate off: coronet negotiates no extension either (and ws's default is off
// for servers too; said here so the comparison is explicit).
const server = new WebSocket.Server({host: '127.0.0.1', port, perMessageDeflate: false,
                                      maxPayload: 16 << 20});
server.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, {binary: isBinary}));
  ws.on('error', () => ws.terminate());
});
server.on('listening', () => console.error(`node_ws_echo_server listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
