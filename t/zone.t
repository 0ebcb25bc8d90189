# The shared memory zone: full zones, eviction, and what is never lost.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);

no_shuffle();
no_long_string();
log_level('info');

our $http_config = <<'_EOC_';
    appverify_zone          zone=av:32k;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api.key;
    appverify_session_key_file $TEST_NGINX_ROOT/t/data/session.key;
_EOC_

our $locations = <<'_EOC_';
    location = /token    { appverify_token zone=av; }
    location = /callback { appverify_callback zone=av; }
    location /account/   { appverify_require zone=av; alias html/; }
_EOC_


our $N = 200;

run_tests();

__DATA__

=== a full zone evicts old pending records, never a verified one, never a 5xx
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /token?phone=15550000000&xid=keep-me",
  "POST /callback\n" . main::cb(xid => "keep-me", phone => "15550000000"),
  (map { "GET /token?phone=1555" . sprintf("%07d", $_) . "&xid=fill-$_" } 1 .. $::N),
  "GET /account/index.html" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "keep-me", phone => "15550000000")),
  ("") x $::N,
  "Cookie: appverify=" . AppVerify::Test::credential("keep-me") ]
--- error_code eval
[ 200, 200, (200) x $::N, 200 ]
--- response_body_like eval
[ "^eyJ", '"state":"verified"', ("^eyJ") x $::N, "^members only" ]
--- no_error_log
[alert]
[crit]



=== a zone full of verified sessions refuses new ones with 503 store_full; those stored still pass
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ (map { "POST /callback\n" . main::cb(xid => "v-$_", phone => "1555" . sprintf("%07d", $_)) } 1 .. 120),
  "GET /token?phone=15559999999&xid=late",
  "GET /account/index.html" ]
--- more_headers eval
[ (map { main::signed(main::cb(xid => "v-$_", phone => "1555" . sprintf("%07d", $_))) } 1 .. 120),
  "",
  "Cookie: appverify=" . AppVerify::Test::credential("v-1") ]
--- error_code_like eval
[ (qr/^(200|503)$/) x 119, qr/^503$/, qr/^503$/, qr/^200$/ ]
--- response_body_like eval
[ (qr/"state":"verified"|"error":"store_full"/) x 119, qr/"error":"store_full"/,
  qr/^\{"error":"store_full","message":"[^"]+"\}$/, qr/^members only$/ ]
