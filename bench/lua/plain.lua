-- bench/lua/plain.lua: one fixed request, built once (headers from wrk -H),
-- no per-request Lua: the cheapest client wrk has.
-- Arguments: [stop_after [method [body_file]]].

local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")

function init(args)
    local n = tonumber(args[1] or "0")
    if n > 0 then common.stop_after(n) end
    if args[2] then wrk.method = args[2] end
    if args[3] then
        local fh = assert(io.open(args[3], "rb"))
        wrk.body = fh:read("*a")
        fh:close()
    end
end
