"""The Lua scripts of the Redis store: each primitive is one script, so one atomic step.

Data model, per chat (``P`` is the key prefix; ``{chat}`` is a Redis Cluster hash
tag, so every key of a chat lives in one slot and one script may touch them all):

``P:{chat}:run``   HASH, the chat's latest run: ``run`` (id), ``message``, ``log``
                   (stream key), ``owner``, ``token`` (of the latest lease holder),
                   ``claim`` (the latest takeover's nonce), ``seq`` (chunks logged),
                   ``start`` (first offset still held), ``bytes`` (held), ``status``
                   (``active``/``ended``), ``state`` + ``state_at`` (the state document
                   and the offset it is valid at), ``iid`` (interaction id),
                   ``end``/``reason``, ``stop`` (``1`` once a stop was asked), ``trim``
                   (the option whose cap trimmed the log).
``P:{chat}:lease`` STRING, the lease: the holder's fencing token, ``PX`` the lease ttl.
``P:{chat}:fence`` STRING, the fencing counter (``INCR`` per lease taken).
``P:{chat}:log:<run>``  STREAM, the log. Entry ids carry offsets: ``0-1`` opens the
                   log (``b``: message id); a write of ``n`` chunks ending at offset
                   ``E`` is ``E-1`` (``n``, ``d``: the chunks' JSON texts joined by LF);
                   the end marker is ``E-2`` (``e``: kind, ``r``: reason). So a reader at
                   offset ``X`` reads ``XREAD ... STREAMS log X-1``: exactly the entries
                   holding chunks ``>= X``, and the end.
Channel ``P:stop``  pub/sub, ``<chat>\\n<run>`` when a stop is asked (the run hash keeps
                   the flag too, for a producer that was not listening).

Every key expires ``ttl`` after the last write or lease renewal; the lease after its
own ttl. Numbers come in as decimal strings; Lua numbers are doubles, exact far past
any offset a log reaches.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ACQUIRE", "APPEND", "BEGIN", "FIND", "PROBE", "RELEASE", "RENEW", "STOP"]

#: KEYS run, lease, fence, log. ARGV run_id, message_id, owner, iid, state, lease_ms,
#: ttl_ms, replace (0/1). -> {'ok', token} | {'active', run_id, lease_exists}
BEGIN: Final = """
local h = redis.call('HMGET', KEYS[1], 'run', 'status', 'log', 'seq', 'token')
if h[1] == ARGV[1] then
  return {'ok', tonumber(h[5])}  -- a retry of this very call, which went through
end
if h[2] == 'active' then
  if ARGV[8] ~= '1' then
    return {'active', h[1], redis.call('EXISTS', KEYS[2])}
  end
  -- replace: end the old log for its readers; the new token fences its producer
  redis.call('XADD', h[3], h[4] .. '-2', 'e', 'abort', 'r', 'replaced by a new run')
  redis.call('PEXPIRE', h[3], ARGV[7])
end
local token = redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[7])
redis.call('SET', KEYS[2], token, 'PX', ARGV[6])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'run', ARGV[1], 'message', ARGV[2], 'log', KEYS[4],
  'owner', ARGV[3], 'token', token, 'seq', 0, 'start', 0, 'bytes', 0,
  'status', 'active', 'state', ARGV[5], 'state_at', 0, 'iid', ARGV[4])
redis.call('XADD', KEYS[4], '0-1', 'b', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PEXPIRE', KEYS[4], ARGV[7])
return {'ok', token}
"""

#: KEYS run, lease, log, fence. ARGV token, run_id, offset, n, data, has_state (0/1),
#: state, state_at, iid ('' keeps it), end ('' none), reason, max_chunks, max_bytes,
#: ttl_ms. -> {'ok', seq, start} | {'gone'} | {'lost', token} | {'ended'} | {'conflict', seq}
APPEND: Final = """
local h = redis.call('HMGET', KEYS[1], 'run', 'seq', 'start', 'bytes', 'status', 'token')
if h[1] ~= ARGV[2] then return {'gone'} end
local seq = tonumber(h[2])
local off = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local ending = ARGV[10] ~= ''
-- A retry of this very write, which went through (the flusher writes one at a time,
-- so with our token the log can only be n chunks past our offset through it).
if h[6] == ARGV[1] and seq == off + n and (n > 0 or (ending and h[5] == 'ended')) then
  return {'ok', seq, tonumber(h[3])}
end
-- Fencing: only the live lease's holder writes.
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return {'lost', h[6] or ''} end
if h[5] ~= 'active' then return {'ended'} end
if seq ~= off then return {'conflict', seq} end
local start = tonumber(h[3])
local bytes = tonumber(h[4])
local fields = {}
if n > 0 then
  seq = seq + n
  bytes = bytes + #ARGV[5]
  local id = seq .. '-1'
  redis.call('XADD', KEYS[3], id, 'n', n, 'd', ARGV[5])
  -- The caps: drop the oldest entries (never the one just written) while over either.
  local max_chunks = tonumber(ARGV[12])
  local max_bytes = tonumber(ARGV[13])
  local cut = nil
  local after = '-'
  while seq - start > max_chunks or bytes > max_bytes do
    local e = redis.call('XRANGE', KEYS[3], after, '+', 'COUNT', 1)[1]
    if not e or e[1] == id then break end
    if seq - start > max_chunks then
      fields[#fields + 1] = 'trim'; fields[#fields + 1] = 'max_chunks'
    else
      fields[#fields + 1] = 'trim'; fields[#fields + 1] = 'max_bytes'
    end
    local ms, sq = string.match(e[1], '^(%d+)-(%d+)$')
    local f = e[2]
    for i = 1, #f, 2 do
      if f[i] == 'd' then
        bytes = bytes - #f[i + 1]
        start = tonumber(ms)
      end
    end
    cut = ms .. '-' .. (tonumber(sq) + 1)
    after = '(' .. e[1]
  end
  if cut then redis.call('XTRIM', KEYS[3], 'MINID', '=', cut) end
end
fields[#fields + 1] = 'seq'; fields[#fields + 1] = seq
fields[#fields + 1] = 'start'; fields[#fields + 1] = start
fields[#fields + 1] = 'bytes'; fields[#fields + 1] = bytes
if ARGV[6] == '1' then
  fields[#fields + 1] = 'state'; fields[#fields + 1] = ARGV[7]
  fields[#fields + 1] = 'state_at'; fields[#fields + 1] = ARGV[8]
end
if ARGV[9] ~= '' then
  fields[#fields + 1] = 'iid'; fields[#fields + 1] = ARGV[9]
end
if ending then
  redis.call('XADD', KEYS[3], seq .. '-2', 'e', ARGV[10], 'r', ARGV[11])
  fields[#fields + 1] = 'status'; fields[#fields + 1] = 'ended'
  fields[#fields + 1] = 'end'; fields[#fields + 1] = ARGV[10]
  fields[#fields + 1] = 'reason'; fields[#fields + 1] = ARGV[11]
  redis.call('DEL', KEYS[2])
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], ARGV[14])
redis.call('PEXPIRE', KEYS[3], ARGV[14])
redis.call('PEXPIRE', KEYS[4], ARGV[14])
return {'ok', seq, start}
"""

#: KEYS run, lease, fence, log. ARGV token, lease_ms, ttl_ms. -> {'ok', stop} | {'lost'}
RENEW: Final = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return {'lost'} end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
redis.call('PEXPIRE', KEYS[4], ARGV[3])
return {'ok', redis.call('HGET', KEYS[1], 'stop') or ''}
"""

#: KEYS lease, run. ARGV token. -> 1 released, 0 not held
RELEASE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""

#: KEYS run, lease, fence. ARGV owner, lease_ms, ttl_ms, run_id ('' any), claim nonce.
#: -> {'ok', token, HGETALL} | {'none'} | {'ended', run_id, end} | {'held', run_id, owner}
ACQUIRE: Final = """
local h = redis.call('HMGET', KEYS[1], 'run', 'status', 'claim', 'token', 'end')
if not h[1] or (ARGV[4] ~= '' and h[1] ~= ARGV[4]) then return {'none'} end
local lease = redis.call('GET', KEYS[2])
if h[3] == ARGV[5] and lease == h[4] then
  return {'ok', tonumber(h[4]), redis.call('HGETALL', KEYS[1])}  -- a retry that went through
end
if h[2] ~= 'active' then return {'ended', h[1], h[5] or ''} end
if lease then return {'held', h[1], redis.call('HGET', KEYS[1], 'owner') or ''} end
local token = redis.call('INCR', KEYS[3])
redis.call('SET', KEYS[2], token, 'PX', ARGV[2])
redis.call('HSET', KEYS[1], 'token', token, 'owner', ARGV[1], 'claim', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return {'ok', token, redis.call('HGETALL', KEYS[1])}
"""

#: KEYS run, lease. -> {HGETALL, lease token or ''}
FIND: Final = """
return {redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[2]) or ''}
"""

#: A reader that heard nothing: is the log there, does its producer live, how long is it?
#: KEYS run, lease, log. ARGV run_id. -> {log_exists, alive, seq (-1 other run), trim}
PROBE: Final = """
local exists = redis.call('EXISTS', KEYS[3])
local h = redis.call('HMGET', KEYS[1], 'run', 'token', 'seq', 'status', 'trim')
local alive = 0
local seq = -1
if h[1] == ARGV[1] then
  seq = tonumber(h[3])
  if h[4] == 'active' and redis.call('GET', KEYS[2]) == h[2] then alive = 1 end
end
return {exists, alive, seq, h[5] or ''}
"""

#: KEYS run. ARGV run_id ('' any), channel, chat id. -> 1 asked, 0 no active run
STOP: Final = """
local h = redis.call('HMGET', KEYS[1], 'run', 'status')
if not h[1] or h[2] ~= 'active' or (ARGV[1] ~= '' and ARGV[1] ~= h[1]) then return 0 end
redis.call('HSET', KEYS[1], 'stop', '1')
redis.call('PUBLISH', ARGV[2], ARGV[3] .. '\\n' .. h[1])
return 1
"""
