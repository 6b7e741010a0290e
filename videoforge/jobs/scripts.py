"""The job store's Lua scripts: each one checks and writes in a single atomic step, so no
other client's write can land between the check and the write."""

from __future__ import annotations

import json

from videoforge.jobs.names import EVENTS_MAX_LEN
from videoforge.models import JobState

TERMINAL_JSON = [json.dumps(state.value) for state in JobState if state.is_terminal]
# The outbox: a script that changes a record also appends its event to the events stream
# (KEYS named `events`), with a snapshot of the record as it now is, in the same atomic
# step. So no crash can lose an event, nor send one for a change that was not written.
EMIT = f"""
local function emit(events, kind, subject, at, job)
  local flat = redis.call('HGETALL', job)
  local record = {{}}
  for i = 1, #flat, 2 do record[flat[i]] = flat[i + 1] end
  redis.call('XADD', events, 'MAXLEN', '~', '{EVENTS_MAX_LEN}', '*', 'type', kind,
             'subject', subject, 'at', at, 'record', cjson.encode(record))
end
"""
# Writes to a finished record are refused: a stale attempt, a late progress line or a
# duplicate delivery can never turn SUCCESS, FAILURE or REVOKED back into something else.
# With a lease token (ARGV[3]), only the attempt holding the lease may write: fencing.
# ARGV[4] is the event of the new state, if any: a state entered again (a repeated STARTED)
# is not reported twice. Every progress write is in the feed (event streams follow it);
# webhooks thin it out (see webhooks/dispatcher.py).
UPDATE_IF_ACTIVE = (
    EMIT
    + f"""
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
for _, done in ipairs({{{", ".join(repr(t) for t in TERMINAL_JSON)}}}) do
  if state == done then return 0 end
end
if ARGV[3] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
if ARGV[2] == '1' then redis.call('SREM', KEYS[2], ARGV[1]) end
local kind = ARGV[4]
if kind ~= '' and kind ~= 'job.progress' and redis.call('HGET', KEYS[1], 'state') == state then
  kind = ''
end
if kind ~= '' then emit(KEYS[4], kind, ARGV[1], ARGV[5], KEYS[1]) end
return 1
"""
)
# A missing record is not counted: HINCRBY would recreate a deleted job as a stub hash.
COUNT_IF_ACTIVE = f"""
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
for _, done in ipairs({{{", ".join(repr(t) for t in TERMINAL_JSON)}}}) do
  if state == done then return -1 end
end
return redis.call('HINCRBY', KEYS[1], 'attempts', 1)
"""
# Returns 0 (nothing written) unless the record KEYS[1] exists and is unfinished.
UNFINISHED_OR_NOTHING = f"""
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 0 end
for _, done in ipairs({{{", ".join(repr(t) for t in TERMINAL_JSON)}}}) do
  if state == done then return 0 end
end
"""
# SUCCESS and the output it points to, in one step, only by the attempt holding the lease
# (ARGV[1]): a late attempt can neither commit over the winner nor be pointed to.
COMMIT_IF_HELD = (
    EMIT
    + UNFINISHED_OR_NOTHING
    + """
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('SREM', KEYS[2], ARGV[2])
-- An import publishes no output: it has no name to point from.
if ARGV[3] ~= '' then redis.call('HSET', KEYS[4], ARGV[3], ARGV[4]) end
emit(KEYS[5], 'job.succeeded', ARGV[2], ARGV[5], KEYS[1])
return 1
"""
)
# A job whose output is published as it is made (segments.live) points its public name at
# it from the first segment on: only while the attempt (ARGV[1]) holds the lease and the
# job is unfinished. The change is in the feed, so event streams show `playable` at once.
GO_LIVE_IF_HELD = (
    EMIT
    + UNFINISHED_OR_NOTHING
    + """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
emit(KEYS[4], 'job.progress', ARGV[2], ARGV[5], KEYS[1])
return 1
"""
)
# The reaper's write: back to PENDING only if the record is still in the state it read
# (ARGV[1]) and nobody holds its lease, so a worker that took the job meanwhile keeps it.
REQUEUE_IF_UNCHANGED = (
    EMIT
    + """
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
emit(KEYS[3], 'job.queued', ARGV[2], ARGV[3], KEYS[1])
return 1
"""
)
CREATE_IF_OPEN = (
    EMIT
    + """
if redis.call('EXISTS', KEYS[5]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
emit(KEYS[6], 'job.queued', ARGV[1], ARGV[2], KEYS[1])
return 1
"""
)
# The check and the mark are one step, so no job can be created between them. Job hashes are
# named from the list (not passed as KEYS): fine on one Redis, not on Redis Cluster.
CLOSE_IF_IDLE = f"""
local unfinished = {{}}
for _, task_id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local state = redis.call('HGET', ARGV[2] .. task_id, 'state')
  local done = not state
  for _, ended in ipairs({{{", ".join(repr(t) for t in TERMINAL_JSON)}}}) do
    if state == ended then done = true end
  end
  if not done then table.insert(unfinished, task_id) end
end
if #unfinished == 0 then redis.call('SET', KEYS[2], '1', 'EX', ARGV[1]) end
return unfinished
"""
RENEW_IF_HELD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE_IF_HELD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
