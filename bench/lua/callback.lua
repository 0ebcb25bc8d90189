-- bench/lua/callback.lua: Telesign's signed callbacks for distinct xids,
-- from a file made by "gen.pl callbacks" (the body before and after the xid,
-- then "xid<TAB>signature" lines).  Each thread takes every threads-th line;
-- of those, part p of n (so that the measured runs of one row never repeat
-- each other's xids).  When its lines run out it starts over (and those are
-- repeats: it says so on stderr).
-- Arguments: path file threads customer_id part parts [stop_after].

local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local before, after, xids, sigs, i, wraps, head

function init(args)
    local path = args[1]
    local lines = common.lines(args[2])
    local threads = tonumber(args[3])
    local cid = args[4]
    before, after = lines[1], lines[2]
    local part, parts = tonumber(args[5]), tonumber(args[6])
    local share = math.floor((#lines - 2) / threads)
    local from = math.floor(share * (part - 1) / parts)
    local to = math.floor(share * part / parts) - 1
    xids, sigs = {}, {}
    for k = from, to do
        local x, s = lines[3 + k * threads + tid]:match("^([^\t]+)\t(.+)$")
        xids[#xids + 1] = x
        sigs[#sigs + 1] = s
    end
    lines = nil
    collectgarbage()
    i, wraps = 0, 0
    -- the request is put together by one concatenation a request, not by
    -- wrk.format's table of headers: pinned to its own CPU (BENCH_PIN),
    -- wrk made the requests slower than nginx answered them
    head = "POST " .. path .. " HTTP/1.1\r\nHost: " .. wrk.headers["Host"]
        .. "\r\nContent-Type: application/json\r\nAuthorization: TSA "
        .. cid .. ":"
    local n = tonumber(args[7] or "0")
    if n > 0 then common.stop_after(n) end
end

function request()
    i = i + 1
    if i > #xids then
        i = 1
        wraps = wraps + 1
        if wraps == 1 then
            io.stderr:write("callback.lua: thread ", tid, " ran out of xids, repeating\n")
        end
    end
    local body, sig = before .. xids[i] .. after, sigs[i]
    return head .. sig .. "\r\nX-TS-Authorization: " .. sig
        .. "\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
end
