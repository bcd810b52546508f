redis.call('ZREM', outs, ARGV[2])
local out = redis.call('ZCARD', outs)
local retry_after = tonumber(ARGV[9])
-- An answer reserved before this window began tells of an earlier one.
if ARGV[4] == '1' and tonumber(ARGV[2]) >= window_from then
  local s_left, s_quota, s_window, s_reset = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
  quota = math.max(s_quota, 1)
  window_ms = math.min(s_window, MAX_WINDOW)
  headerless = false
  local reset = now + math.min(s_reset, reset_bound(s_window))
  local tolerance = math.min(math.floor(s_window / 4), 250)
  local newer = (not reset_at) or now >= reset_at or reset > reset_at + tolerance
  if newer then
    left = math.max(s_left - out, 0)
    reset_at = reset
  else
    left = math.min(left, s_left)
    -- The earliest reset heard of in one window (each is never early).
    reset_at = math.min(reset_at, reset)
  end
elseif ARGV[3] == '1' and not retry_after and not quota then
  headerless = true
end
if retry_after then
  local until_ = now + math.min(retry_after, reset_bound(window_ms))
  left = 0
  reset_at = reset_at and math.max(reset_at, until_) or until_
  if not quota then quota = 1 end
end
save(ARGV[10])
return 1
