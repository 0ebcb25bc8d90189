# Toll-fraud guards on the endpoints that start verifications (token and
# the paid missed call): a country allowlist, a per-client-address limit
# and a per-number-range velocity limit, on top of the per-phone rate.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);

no_shuffle();
no_long_string();
log_level('info');

our $http_config = $AppVerify::Test::HTTP_CONFIG;

run_tests();

__DATA__

=== numbers outside appverify_countries are 403 country_not_allowed, before anything is stored
--- http_config eval: $::http_config
--- config
    appverify_countries 44 1;
    location = /token { appverify_token zone=av; }
    location = /call  { appverify_call zone=av upstream=/_nowhere; }
--- request eval
[ "GET /token?phone=%2B33%206%2012%2034%2056%2078&xid=fr-1", "POST /call\nphone=33612345678",
  "GET /token?phone=%2B44%207981%20897555&xid=fr-1", "GET /token?phone=%2B1%20242%20322%201234",
  "GET /token?country_code=49&phone_number=15112345678" ]
--- error_code eval
[403, 403, 200, 200, 403]
--- response_body_like eval
[ '^\{"error":"country_not_allowed","message":"[^"]+"\}$', '"error":"country_not_allowed"', '^eyJ', '^eyJ',
  '"error":"country_not_allowed"' ]



=== appverify_countries is inherited, and a nested location can widen it
--- http_config eval: $::http_config
--- config
    appverify_countries 44;
    location /v/ {
        location = /v/token { appverify_token zone=av; }
        location = /v/token-de { appverify_countries 44 49; appverify_token zone=av; }
    }
--- request eval
[ "GET /v/token?phone=4915112345678", "GET /v/token-de?phone=4915112345678" ]
--- error_code eval
[403, 200]



=== one client address over appverify_client_limit is 429 whatever phone it asks for
--- http_config eval: $::http_config
--- config
    appverify_client_limit rate=1r/m burst=1;
    location = /token { appverify_token zone=av; }
--- request eval
[ "GET /token?phone=15555550001", "GET /token?phone=15555550002", "GET /token?phone=15555550003&xid=cl-3" ]
--- error_code eval
[200, 200, 429]
--- response_body_like eval
[ '^eyJ', '^eyJ', '^\{"error":"rate_limited"' ]



=== the refusal is logged once at info, naming the limit
--- http_config eval: $::http_config
--- config
    appverify_client_limit rate=1r/m burst=0;
    location = /token { appverify_token zone=av; }
--- request
GET /token?phone=15555550001
--- error_code: 200
--- log_level: info



=== (the same server) a second phone from that address is refused
--- request
GET /token?phone=15555550002
--- error_code: 429
--- grep_error_log eval: qr/appverify: rate_limited.*? over its rate/
--- grep_error_log_out
appverify: rate_limited: client address over its rate



=== one number range over appverify_prefix_limit is 429; another range is not, and a refusal stores nothing
--- http_config eval: $::http_config
--- config
    appverify_prefix_limit digits=8 rate=1r/m burst=1;
    location = /token { appverify_token zone=av; }
--- request eval
[ "GET /token?phone=447981897501", "GET /token?phone=447981897502", "GET /token?phone=447981897503&xid=pf-3",
  "GET /token?phone=447700900123&xid=pf-3" ]
--- error_code eval
[200, 200, 429, 200]
--- response_body_like eval
[ '^eyJ', '^eyJ', '"error":"rate_limited"', '^eyJ' ]



=== the limits are off where a location says so
--- http_config eval: $::http_config
--- config
    appverify_client_limit rate=1r/m;
    appverify_prefix_limit digits=6 rate=1r/m;
    location = /token { appverify_client_limit off; appverify_prefix_limit off; appverify_token zone=av; }
--- request eval
[ "GET /token?phone=447981897501", "GET /token?phone=447981897502", "GET /token?phone=447981897503" ]
--- error_code eval
[200, 200, 200]



=== a number that is not a country calling code fails the configuration
--- http_config eval: $::http_config
--- config
    appverify_countries 44 4;
--- must_die
--- error_log
"4" is not a country calling code



=== a prefix limit without digits fails the configuration
--- http_config eval: $::http_config
--- config
    appverify_prefix_limit rate=10r/m;
--- must_die
--- error_log
appverify: appverify_prefix_limit needs rate= and digits=
