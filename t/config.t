# Configuration: what nginx -t must refuse, and what it must not print.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';

no_shuffle();
no_long_string();
log_level('info');

# what every handler needs, so that a block fails on its one bad value
our $http_config = <<"_EOC_";
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $ENV{TEST_NGINX_ROOT}/t/data/api.key;
_EOC_

run_tests();

__DATA__

=== a missing API key file fails with a message naming the file
--- http_config
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/no-such.key;
--- config
    location = /token { appverify_token zone=av; }
--- must_die
--- error_log eval
qr/\[emerg\].*open\(\) ".*no-such\.key" failed/



=== a key file that is not base64 fails, naming the file and never the content
--- http_config
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/bad.key;
--- config
    location = /token { appverify_token zone=av; }
--- must_die
--- error_log eval
qr/\[emerg\].*key file ".*bad\.key" does not hold a base64 API key/
--- no_error_log
not base64 at all



=== a session key file shorter than 32 bytes fails
--- http_config
    appverify_zone          zone=av:1m;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api.key;
    appverify_session_key_file $TEST_NGINX_ROOT/t/data/bad.key;
--- config
--- must_die
--- error_log eval
qr/\[emerg\].*key file ".*bad\.key" must hold 32 to/



=== the token endpoint without a customer id fails
--- http_config
    appverify_zone          zone=av:1m;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api.key;
--- config
    location = /token { appverify_token zone=av; }
--- must_die
--- error_log
need "appverify_customer_id"



=== any handler without an API key fails
--- http_config
    appverify_zone          zone=av:1m;
--- config
    location /account/ { appverify_require zone=av; }
--- must_die
--- error_log
appverify needs "appverify_api_key_file"



=== an invalid customer id fails
--- http_config
    appverify_customer_id   "bad id";
--- config
--- must_die
--- error_log
appverify: invalid customer id "bad id": expected 1 to 64 of A-Z a-z 0-9 - _



=== a zone that was never declared fails
--- http_config
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api.key;
--- config
    location /account/ { appverify_require zone=nope; }
--- must_die
--- error_log
zero size shared memory zone "nope"



=== zone parameter errors
--- http_config
    appverify_zone zone=av;
--- config
--- must_die
--- error_log
invalid zone size "zone=av"



=== a zone smaller than 8 pages fails
--- http_config
    appverify_zone zone=av:8k;
--- config
--- must_die
--- error_log
is too small



=== a bad ttl fails
--- http_config
    appverify_zone zone=av:1m ttl=forever;
--- config
--- must_die
--- error_log
appverify: invalid ttl "forever": expected whole seconds from 1s to 30d (30m, 12h)



=== a zone declared twice fails
--- http_config
    appverify_zone zone=av:1m;
    appverify_zone zone=av:1m;
--- config
--- must_die
--- error_log
duplicate zone "av"



=== a bad rate fails
--- http_config
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api.key;
--- config
    location = /token { appverify_token zone=av rate=fast; }
--- must_die
--- error_log
appverify: invalid rate "fast": expected Nr/s or Nr/m, N from 1 to 1000000



=== an unknown parameter of appverify_callback fails
--- http_config
    appverify_zone          zone=av:1m;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api.key;
--- config
    location = /callback { appverify_callback zone=av signature=maybe; }
--- must_die
--- error_log
invalid parameter "signature=maybe"



=== a handler directive twice in one location fails
--- http_config
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api.key;
--- config
    location = /x { appverify_token zone=av; appverify_status zone=av; }
--- must_die
--- error_log
is duplicate



=== appverify_max_body above the core's limit fails
--- http_config
    appverify_zone          zone=av:1m;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api.key;
--- config
    location = /callback { appverify_callback zone=av; appverify_max_body 1m; }
--- must_die
--- error_log
appverify: invalid max body "1m": expected a size from 1 to 16k (512, 16k)



=== the values httpd shares are the core's: rate=0r/s fails in its words (apache/config.t: the same)
--- http_config eval: $::http_config
--- config
    location = /token { appverify_token zone=av rate=0r/s; }
--- must_die
--- error_log
appverify: invalid rate "0r/s": expected Nr/s or Nr/m, N from 1 to 1000000



=== a rate per hour fails: limit_req's syntax has r/s and r/m only
--- http_config eval: $::http_config
--- config
    location = /call { appverify_call zone=av upstream=/_telesign rate=6r/h; }
--- must_die
--- error_log
appverify: invalid rate "6r/h": expected Nr/s or Nr/m, N from 1 to 1000000



=== burst=-1 fails
--- http_config eval: $::http_config
--- config
    location = /token { appverify_token zone=av burst=-1; }
--- must_die
--- error_log
appverify: invalid burst "-1": expected a number from 0 to 1000



=== a burst over 1000 fails
--- http_config eval: $::http_config
--- config
    location = /call { appverify_call zone=av upstream=/_telesign burst=1001; }
--- must_die
--- error_log
appverify: invalid burst "1001": expected a number from 0 to 1000



=== attempts=0 fails
--- http_config eval: $::http_config
--- config
    location = /finalize { appverify_finalize zone=av upstream=/_telesign attempts=0; }
--- must_die
--- error_log
appverify: invalid attempts "0": expected a number from 1 to 10



=== attempts over 10 fails
--- http_config eval: $::http_config
--- config
    location = /finalize { appverify_finalize zone=av upstream=/_telesign attempts=11; }
--- must_die
--- error_log
appverify: invalid attempts "11": expected a number from 1 to 10



=== ttl=0 fails
--- http_config
    appverify_zone zone=av:1m ttl=0;
--- config
--- must_die
--- error_log
appverify: invalid ttl "0": expected whole seconds from 1s to 30d (30m, 12h)



=== a max body of 1x fails
--- http_config eval: $::http_config
--- config
    location = /callback { appverify_callback zone=av; appverify_max_body 1x; }
--- must_die
--- error_log
appverify: invalid max body "1x": expected a size from 1 to 16k (512, 16k)



=== a token lifetime of 0s fails
--- http_config eval: $::http_config
--- config
    appverify_token_lifetime 0s;
--- must_die
--- error_log
appverify: invalid token lifetime "0s": expected whole seconds from 1s to 30d (30s, 5m)



=== a session lifetime over 30 days fails
--- http_config eval: $::http_config
--- config
    appverify_session_lifetime 31d;
--- must_die
--- error_log
appverify: invalid session lifetime "31d": expected whole seconds from 1s to 30d (1h, 12h)



=== a pending timeout is whole seconds: 500ms fails
--- http_config eval: $::http_config
--- config
    appverify_pending_timeout 500ms;
--- must_die
--- error_log
appverify: invalid pending timeout "500ms": expected whole seconds from 0 to 30d (0, 60s)



=== a lookup interval that is not a time fails
--- http_config eval: $::http_config
--- config
    appverify_lookup_interval soon;
--- must_die
--- error_log
appverify: invalid lookup interval "soon": expected a time from 0 to 30d (500ms, 3s, 1m)



=== a client limit's burst over 100000 fails
--- http_config eval: $::http_config
--- config
    appverify_client_limit rate=1r/m burst=100001;
--- must_die
--- error_log
appverify: invalid burst "100001": expected a number from 0 to 100000



=== a prefix limit of 16 digits fails
--- http_config eval: $::http_config
--- config
    appverify_prefix_limit digits=16 rate=1r/m;
--- must_die
--- error_log
appverify: invalid digits "16": expected a number from 2 to 15



=== a country code with its dialling prefix fails
--- http_config eval: $::http_config
--- config
    appverify_countries 44 0044;
--- must_die
--- error_log
appverify: "0044" is not a country calling code



=== every value at its bounds starts, in the syntax both servers take
--- http_config
    appverify_zone          zone=av:1m ttl=30d;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api.key;
--- config
    appverify_token_lifetime 1s;
    appverify_session_lifetime 30d;
    appverify_pending_timeout 0;
    appverify_lookup_interval 1m30s;
    appverify_client_limit rate=1000000r/s burst=100000;
    appverify_prefix_limit digits=15 rate=1r/m burst=0;
    location = /token    { appverify_token zone=av rate=1000000r/m burst=1000; }
    location = /callback { appverify_callback zone=av; appverify_max_body 16k; }
    location = /status   { appverify_status zone=av; appverify_lookup_interval 500ms; }
    location = /finalize { appverify_finalize zone=av upstream=/_telesign attempts=10; }
    location = /final1   { appverify_finalize zone=av upstream=/_telesign attempts=1; }
    location = /cb1      { appverify_callback zone=av; appverify_max_body 1; }
    location = /t        { return 200 "up\n"; }
--- request
GET /t
--- response_body
up
--- no_error_log
[emerg]



=== a complete configuration starts and the API key never reaches the log
--- http_config
    appverify_zone          zone=av:1m ttl=1h;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api.key;
--- config
    location = /token    { appverify_token zone=av rate=10r/s burst=5; }
    location = /callback { appverify_callback zone=av signature=on; }
    location = /status   { appverify_status zone=av; }
    location /account/   { appverify_require zone=av; }
    location = /t        { return 200 "up\n"; }
--- log_level: debug
--- request
GET /t
--- response_body
up
--- no_error_log
TE8sTgg45yusumoN6BYsBVkh
[emerg]



=== a missing previous API key file fails with a message naming the file
--- http_config
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api-new.key
                            previous=$TEST_NGINX_ROOT/t/data/no-such.key;
--- config
    location = /token { appverify_token zone=av; }
--- must_die
--- error_log eval
qr/\[emerg\].*open\(\) ".*no-such\.key" failed/



=== a previous API key file that is not base64 fails, never printing it
--- http_config
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api-new.key
                            previous=$TEST_NGINX_ROOT/t/data/bad.key;
--- config
    location = /token { appverify_token zone=av; }
--- must_die
--- error_log eval
qr/\[emerg\].*key file ".*bad\.key" does not hold a base64 API key/
--- no_error_log
not base64 at all



=== a previous session key file shorter than 32 bytes fails
--- http_config
    appverify_zone          zone=av:1m;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api.key;
    appverify_session_key_file $TEST_NGINX_ROOT/t/data/session-new.key
                               previous=$TEST_NGINX_ROOT/t/data/bad.key;
--- config
--- must_die
--- error_log eval
qr/\[emerg\].*key file ".*bad\.key" must hold 32 to/



=== a key file's second parameter other than previous=FILE fails
--- http_config
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api-new.key previous=;
--- config
    location = /token { appverify_token zone=av; }
--- must_die
--- error_log
invalid parameter "previous="



=== keys in rotation start, and neither key reaches the log
--- http_config
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api-new.key
                            previous=$TEST_NGINX_ROOT/t/data/api.key;
    appverify_session_key_file $TEST_NGINX_ROOT/t/data/session-new.key
                               previous=$TEST_NGINX_ROOT/t/data/session.key;
--- config
    location = /token    { appverify_token zone=av; }
    location = /t        { return 200 "up\n"; }
--- log_level: debug
--- request
GET /t
--- response_body
up
--- no_error_log
TE8sTgg45yusumoN6BYsBVkh
bmV3LWFwaS1rZXktZm9yLXRoZS1yb3RhdGlvbi10ZXN0cy0w
this-is-a-test-session-secret
this-is-the-new-session-secret
[emerg]
