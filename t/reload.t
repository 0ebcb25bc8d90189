# State survives "nginx -s reload" (HUP): the zone is reused as it is.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);

no_shuffle();
no_long_string();
use_hup();
log_level('info');

our $http_config = $AppVerify::Test::HTTP_CONFIG;

our $locations = <<'_EOC_';
    location = /token    { appverify_token zone=av; }
    location = /callback { appverify_callback zone=av; }
    location /acct/      { appverify_require zone=av; alias html/; }
_EOC_


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
