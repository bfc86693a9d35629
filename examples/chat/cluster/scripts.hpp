// The Lua scripts behind chat::cluster: every change to the shared name registry, each
// run atomically by Redis together with the event it publishes. Included by cluster.cpp
// only. Names reach the scripts validated (letters, digits, '_', '-'), so the JSON
// events built here need no escaping; they are byte for byte what events::joined and
// events::left render.
//
// Keys (P is the prefix): P.."names" (key -> "NODE\nName"), P.."node:"..NODE (key ->
// Name), P.."nodes" (NODE scored by the time its presence expires, in ms).
#pragma once

namespace chat::scripts {

// KEYS: names, node hash. ARGV: node, key, name, channel, event ("NODE\nJSON\n#SEQ").
// Nil when the name is taken by someone else. Else registers it and publishes the event.
// O(1) in time and on the wire, whatever the room's size: the joiner's instance
// welcomes it, when the event comes back on the channel, with its own mirror of the
// member list (member_mirror.hpp), cut at that point of the stream.
inline constexpr const char* join = R"lua(
local mine = ARGV[1] .. '\n' .. ARGV[3]
local cur = redis.call('HGET', KEYS[1], ARGV[2])
if cur and cur ~= mine then return false end
redis.call('HSET', KEYS[1], ARGV[2], mine)
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
)lua";

// KEYS: names. ARGV: this node's own channel, its sync marker ("NODE\n\n#TOKEN").
// The registry (its values, "NODE\nName") and, in the same step, the marker that cuts
// the event stream at the same point (member_mirror.hpp). O(n), once per connection of
// an instance to Redis; never per join.
inline constexpr const char* snapshot = R"lua(
redis.call('PUBLISH', ARGV[1], ARGV[2])
return redis.call('HVALS', KEYS[1])
)lua";

// KEYS: names, node hash. ARGV: node, old key, new key, new name, channel, event.
// 0 when the new name is taken by someone else, else 1.
inline constexpr const char* rename = R"lua(
local owner = ARGV[1] .. '\n'
local taken = redis.call('HGET', KEYS[1], ARGV[3])
if ARGV[2] ~= ARGV[3] and taken and taken ~= owner .. ARGV[4] then return 0 end
local cur = redis.call('HGET', KEYS[1], ARGV[2])
if cur and string.sub(cur, 1, #owner) == owner then
  redis.call('HDEL', KEYS[1], ARGV[2])
  redis.call('HDEL', KEYS[2], ARGV[2])
end
redis.call('HSET', KEYS[1], ARGV[3], owner .. ARGV[4])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1
)lua";

// KEYS: names, node hash. ARGV: node, key, channel, event. Publishes only when the name
// was this node's.
inline constexpr const char* leave = R"lua(
local owner = ARGV[1] .. '\n'
local cur = redis.call('HGET', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[2], ARGV[2])
if cur and string.sub(cur, 1, #owner) == owner then
  redis.call('HDEL', KEYS[1], ARGV[2])
  redis.call('PUBLISH', ARGV[3], ARGV[4])
  return 1
end
return 0
)lua";

// KEYS: nodes, names. ARGV: node, presence ttl (ms), prefix, channel.
// Refreshes this node's presence and reaps every node whose presence expired: frees its
// names and announces its members' departure on its behalf. 1 when this node was known,
// 0 when it was not (new, reaped while cut off, or Redis lost its data): register again.
inline constexpr const char* heartbeat = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local known = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  local hash = ARGV[3] .. 'node:' .. dead
  local members = redis.call('HGETALL', hash)
  for i = 1, #members, 2 do
    if redis.call('HGET', KEYS[2], members[i]) == dead .. '\n' .. members[i + 1] then
      redis.call('HDEL', KEYS[2], members[i])
      redis.call('PUBLISH', ARGV[4],
                 dead .. '\n{"type":"left","name":"' .. members[i + 1] .. '"}')
    end
  end
  redis.call('DEL', hash)
  redis.call('ZREM', KEYS[1], dead)
end
if known then return 1 end
return 0
)lua";

// KEYS: names, node hash. ARGV: node, channel, then key, name pairs: every member this
// node has now. Makes the registry agree: this node's entries for members it no longer
// has are dropped (announced as left), its members missing from the registry are added
// (announced as joined). Returns the keys of its members whose names another node holds.
inline constexpr const char* register_members = R"lua(
local owner = ARGV[1] .. '\n'
local here = {}
for i = 3, #ARGV, 2 do here[ARGV[i]] = ARGV[i + 1] end
local old = redis.call('HGETALL', KEYS[2])
for i = 1, #old, 2 do
  if here[old[i]] ~= old[i + 1] then
    if redis.call('HGET', KEYS[1], old[i]) == owner .. old[i + 1] then
      redis.call('HDEL', KEYS[1], old[i])
      redis.call('PUBLISH', ARGV[2], owner .. '{"type":"left","name":"' .. old[i + 1] .. '"}')
    end
    redis.call('HDEL', KEYS[2], old[i])
  end
end
local conflicts = {}
for i = 3, #ARGV, 2 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if not cur then
    redis.call('HSET', KEYS[1], ARGV[i], owner .. ARGV[i + 1])
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
    redis.call('PUBLISH', ARGV[2], owner .. '{"type":"joined","name":"' .. ARGV[i + 1] .. '"}')
  elseif cur == owner .. ARGV[i + 1] then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  else
    table.insert(conflicts, ARGV[i])
  end
end
return conflicts
)lua";

// KEYS: nodes, names, node hash. ARGV: node, channel. This node leaves the cluster:
// its members' names are freed and their departure announced.
inline constexpr const char* goodbye = R"lua(
local owner = ARGV[1] .. '\n'
local members = redis.call('HGETALL', KEYS[3])
for i = 1, #members, 2 do
  if redis.call('HGET', KEYS[2], members[i]) == owner .. members[i + 1] then
    redis.call('HDEL', KEYS[2], members[i])
    redis.call('PUBLISH', ARGV[2], owner .. '{"type":"left","name":"' .. members[i + 1] .. '"}')
  end
end
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[1], ARGV[1])
return #members / 2
)lua";

}  // namespace chat::scripts
