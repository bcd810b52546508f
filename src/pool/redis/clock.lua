local function clock(given)
  if given ~= nil and given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Whole numbers as digits (Lua would write large ones as 1.7e+12).
local function ms(n) return string.format('%d', n) end
