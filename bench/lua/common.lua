-- bench/lua/common.lua: what every wrk script of the benchmark shares.
--
-- done() prints one machine-readable line for bench/run:
--   BENCH <name> <requests> <duration_us> <p50_us> <p99_us> <status_errors>
--         <connect> <read> <write> <timeout>
-- (status_errors: responses with a status > 399, as wrk counts them).
-- stop_after(n) makes the run end after n responses (wrk -d is then only an
-- upper bound): it is for filling the zone and for exact request counts, and
-- must be used with -t1, because a thread only sees its own responses.

local ffi = require "ffi"
ffi.cdef [[ int kill(int pid, int sig); int getpid(void); ]]

local common = {}

function common.stop_after(n)
    local seen = 0
    response = function(status, headers, body)
        seen = seen + 1
        if seen == n then
            wrk.thread:stop()                  -- no more requests from here
            ffi.C.kill(ffi.C.getpid(), 2)      -- SIGINT: wrk ends and reports
        end
    end
end

-- the lines of a file, as an array
function common.lines(path)
    local t = {}
    for l in io.lines(path) do t[#t + 1] = l end
    return t
end

local tid = 0

-- threads number themselves, so each can take its own share of the data
function setup(thread)
    thread:set("tid", tid)
    tid = tid + 1
end

function done(s, lat, req)
    io.write(string.format("BENCH %s %d %d %d %d %d %d %d %d %d\n",
        os.getenv("BENCH_NAME") or "run", s.requests, s.duration,
        lat:percentile(50), lat:percentile(99), s.errors.status,
        s.errors.connect, s.errors.read, s.errors.write, s.errors.timeout))
end

return common
