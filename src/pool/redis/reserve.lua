local burst, out_for, poll, margin = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local out = redis.call('ZCARD', outs)
if reset_at and reset_at > now + reset_bound(window_ms) then
  reset_at = now + reset_bound(window_ms)
end
if reset_at and quota and now >= reset_at then
  -- The window reset: a fresh one, less the requests still out.
  left = math.max(quota - out, 0)
  reset_at = nil
  window_from = next_id + 1
end
local go
if not quota then
  go = headerless or out < burst
else
  if left == 0 and not reset_at and out == 0 then left = quota end
  if left > 0 then
    left = left - 1
    go = true
  elseif reset_at then
    save(ARGV[6])
    return {0, reset_at - now + margin, 1, quota, reset_at}
  else
    go = false
  end
end
if not go then
  save(ARGV[6])
  local last = redis.call('ZRANGE', outs, -1, -1, 'WITHSCORES')
  return {0, poll, 0, out, tonumber(last[2]) or now}
end
next_id = next_id + 1
redis.call('ZADD', outs, ms(now + out_for), ms(next_id))
save(ARGV[6])
return {1, next_id}
