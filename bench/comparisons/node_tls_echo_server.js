// node_tls_echo_server.js: the Node.js TLS baseline, the TLS counterpart of
// node_echo_server.js: Node's `tls` module with its defaults, echoing with pipe().
//   node bench/comparisons/node_tls_echo_server.js PORT CERT.pem KEY.pem    (listens on 127.0.0.1)
'use strict';
const fs = require('fs');
const tls = require('tls');
if (process.argv.length < 5) {
  console.error('usage: node node_tls_echo_server.js PORT CERT KEY');
  process.exit(2);
}
const [port, certFile, keyFile] = process.argv.slice(2);
const server = tls.createServer(
  { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile), minVersion: 'TLSv1.2' },
  (socket) => {
    socket.setNoDelay(true); // as coronet and the Asio floor do
    socket.pipe(socket); // echo, with backpressure
    socket.on('error', () => socket.destroy());
  });
server.on('tlsClientError', () => {}); // a failed handshake just closes that socket
server.listen(Number(port), '127.0.0.1', () =>
  console.error(`node_tls_echo_server listening on 127.0.0.1:${port} (TLS)`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
