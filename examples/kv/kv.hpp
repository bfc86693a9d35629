// The kv example as a library (coronet_kv), so that kv_server and the tests run the
// same code: the store, the commands and the connection handler.
//
//   kv::store db;
//   coronet::server server{{.port = 6380}};
//   server.run([&db](coronet::connection c) { return kv::serve(std::move(c), &db); });
#pragma once

#include "commands.hpp"
#include "output_limit.hpp"
#include "store.hpp"

#include <coronet/core/connection.hpp>

#include <asio/awaitable.hpp>

namespace kv {

// Serves one client connection against `db` (which must outlive it). Safe to run on
// many threads at once: the store does its own locking.
asio::awaitable<void> serve(coronet::connection conn, store* db, options opt = {});

}  // namespace kv
