local function reset_bound(w)
  w = w or DEFAULT_WINDOW
  return 2 * math.min(math.max(w, 1000), MAX_WINDOW)
end
