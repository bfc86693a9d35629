// node_echo_server.js: the Node.js baseline, the echo server most people would write.
//   node bench/comparisons/node_echo_server.js [port]    (listens on 127.0.0.1)
'use strict';
const net = require('net');
const port = Number(process.argv[2] || 7200);
const server = net.createServer((socket) => {
  socket.setNoDelay(true); // as coronet and the Asio floor do
  socket.pipe(socket); // echo, with backpressure
  socket.on('error', () => socket.destroy());
});
server.listen(port, '127.0.0.1', () => console.error(`node_echo_server listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
