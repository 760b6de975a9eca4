"""The Lua scripts of the Redis store (`bot.stores.redis`), each atomic on the server.

Every script but MOVE touches the keys of one shard, or one key: they all run unchanged on
Redis Cluster, where a script's keys must share a hash slot. Keys a script builds itself (a
queue's `out:` list in CLAIM, a learner's `event:` keys in WRITE) are built from the shard's
prefix, hash tag included, so they are in that slot too. MOVE is for the move from the first
layout, which only ever ran on one server.
"""

from __future__ import annotations

# Put a queue that holds deliveries in the ready set of its priority with score `score`.
# KEYS[1] is always the queue's list, KEYS[2] its urgent count, KEYS[3] and KEYS[4] the
# ready sets of priority 0 and 1.
_PLACE = """
local function place(queue, score, urgent_key)
    local urgent = tonumber(redis.call('GET', urgent_key or KEYS[2]) or '0')
    local into, other = KEYS[4], KEYS[3]
    if urgent > 0 then into, other = KEYS[3], KEYS[4] end
    redis.call('ZREM', other, queue)
    redis.call('ZADD', into, score, queue)
end
"""

# Apply a learner's tally (bot.tally) given as JSON: {"c": {counter: delta}, "r": row JSON or
# "" (gone), "z": {ranked set: score}, "u": [ranked sets to leave]}, to the records of the
# shard whose key prefix is `prefix`.
_TALLY = """
local function apply_tally(prefix, learner, text)
    local t = cjson.decode(text)
    local counts = prefix .. ':counts'
    for key, n in pairs(t['c']) do
        if redis.call('HINCRBY', counts, key, n) == 0 then redis.call('HDEL', counts, key) end
    end
    if t['r'] == '' then
        redis.call('HDEL', prefix .. ':rows', learner)
    else
        redis.call('HSET', prefix .. ':rows', learner, t['r'])
    end
    for name, score in pairs(t['z']) do
        redis.call('ZADD', prefix .. ':rank:' .. name, score, learner)
    end
    for _, name in ipairs(t['u']) do
        redis.call('ZREM', prefix .. ':rank:' .. name, learner)
    end
end
"""

APPLY_TALLY = (
    _TALLY
    + """
-- KEYS: the shard's counts and rows (its rank sets are built from ARGV[1]).
-- ARGV: the shard's key prefix, learner id, the tally's JSON.
apply_tally(ARGV[1], ARGV[2], ARGV[3])
return 1
"""
)

WRITE = (
    _PLACE
    + _TALLY
    + """
-- One learner's write: an event (`handle`) or an update (no event), after the caller read the
-- learner and ran the change on it. Every key is in the learner's shard.
-- KEYS: learner, the event (by digest; not touched without one), ready:0, ready:1, pending,
-- queued, the learner's events; then the `cert:` key of each code record to write, then of
-- each code to drop; then `out` and `urgent` of each queue.
-- ARGV: [1] '1' when the learner was there when read, else '0'; [2] the text read; [3] 'keep',
-- 'set' or 'delete'; [4] the new text; [5] the event's TTL; [6] now; [7] the learner id;
-- [8] how many codes to write; [9] how many to drop; [10] the event's digest, '' for an
-- update; [11] the shard's key prefix; [12] the end of the lease a queue this event starts
-- is leased to the caller until ('' to make it due now); then certificate and earned_at of
-- each code to write; then for each queue: its name, how many of its deliveries are
-- priority 0, how many deliveries, then each delivery's id and JSON; last, the tally's JSON.
-- Returns 'dup' (event handled before), 'stale' (the learner changed since it was read),
-- {'taken', code key, owner} (nothing written in all three cases), 'ok', or {'ok', the
-- queues leased to the caller...}.
local event = ARGV[10] ~= ''
if event and redis.call('EXISTS', KEYS[2]) > 0 then return 'dup' end
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
    if current ~= ARGV[2] then return 'stale' end
elseif current then
    return 'stale'
end
local written, dropped = tonumber(ARGV[8]), tonumber(ARGV[9])
for i = 1, written do
    local owner = redis.call('HGET', KEYS[7 + i], 'learner')
    if owner and owner ~= ARGV[7] then return {'taken', KEYS[7 + i], owner} end
end
if ARGV[3] == 'set' then
    redis.call('SET', KEYS[1], ARGV[4])
elseif ARGV[3] == 'delete' then
    redis.call('DEL', KEYS[1])
end
if ARGV[3] ~= 'keep' then apply_tally(ARGV[11], ARGV[7], ARGV[#ARGV]) end
local a = 13
for i = 1, written do
    redis.call('HSET', KEYS[7 + i], 'learner', ARGV[7], 'certificate', ARGV[a],
        'earned_at', ARGV[a + 1])
    a = a + 2
end
for i = 1, dropped do
    redis.call('DEL', KEYS[7 + written + i])
end
if event then redis.call('SET', KEYS[2], '1', 'EX', ARGV[5]) end
if ARGV[3] == 'delete' or (ARGV[3] == 'keep' and ARGV[1] == '0') then
    -- No learner after this: their events go; this one stays, filed under no one.
    for _, digest in ipairs(redis.call('ZRANGE', KEYS[7], 0, -1)) do
        redis.call('DEL', ARGV[11] .. ':event:' .. digest)
    end
    redis.call('DEL', KEYS[7])
elseif event then
    local old = string.format('%.17g', tonumber(ARGV[6]) - tonumber(ARGV[5]))
    redis.call('ZADD', KEYS[7], ARGV[6], ARGV[10])
    redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', old)
    redis.call('EXPIRE', KEYS[7], ARGV[5])
end
local k = 8 + written + dropped
local leased = {'ok'}
while a < #ARGV do
    local queue, urgent, n = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
    local before = redis.call('LLEN', KEYS[k])
    for i = 1, n do
        redis.call('RPUSH', KEYS[k], ARGV[a + 2 + 2 * i])
        redis.call('ZADD', KEYS[6], ARGV[6], ARGV[a + 1 + 2 * i])
    end
    if urgent > 0 then
        redis.call('INCRBY', KEYS[k + 1], urgent)
    end
    redis.call('INCRBY', KEYS[5], n)
    local score = false
    if before > 0 then
        score = redis.call('ZSCORE', KEYS[3], queue) or redis.call('ZSCORE', KEYS[4], queue)
    elseif ARGV[12] ~= '' then
        score = ARGV[12]
        leased[#leased + 1] = queue
    end
    place(queue, score or ARGV[6], KEYS[k + 1])
    a, k = a + 3 + 2 * n, k + 2
end
if #leased > 1 then return leased end
return 'ok'
"""
)

CLAIM = """
-- KEYS: a shard's ready:0 and ready:1. ARGV: the shard's key prefix, the queue ('' for the
-- shard's first ready queue of priority up to ARGV[5]), now, the lease's end, the priority.
local prefix, queue, now, leased = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local function head(name)
    return redis.call('LINDEX', prefix .. ':out:' .. name, 0)
end
if queue ~= '' then
    for i = 1, 2 do
        local score = redis.call('ZSCORE', KEYS[i], queue)
        if score then
            if tonumber(score) > now then return false end
            local found = head(queue)
            if not found then
                redis.call('ZREM', KEYS[i], queue)
                return false
            end
            redis.call('ZADD', KEYS[i], leased, queue)
            return found
        end
    end
    return false
end
for i = 1, tonumber(ARGV[5]) + 1 do
    while true do
        local ready = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', ARGV[3], 'LIMIT', 0, 1)
        if #ready == 0 then break end
        local found = head(ready[1])
        if found then
            redis.call('ZADD', KEYS[i], leased, ready[1])
            return found
        end
        redis.call('ZREM', KEYS[i], ready[1])  -- an empty queue: cannot happen; heal it
    end
end
return false
"""

DONE = (
    _PLACE
    + """
-- KEYS: out, urgent, ready:0, ready:1, pending, queued (one shard's). ARGV: queue, id, now,
-- lease end, next_at.
local queue = ARGV[1]
local head = redis.call('LINDEX', KEYS[1], 0)
if not head then return false end
local sent = cjson.decode(head)
if sent['id'] ~= ARGV[2] then return false end
redis.call('LPOP', KEYS[1])
redis.call('DECR', KEYS[5])
redis.call('ZREM', KEYS[6], ARGV[2])
if tonumber(sent['priority']) == 0 and redis.call('DECR', KEYS[2]) <= 0 then
    redis.call('DEL', KEYS[2])
end
local nxt = redis.call('LINDEX', KEYS[1], 0)
if not nxt then
    redis.call('DEL', KEYS[2])
    redis.call('ZREM', KEYS[3], queue)
    redis.call('ZREM', KEYS[4], queue)
    return false
end
if tonumber(ARGV[5]) <= tonumber(ARGV[3]) then
    place(queue, ARGV[4])
    return nxt
end
place(queue, ARGV[5])
return false
"""
)

RETRY = (
    _PLACE
    + """
-- KEYS: out, urgent, ready:0, ready:1 (one shard's). ARGV: queue, id, at, count ('1' or '0').
local queue = ARGV[1]
local head = redis.call('LINDEX', KEYS[1], 0)
if not head then return 0 end
if cjson.decode(head)['id'] ~= ARGV[2] then return 0 end
if ARGV[4] == '1' then
    -- The stored JSON ends with its `attempts` (Delivery.to_dict's last key): bump it in
    -- the text, since cjson would not give back the body as it was.
    local bumped = string.gsub(head, '"attempts":(%d+)}$', function(n)
        return '"attempts":' .. string.format('%d', tonumber(n) + 1) .. '}'
    end)
    redis.call('LSET', KEYS[1], 0, bumped)
end
place(queue, ARGV[3])
return 1
"""
)

RENEW = """
-- KEYS: out, ready:0, ready:1 (one shard's). ARGV: queue, id, the lease's end, its new end.
local head = redis.call('LINDEX', KEYS[1], 0)
if not head or cjson.decode(head)['id'] ~= ARGV[2] then return 0 end
for i = 2, 3 do
    local score = redis.call('ZSCORE', KEYS[i], ARGV[1])
    if score then
        if tonumber(score) ~= tonumber(ARGV[3]) then return 0 end
        redis.call('ZADD', KEYS[i], 'XX', ARGV[4], ARGV[1])
        return 1
    end
end
return 0
"""

TAKE_TOKEN = """
-- KEYS: the bucket. ARGV: rate, burst, now, count, ahead. The arithmetic of
-- bot.stores._outbox.take_token.
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local count, ahead = tonumber(ARGV[4]) or 1, tonumber(ARGV[5]) or 0
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if not tokens or not at then
    tokens, at = burst, now
end
if now > at then
    tokens, at = tokens + (now - at) * rate, now
end
tokens = math.min(burst, tokens)
local wait = math.max(0, (count - tokens) / rate)
if wait <= ahead then
    tokens = tokens - count
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
    'at', string.format('%.17g', at))
-- Gone once full again: a missing bucket is a full one. Its state may be of a time ahead of
-- this server's clock (a chat's tokens taken for when its reply's overall turn comes): then
-- it lives until full by that time, when the caller's clock is the server's.
local life = (burst - tokens) / rate
local clock = redis.call('TIME')
local ahead_of_server = at - (tonumber(clock[1]) + tonumber(clock[2]) / 1000000)
local ttl = math.ceil(math.max(life, life + ahead_of_server)) + 1
redis.call('EXPIRE', KEYS[1], string.format('%d', math.min(ttl, 2147483647)))
return string.format('%.17g', wait)
"""

FORGET_FAILURES = """
-- KEYS: the failures list. ARGV: how the text of each failure to drop begins (one chat's).
local gone = false
for i, text in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
    for p = 1, #ARGV do
        if string.sub(text, 1, #ARGV[p]) == ARGV[p] then
            redis.call('LSET', KEYS[1], i - 1, '')  -- no failure's text is empty
            gone = true
            break
        end
    end
end
if gone then redis.call('LREM', KEYS[1], 0, '') end
return 1
"""

MOVE = """
-- The move from the first layout, on one server. KEYS: pairs (from, to): each key that is
-- there is renamed (its TTL kept). Returns how many were.
local moved = 0
for i = 1, #KEYS, 2 do
    if redis.call('EXISTS', KEYS[i]) == 1 then
        redis.call('RENAME', KEYS[i], KEYS[i + 1])
        moved = moved + 1
    end
end
return moved
"""

MOVE_QUEUE = """
-- The move of one queue from the first layout, on one server. KEYS: out, urgent, ready:0,
-- ready:1, pending, queued as they were, then the same in the queue's shard. ARGV: the queue.
local queue = ARGV[1]
local items = redis.call('LRANGE', KEYS[1], 0, -1)
if #items == 0 then return 0 end
for _, item in ipairs(items) do
    local id = cjson.decode(item)['id']
    local score = redis.call('ZSCORE', KEYS[6], id)
    if score then
        redis.call('ZADD', KEYS[12], score, id)
        redis.call('ZREM', KEYS[6], id)
    end
end
for i = 3, 4 do
    local score = redis.call('ZSCORE', KEYS[i], queue)
    if score then
        redis.call('ZADD', KEYS[i + 6], score, queue)
        redis.call('ZREM', KEYS[i], queue)
    end
end
redis.call('RENAME', KEYS[1], KEYS[7])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('RENAME', KEYS[2], KEYS[8]) end
redis.call('INCRBY', KEYS[11], #items)
redis.call('DECRBY', KEYS[5], #items)
return #items
"""
