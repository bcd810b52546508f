local now = clock(nil)
local got = 1
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  -- Gone: the request it covers is still in flight, so it takes its slot
  -- again if no one else has (else the pool would run over its level).
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms(now))
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
  got = 2
end
-- Still listed means no acquire has swept it since it expired (each
-- sweeps first), so the holders never outnumbered the level: safe to keep.
redis.call('ZADD', KEYS[1], ms(now + tonumber(ARGV[2])), ARGV[1])
for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ARGV[3]) end
return got
