-- bench/lua/creds.lua: GET <path> with the session credentials of a file
-- (one a line, "gen.pl creds"), each thread cycling through its share.
-- The requests are built once, in init, so the client costs what the
-- plain one does.  Arguments: path file threads [stop_after].

local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local reqs, i

function init(args)
    local lines = common.lines(args[2])
    local threads = tonumber(args[3])
    reqs = {}
    for n = 1 + tid, #lines, threads do
        reqs[#reqs + 1] = wrk.format("GET", args[1],
                                     { Cookie = "appverify=" .. lines[n] })
    end
    i = 0
    local n = tonumber(args[4] or "0")
    if n > 0 then common.stop_after(n) end
end

function request()
    i = i + 1
    if i > #reqs then i = 1 end
    return reqs[i]
end
