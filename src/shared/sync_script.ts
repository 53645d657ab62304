/**
 * The script each attempt at a target runs in Redis, in one round trip: the provider's live guard
 * entries, the budget counters it falls under, and a shared concurrency slot and rate-window place.
 */

// Entries (guard_entries.ts) are fields of one hash per provider. The script drops ended entries
// and returns the rest with the budget counters the request falls under (KEYS[4...], limits in
// ARGV[6...]). Then, unless a budget is spent (-2), when the provider has
// limits it takes a concurrency slot (a lease that ends by itself if its holder dies) and a
// rate-window place, or says why not: -1 = every slot is taken (ask again soon), n > 0 = the
// window is full for n ms. Every time is Redis's (instances' clocks may differ); the reply ends
// with it, so the caller learns its own clock's offset. A Redis before 5 replicated a script by
// its text and refused writes after reading the clock, unless told to replicate its effects.
export const SYNC_SCRIPT = `
redis.replicate_commands()
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local live = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local untilv = tonumber(string.match(all[i + 1], '^(%d+)'))
  if untilv == nil or untilv <= ms then
    redis.call('HDEL', KEYS[1], all[i])
  else
    live[#live + 1] = all[i]
    live[#live + 1] = all[i + 1]
  end
end
local spent = {}
local over = false
for i = 4, #KEYS do
  local v = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  spent[#spent + 1] = tostring(v)
  if v >= tonumber(ARGV[i + 2]) then over = true end
end
if over then return {-2, live, '', spent, ms} end
local maxc = tonumber(ARGV[4])
if maxc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ms)
  if redis.call('ZCARD', KEYS[3]) >= maxc then return {-1, live, '', spent, ms} end
end
local limit = tonumber(ARGV[1])
if limit > 0 then
  local window = tonumber(ARGV[2])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ms - window)
  if redis.call('ZCARD', KEYS[2]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return {math.max(1, tonumber(oldest[2]) + window - ms), live, '', spent, ms}
  end
  redis.call('ZADD', KEYS[2], ms, ARGV[3])
  redis.call('PEXPIRE', KEYS[2], window)
end
local slot = ''
if maxc > 0 then
  local lease = tonumber(ARGV[5])
  redis.call('ZADD', KEYS[3], ms + lease, ARGV[3])
  redis.call('PEXPIRE', KEYS[3], lease)
  slot = ARGV[3]
end
return {0, live, slot, spent, ms}
`;
