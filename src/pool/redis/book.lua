local book, outs = KEYS[1], KEYS[2]
local now = clock(ARGV[1])
redis.call('ZREMRANGEBYSCORE', outs, '-inf', ms(now))
local h = redis.call('HMGET', book, 'quota', 'window_ms', 'left', 'reset_at', 'headerless', 'next_id', 'window_from')
local quota, window_ms = tonumber(h[1]), tonumber(h[2])
local left, reset_at = tonumber(h[3]) or 0, tonumber(h[4])
local headerless, next_id = h[5] == '1', tonumber(h[6]) or 0
local window_from = tonumber(h[7]) or 0
local function save(idle)
  local fields = {'left', ms(left), 'headerless', headerless and '1' or '0', 'next_id', ms(next_id), 'window_from', ms(window_from)}
  if quota then table.insert(fields, 'quota'); table.insert(fields, ms(quota)) end
  if window_ms then table.insert(fields, 'window_ms'); table.insert(fields, ms(window_ms)) end
  if reset_at then
    table.insert(fields, 'reset_at'); table.insert(fields, ms(reset_at))
  else
    redis.call('HDEL', book, 'reset_at')
  end
  redis.call('HSET', book, unpack(fields))
  local keep = math.max((reset_at or now) - now, 0) + tonumber(idle)
  redis.call('PEXPIRE', book, ms(keep))
  redis.call('PEXPIRE', outs, ms(keep))
end
