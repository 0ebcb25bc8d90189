# The status endpoint: the caller's own record, on httpd and nginx alike.

use lib 't/lib';
use AppVerify::Scenario 'no_plan';
use AppVerify::Test;

run_scenarios();

__DATA__

=== a pending record, found through the cookie among others
--- request eval
[ "GET /token?phone=%2B1%20555%20300%200001&xid=st-1", "GET /status" ]
--- more_headers eval
[ "", "Cookie: other=1; appverify=" . AppVerify::Test::credential("st-1") . "; x=y" ]
--- error_code eval
[200, 200]
--- response_headers eval
[ "", "Content-Type: application/json\nCache-Control: no-store" ]
--- response_body eval
[ qr/^eyJ/, qq({"xid":"st-1","phone":"15553000001","verified":false,"state":"pending","status":{"code":1890,"description":"Pending"}}\n) ]



=== no credential is 401, an unknown session 401, POST 405
--- request eval
[ "GET /status", "GET /status", "POST /status\nx=1" ]
--- more_headers eval
[ "", "Authorization: Bearer " . AppVerify::Test::credential("st-none"), "" ]
--- error_code eval
[401, 401, 405]
--- response_body_like eval
[ '"error":"no_credential"', '"error":"unknown_session"', '"error":"method_not_allowed"' ]



=== a body is read to its end and ignored, up to the core's 4k: over it, 413 (a GET to the token endpoint too)
--- request eval
[ "GET /status\n" . ("x" x 5000), "GET /status\nx=1", "GET /token?phone=15553000003\n" . ("x" x 5000) ]
--- error_code eval
[413, 401, 413]
--- response_body_like eval
[ '"error":"body_too_large"', '"error":"no_credential"', '"error":"body_too_large"' ]



=== a credential minted with another secret, or expired, is refused
--- request eval
[ "GET /token?phone=15553000002&xid=st-2", "GET /status", "GET /status", "GET /status" ]
--- more_headers eval
[ "", "Authorization: Bearer " . AppVerify::Test::credential("st-2", time() + 600, "x" x 48),
  "Authorization: Bearer " . AppVerify::Test::credential("st-2", time() - 5),
  "Authorization: Bearer garbage" ]
--- error_code eval
[200, 401, 401, 401]
--- response_body_like eval
[ "^eyJ", '"error":"bad_credential"', '"error":"expired_credential"', '"error":"bad_credential"' ]
