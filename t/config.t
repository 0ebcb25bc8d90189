# Configuration: what nginx -t must refuse, and what it must not print.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';

no_shuffle();
no_long_string();
log_level('info');

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
invalid customer id "bad id"



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
invalid ttl "ttl=forever"



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
invalid parameter "rate=fast"



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
"appverify_max_body" must not exceed



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
