# The per-phone rate's burst and its defaults, on httpd and nginx alike
# (nginx: t/limits.t): AppVerifyBurst 0 / burst=0 without a rate is no
# burst at the default rate (6r/m); a rate of one's own without a burst
# bursts as limit_req does, not at all; neither keeps the documented
# default, 6r/m with a burst of 3.  The pending window is off at these
# locations, so only the rate says no.

use lib 't/lib';
use AppVerify::Scenario 'no_plan';

run_scenarios();

__DATA__

=== a burst of 0 without a rate is no burst (the default rate, 6r/m, alone)
--- request eval
[ "GET /token-burst0?phone=15559100001&xid=bu-0a",
  "GET /token-burst0?phone=15559100001&xid=bu-0b" ]
--- error_code eval
[200, 429]
--- response_body_like eval
[ '^eyJ', '"error":"rate_limited"' ]



=== a rate without a burst bursts as limit_req does: not at all
--- request eval
[ "GET /token-rate-only?phone=15559100002&xid=bu-1a",
  "GET /token-rate-only?phone=15559100002&xid=bu-1b" ]
--- error_code eval
[200, 429]
--- response_body_like eval
[ '^eyJ', '"error":"rate_limited"' ]



=== neither keeps the documented default, 6r/m with a burst of 3
--- request eval
[ "GET /token-default?phone=15559100003&xid=bu-2a",
  "GET /token-default?phone=15559100003&xid=bu-2b",
  "GET /token-default?phone=15559100003&xid=bu-2c",
  "GET /token-default?phone=15559100003&xid=bu-2d",
  "GET /token-default?phone=15559100003&xid=bu-2e" ]
--- error_code eval
[200, 200, 200, 200, 429]
