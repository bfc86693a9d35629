/// @file
/// @code{.unparsed}
/// coronet::redis (target coronet::redis): a coroutine Redis client.
///
///   redis::client       commands, pipelined from many coroutines (redis/client.hpp)
///   redis::subscriber   pub/sub: SUBSCRIBE, PSUBSCRIBE, receive() (redis/subscriber.hpp)
///   redis::backoff      delays for reconnect loops (redis/backoff.hpp)
///   resp::value         a reply (resp/value.hpp)
///
/// Guide: docs/redis.md. Not part of coronet.hpp.
/// @endcode
#pragma once

#include "coronet/redis/backoff.hpp"
#include "coronet/redis/client.hpp"
#include "coronet/redis/client_options.hpp"
#include "coronet/redis/subscriber.hpp"
#include "coronet/resp/value.hpp"
