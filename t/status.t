# appverify_status: the caller's own record.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);

no_shuffle();
no_long_string();
log_level('info');

our $http_config = $AppVerify::Test::HTTP_CONFIG;

our $locations = <<'_EOC_';
    location = /token    { appverify_token zone=av; }
    location = /status   { appverify_status zone=av; }
_EOC_

run_tests();

__DATA__

=== a pending record, found through the cookie
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "GET /token?phone=%2B1%20310%20123%204567&xid=st-1", "GET /status" ]
--- more_headers eval
[ "", "Cookie: other=1; appverify=" . AppVerify::Test::credential("st-1") . "; x=y" ]
--- error_code eval
[200, 200]
--- response_headers eval
[ "", "Content-Type: application/json\nCache-Control: no-store" ]
--- response_body eval
[ qr/^eyJ/, qq({"xid":"st-1","phone":"13101234567","verified":false,"state":"pending","status":{"code":1890,"description":"Pending"}}\n) ]



=== no credential is 401, an unknown session 401, POST 405
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "GET /status", "GET /status", "POST /status\nx=1" ]
--- more_headers eval
[ "", "Authorization: Bearer " . AppVerify::Test::credential("st-none"), "" ]
--- error_code eval
[401, 401, 405]
--- response_body_like eval
[ '"error":"no_credential"', '"error":"unknown_session"', '"error":"method_not_allowed"' ]



=== a credential minted with another secret is refused
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "GET /token?phone=15555551234&xid=st-2", "GET /status" ]
--- more_headers eval
[ "", "Authorization: Bearer " . AppVerify::Test::credential("st-2", time() + 600, "x" x 48) ]
--- error_code eval
[200, 401]
--- response_body_like eval
[ "^eyJ", '"error":"bad_credential"' ]
