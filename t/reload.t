# State survives "nginx -s reload" (HUP): the zone is reused as it is.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test;

no_shuffle();
no_long_string();
use_hup();
log_level('info');

our $http_config = <<'_EOC_';
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api.key;
    appverify_session_key_file $TEST_NGINX_ROOT/t/data/session.key;
_EOC_

our $locations = <<'_EOC_';
    location = /token    { appverify_token zone=av; }
    location = /callback { appverify_callback zone=av; }
    location /acct/      { appverify_require zone=av; alias html/; }
_EOC_

sub cb { AppVerify::Test::callback_body(@_) }

run_tests();

__DATA__

=== before the reload: verify a phone
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /token?phone=15555551234&xid=hup-1", "POST /callback\n" . main::cb(xid => "hup-1") ]
--- more_headers eval
[ "", AppVerify::Test::tsa_header(main::cb(xid => "hup-1")) ]
--- error_code eval
[200, 200]



=== after the reload (a changed location): the session still passes the gate
--- http_config eval: $::http_config
--- config eval: $::locations . "    location = /new { return 204; }\n"
--- user_files
>>> index.html
members only
--- request
GET /acct/index.html
--- more_headers eval
"Cookie: appverify=" . AppVerify::Test::credential("hup-1")
--- error_code: 200
--- response_body
members only
