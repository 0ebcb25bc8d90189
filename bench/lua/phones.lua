-- bench/lua/phones.lua: GET <path>?phone=<a phone number no request of this
-- run has used>, for minting tokens for distinct phones.
-- Arguments: path threads base [stop_after].
-- Phones are +1 2xxxxxxxxx: base + k * threads + tid for the k-th request.

local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local path, threads, base, k

function init(args)
    path = args[1]
    threads = tonumber(args[2])
    base = tonumber(args[3])
    k = 0
    local n = tonumber(args[4] or "0")
    if n > 0 then common.stop_after(n) end
end

function request()
    k = k + 1
    return wrk.format(nil, string.format("%s?phone=1%d", path,
                                         2000000000 + base + k * threads + tid))
end
