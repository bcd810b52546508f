local holders, queue, waiting, tickets = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, level, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now = clock(nil)
-- Leases not renewed in time: their holders died; free their slots.
redis.call('ZREMRANGEBYSCORE', holders, '-inf', ms(now))
-- Waiters that stopped asking: drop them so those behind move up.
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', waiting, '-inf', ms(now))) do
  redis.call('ZREM', queue, gone)
  redis.call('ZREM', waiting, gone)
end
local got = 0
if redis.call('ZSCORE', holders, id) then
  -- Already ours (an earlier ask whose answer was lost): renew.
  got = 1
  redis.call('ZADD', holders, ms(now + ttl), id)
else
  if not redis.call('ZSCORE', queue, id) then
    redis.call('ZADD', queue, redis.call('INCR', tickets), id)
  end
  local rank = redis.call('ZRANK', queue, id)
  local free = level - redis.call('ZCARD', holders)
  if rank < free then
    -- Everyone ahead of us fits too: first come, first served.
    got = 1
    redis.call('ZREM', queue, id)
    redis.call('ZREM', waiting, id)
    redis.call('ZADD', holders, ms(now + ttl), id)
  else
    redis.call('ZADD', waiting, ms(now + tonumber(ARGV[4])), id)
  end
end
for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ARGV[5]) end
return got
