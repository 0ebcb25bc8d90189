# Toll-fraud guards on the endpoints that start verifications (token and
# the paid missed call), on httpd and nginx alike: the country allowlist
# (AppVerifyCountries / appverify_countries), the per-client-address limit
# (AppVerifyClientLimit / appverify_client_limit) and the per-number-range
# limit (AppVerifyPrefixLimit / appverify_prefix_limit), on top of the
# per-phone rate.  A refusal is 429 rate_limited with one info line naming
# the limit.  The client address is X-Forwarded-For's, through mod_remoteip
# and nginx's realip (both trust 127.0.0.1), so every block is a client of
# its own; the buckets are shared by the whole server, so every block also
# has number ranges of its own.

use lib 't/lib';
use AppVerify::Scenario 'no_plan';

sub form { "Content-Type: application/x-www-form-urlencoded\nX-Forwarded-For: $_[0]" }

run_scenarios();

__DATA__

=== numbers outside the allowed countries are 403 country_not_allowed, before anything is stored
--- request eval
[ "GET /fr/token?phone=%2B33%206%2012%2034%2056%2078&xid=fr-1",
  "GET /fr/token?phone=%2B44%207981%20897001&xid=fr-1",
  "GET /fr/token?phone=%2B1%20242%20322%201234",
  "GET /fr/token?country_code=49&phone_number=15112345601",
  "GET /fr/token?phone=1555600%2000001" ]
--- error_code eval
[403, 200, 200, 403, 200]
--- response_body_like eval
[ '^\{"error":"country_not_allowed","message":"[^"]+"\}$', '^eyJ', '^eyJ', '"error":"country_not_allowed"', '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json\n! Set-Cookie", "", "", "! Set-Cookie", "" ]



=== a missed call to a refused country is 403 and no call is placed
--- request eval
[ "POST /fr/call\nphone=33612345602", "GET sim:/_sim/calls?phone=33612345602" ]
--- more_headers eval
[ main::form("192.0.2.21"), "" ]
--- error_code eval
[403, 200]
--- response_body eval
[ qr/^\{"error":"country_not_allowed"/, "[]" ]



=== the allowlist is inherited, and a nested location can widen it
--- request eval
[ "GET /fr/token?phone=4915112345603", "GET /fr/token-de?phone=4915112345603" ]
--- error_code eval
[403, 200]



=== one client address over its limit is 429 whatever phone it asks for; another address is not
--- request eval
[ "GET /fr/token-client?phone=15556000011", "GET /fr/token-client?phone=15556000012",
  "GET /fr/token-client?phone=15556000013&xid=cl-3", "GET /fr/token-client?phone=15556000014&xid=cl-3" ]
--- more_headers eval
[ "X-Forwarded-For: 192.0.2.11", "X-Forwarded-For: 192.0.2.11", "X-Forwarded-For: 192.0.2.11", "X-Forwarded-For: 192.0.2.12" ]
--- error_code eval
[200, 200, 429, 200]
--- response_body_like eval
[ '^eyJ', '^eyJ', '^\{"error":"rate_limited","message":"[^"]+"\}$', '^eyJ' ]
--- grep_error_log eval: qr/appverify: rate_limited: [a-z ]+ over its rate/
--- grep_error_log_out
appverify: rate_limited: client address over its rate



=== one number range over its limit is 429; another range is not, and a refusal stores nothing
--- request eval
[ "GET /fr/token-prefix?phone=447981897501", "GET /fr/token-prefix?phone=447981897502",
  "GET /fr/token-prefix?phone=447981897503&xid=pf-3", "GET /fr/token-prefix?phone=447700900123&xid=pf-3" ]
--- more_headers eval
[ "X-Forwarded-For: 192.0.2.31", "X-Forwarded-For: 192.0.2.32", "X-Forwarded-For: 192.0.2.33", "X-Forwarded-For: 192.0.2.33" ]
--- error_code eval
[200, 200, 429, 200]
--- response_body_like eval
[ '^eyJ', '^eyJ', '"error":"rate_limited"', '^eyJ' ]
--- grep_error_log eval: qr/appverify: rate_limited: [a-z ]+ over its rate/
--- grep_error_log_out
appverify: rate_limited: number prefix over its rate



=== with both guards, a refusal by one takes nothing from the other (buckets taken on copies)
--- request eval
[ "GET /fr/token-guarded?phone=447700910001", "GET /fr/token-guarded?phone=447700910002",
  "GET /fr/token-guarded?phone=447700910003", "GET /fr/token-guarded?phone=447700920001",
  "GET /fr/token-guarded?phone=447700930001", "GET /fr/token-guarded?phone=447700940001" ]
--- more_headers eval
[ ("X-Forwarded-For: 192.0.2.13") x 6 ]
--- error_code eval
[200, 429, 429, 200, 200, 429]
--- grep_error_log eval: qr/appverify: rate_limited: [a-z ]+ over its rate/
--- grep_error_log_out
appverify: rate_limited: number prefix over its rate
appverify: rate_limited: number prefix over its rate
appverify: rate_limited: client address over its rate



=== a missed call over the client limit is 429, and no call is placed
--- request eval
[ "POST /fr/call\nphone=447981897601", "POST /fr/call\nphone=447981897602",
  "GET sim:/_sim/calls?phone=447981897602" ]
--- more_headers eval
[ main::form("192.0.2.20"), main::form("192.0.2.20"), "" ]
--- error_code eval
[200, 429, 200]
--- response_body eval
[ qr/^\{"prefix":"\d+"/, qr/^\{"error":"rate_limited"/, "[]" ]
--- grep_error_log eval: qr/appverify: rate_limited: [a-z ]+ over its rate/
--- grep_error_log_out
appverify: rate_limited: client address over its rate



=== the per-phone refusal names the phone
--- request eval
[ "GET /token-rate0?phone=15556000021", "GET /token-rate0?phone=15556000021" ]
--- error_code eval
[200, 429]
--- grep_error_log eval: qr/appverify: rate_limited: [a-z ]+ over its rate/
--- grep_error_log_out
appverify: rate_limited: phone over its rate



=== the limits are off where a nested location says so
--- request eval
[ "GET /fr-off/token?phone=447981898001", "GET /fr-off/token?phone=447981898002", "GET /fr-off/token?phone=447981898003" ]
--- more_headers eval
[ ("X-Forwarded-For: 192.0.2.40") x 3 ]
--- error_code eval
[200, 200, 200]
