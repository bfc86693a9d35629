#!/usr/bin/env bash
# Makes certificates for trying coronet's TLS on this machine, with the openssl command:
#
#   scripts/make-cert.sh DIR
#
#   DIR/ca.pem, ca.key          a local certificate authority (trust it in clients)
#   DIR/server.pem, server.key  a server certificate for localhost, 127.0.0.1 and ::1
#   DIR/client.pem, client.key  a client certificate (CN=coronet-client), for mutual TLS
#
# All keys are ECDSA P-256 (fast handshakes), unencrypted, and valid for 825 days.
# docs/tls.md walks through using them. For testing only: anyone who reads ca.key can
# make certificates this machine's clients would trust.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
command -v openssl >/dev/null || { echo "$0: needs the openssl command (apt-get install openssl)" >&2; exit 1; }
dir=$1
mkdir -p "$dir"
cd "$dir"
days=825
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days "$days" -subj "/O=coronet test/CN=coronet test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# sign NAME SUBJECT EXTENSIONS: NAME.key and NAME.pem, signed by the CA.
sign() {
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

sign server "/O=coronet test/CN=localhost" \
  "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature"
sign client "/O=coronet test/CN=coronet-client" \
  "extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature"
rm -f ca.srl
chmod 600 ./*.key
echo "made $(pwd)/{ca,server,client}.{pem,key}"
