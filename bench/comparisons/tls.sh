# shellcheck shell=bash disable=SC2034,SC2154  # sourced: compare.sh's variables
# bench/compare.sh's TLS section (sourced): echo, handshakes and idle memory over TLS.
# Certificates are made by scripts/make-cert.sh in the run's directory (ECDSA P-256); the
# servers are coronet's echo_server (raw and line) with --tls-cert/--tls-key, the
# hand-written asio::ssl floor (bench/floors/asio_ssl_echo_server.cpp) and Node's tls
# (node_tls_echo_server.js); the client is coronet-loadgen --tls-ca (asio::ssl, verifying
# the certificate and the name 127.0.0.1). Echo: pingpong, as the echo section.
# Handshakes: coronet-loadgen --mode handshake (connect, full handshake, one 64 B block
# and its echo, close; 10 clients at once). Memory: RSS per idle TLS connection with 5000
# connections, each past its handshake. Report: bench/reports/tls.py.

# tls_start NAME: starts the TLS server NAME on its port, with run_tls's certificate.
tls_start() {
  local p=${tls_port[$1]}
  case "$1" in
    coronet_raw) start coronet_raw "$p" "$bin/examples/echo/echo_server" --port "$p" --framing raw "${cert[@]}" ;;
    coronet_line) start coronet_line "$p" "$bin/examples/echo/echo_server" --port "$p" --framing line "${cert[@]}" ;;
    asio_ssl) start asio_ssl "$p" "$bin/bench/asio_ssl_echo_server" --port "$p" --threads 1 "${cert[@]}" ;;
    node_tls) start node_tls "$p" node bench/comparisons/node_tls_echo_server.js "$p" "$certs/server.pem" "$certs/server.key" ;;
  esac
}

# run_tls: the TLS section's loads, and tls_params.json.
run_tls() {
  local r shape label size conns s
  certs="$work/certs"
  scripts/make-cert.sh "$certs" >/dev/null
  cert=(--tls-cert "$certs/server.pem" --tls-key "$certs/server.key")
  client_tls=(--tls-ca "$certs/ca.pem")  # verify the chain and the name, as a client must
  cert_type="ECDSA P-256"
  tls_servers=(coronet_raw coronet_line asio_ssl node_tls)
  declare -gA tls_port=([coronet_raw]=7311 [coronet_line]=7312 [asio_ssl]=7313 [node_tls]=7314)
  for s in "${tls_servers[@]}"; do tls_start "$s"; done

  tls_shapes=("64x100:64:100" "16384x10:16384:10")
  echo "== TLS echo pingpong and handshakes ($cert_type): ${#tls_servers[@]} servers x $rounds rounds x ${duration}s ==" >&2
  for ((r = 1; r <= rounds; r++)); do
    for shape in "${tls_shapes[@]}"; do
      IFS=: read -r label size conns <<<"$shape"
      for s in $(alternated "$r" "${tls_servers[@]}"); do
        load tls_echo "$label" "$r" "$s" "${tls_port[$s]}" --mode pingpong --size "$size" \
          --connections "$conns" "${client_tls[@]}"
      done
    done
    for s in $(alternated "$r" "${tls_servers[@]}"); do
      load tls_hs handshake "$r" "$s" "${tls_port[$s]}" --mode handshake --size 64 \
        --connections "$tls_hs_connections" "${client_tls[@]}"
    done
  done
  for s in "${tls_servers[@]}"; do stop "$s"; done

  echo "== TLS memory: RSS with $tls_idle_connections idle TLS connections ==" >&2
  for s in coronet_raw coronet_line asio_ssl node_tls; do
    tls_start "$s"
    idle_one tls_mem "$s" "${tls_port[$s]}" "$tls_idle_connections" "${client_tls[@]}"
    stop "$s"
  done
  # What bench/reports/tls.py needs to say how the figures were taken.
  params "$work/tls_params.json" rounds "$rounds" duration "$duration" \
    idle_connections "$tls_idle_connections" hs_connections "$tls_hs_connections" cert_type "$cert_type"
}
