# The token endpoint: the JWT service the App Verify SDK calls.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);

no_shuffle();
no_long_string();
log_level('info');

our $http_config = $AppVerify::Test::HTTP_CONFIG;

# header.claims with the signature recomputed here, independently of common/
sub jwt_ok {
    my ($jwt) = @_;
    my ($h, $c, $s) = split /\./, $jwt;
    return 0 unless defined $s;
    my $mac = AppVerify::Test::b64url(
        Digest::SHA::hmac_sha256("$h.$c", AppVerify::Test::api_key()));
    return $mac eq $s;
}

run_tests();

__DATA__

=== a phone as a query argument gets a bare JWT as text/plain
--- http_config eval: $::http_config
--- config
    location = /token { appverify_token zone=av; }
--- request
GET /token?phone=%2B1%20(555)%20555-1234&xid=abc123
--- error_code: 200
--- response_headers
Content-Type: text/plain
Cache-Control: no-store
--- response_body_like chomp
^eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9\.eyJpc3MiOiJGRkZGRkZGRi1FRUVFLUREREQtMTIzNC1BQjEyMzQ1Njc4OTAiLCJpYXQiOj[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$
--- no_error_log
[error]



=== the JWT carries iss, iat, exp (30 s later), xid and phn, signed with the API key
--- http_config eval: $::http_config
--- config
    location = /token { appverify_token zone=av; }
    location = /check {
        # the test reads the token through a subrequest-free path: the
        # client checks it below with Perl
        return 404;
    }
--- request
GET /token?phone=15555551234&xid=claims-1
--- response_body_filters eval
sub {
    my $jwt = shift;
    my ($h, $c) = split /\./, $jwt;
    $c =~ tr{-_}{+/};
    $c .= '=' x ((4 - length($c) % 4) % 4);
    my $claims = MIME::Base64::decode_base64($c);
    return "bad signature\n" unless main::jwt_ok($jwt);
    return "bad claims: $claims\n"
        unless $claims =~ /^\{"iss":"FFFFFFFF-EEEE-DDDD-1234-AB1234567890","iat":(\d+),"exp":(\d+),"xid":"claims-1","phn":"15555551234"\}$/
            && $2 - $1 == 30 && abs($1 - time()) < 5;
    return "ok\n";
}
--- response_body
ok



=== country_code and phone_number in a form body, trunk 0 dropped
--- http_config eval: $::http_config
--- config
    location = /token { appverify_token zone=av; }
--- request
POST /token
country_code=%2B44&phone_number=07981%20897555&xid=form-1
--- more_headers
Content-Type: application/x-www-form-urlencoded
Accept: application/json
--- error_code: 200
--- response_headers_like
Content-Type: application/json
Set-Cookie: appverify=form-1\.\d+\.[A-Za-z0-9_-]{22}; Path=/; Max-Age=43200; HttpOnly; Secure; SameSite=Lax
--- response_body_like chomp
^\{"token":"eyJ[^"]+","xid":"form-1","expires_in":30,"session":"form-1\.\d+\.[A-Za-z0-9_-]{22}"\}$



=== a JSON body works, and the xid is a random UUID when none is given
--- http_config eval: $::http_config
--- config
    location = /token { appverify_token zone=av; }
--- request
POST /token
{"country_code":"1","phone_number":"(310) 123-4567"}
--- more_headers
Content-Type: application/json
Accept: application/json
--- error_code: 200
--- response_body_like chomp
^\{"token":"eyJ[^"]+","xid":"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}","expires_in":30,"session":"[^"]+"\}$



=== a second request while the first is pending is 409, and a new xid is not stored
--- http_config eval: $::http_config
--- config
    location = /token { appverify_token zone=av; }
--- request eval
["GET /token?phone=15555551234&xid=dup-1", "GET /token?phone=15555551234&xid=dup-2", "GET /token?phone=15555559999&xid=dup-2"]
--- error_code eval
[200, 409, 200]
--- response_body_like eval
["^eyJ", '^\{"error":"duplicate_request","message":"[^"]+"\}$', "^eyJ"]



=== a caller-chosen xid already in use is 409 xid_in_use
--- http_config eval: $::http_config
--- config
    location = /token { appverify_token zone=av; }
--- request eval
["GET /token?phone=15555551234&xid=same", "GET /token?phone=15555550000&xid=same"]
--- error_code eval
[200, 409]
--- response_body_like eval
["^eyJ", '"error":"xid_in_use"']



=== more than the rate per phone is 429 (rate=1r/m, burst=1, no pending window)
--- http_config eval: $::http_config
--- config
    appverify_pending_timeout 0s;
    location = /token { appverify_token zone=av rate=1r/m burst=1; }
--- request eval
["GET /token?phone=15555551234&xid=r1", "GET /token?phone=15555551234&xid=r2", "GET /token?phone=15555551234&xid=r3", "GET /token?phone=15555550000&xid=r4"]
--- error_code eval
[200, 200, 429, 200]
--- response_body_like eval
["^eyJ", "^eyJ", '^\{"error":"rate_limited"', "^eyJ"]



=== a refused rate-limited request does not store its xid
--- http_config eval: $::http_config
--- config
    appverify_pending_timeout 0s;
    location = /token { appverify_token zone=av rate=1r/m burst=0; }
--- request eval
["GET /token?phone=15555551234&xid=z1", "GET /token?phone=15555551234&xid=z2", "GET /token?phone=15555550000&xid=z2"]
--- error_code eval
[200, 429, 200]



=== invalid phone numbers are 400 with a reason
--- http_config eval: $::http_config
--- config
    location = /token { appverify_token zone=av; }
--- request eval
["GET /token?phone=call-me", "GET /token?phone=123", "GET /token?phone=1234567890123456", "GET /token?phone=%2B2812345678", "GET /token", "GET /token?country_code=44", "GET /token?phone=%EF%BC%91%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%91%EF%BC%92%EF%BC%93", "GET /token?phone=1555%00551234"]
--- error_code eval
[400, 400, 400, 400, 400, 400, 400, 400]
--- response_body_like eval
['"error":"invalid_phone"', '"error":"invalid_phone"', '"error":"invalid_phone"', '"error":"invalid_country_code"', '"error":"missing_phone"', '"error":"missing_phone"', '"error":"invalid_phone"', '"error":"(invalid_phone|malformed_body)"']



=== invalid xids are 400 invalid_xid
--- http_config eval: $::http_config
--- config
    location = /token { appverify_token zone=av; }
--- request eval
["GET /token?phone=15555551234&xid=a%22b", "GET /token?phone=15555551234&xid=" . ("x" x 65), "GET /token?phone=15555551234&xid=a%0d%0aSet-Cookie:%20x=y"]
--- error_code eval
[400, 400, 400]
--- response_body_like eval
['"error":"invalid_xid"', '"error":"invalid_xid"', '"error":"invalid_xid"']
--- response_headers eval
["! Set-Cookie", "! Set-Cookie", "! Set-Cookie"]



=== malformed bodies are 400 and bodies over 4k are 413
--- http_config eval: $::http_config
--- config
    location = /token { appverify_token zone=av; }
--- request eval
["POST /token\n{\"phone\": [1]}", "POST /token\nphone=1%zz", "POST /token\n" . ("phone=15555551234&" x 300)]
--- more_headers eval
["Content-Type: application/json", "Content-Type: application/x-www-form-urlencoded", "Content-Type: application/x-www-form-urlencoded"]
--- error_code eval
[400, 400, 413]
--- response_body_like eval
['"error":"malformed_body"', '"error":"malformed_body"', '"error":"body_too_large"']



=== other methods are 405 (HEAD too: it would start a verification)
--- http_config eval: $::http_config
--- config
    location = /token { appverify_token zone=av; }
--- request eval
["DELETE /token?phone=15555551234", "HEAD /token?phone=15555551234", "GET /token?phone=15555551234"]
--- error_code eval
[405, 405, 200]
--- response_body_like eval
['"error":"method_not_allowed"', '^$', '^eyJ']



=== cookie name, Secure and SameSite are configurable
--- http_config eval: $::http_config
--- config
    location = /token {
        appverify_token zone=av;
        appverify_cookie_name av_session;
        appverify_cookie_secure off;
        appverify_cookie_samesite Strict;
        appverify_session_lifetime 1h;
        appverify_token_lifetime 45s;
    }
--- request
GET /token?phone=15555551234&xid=c1
--- more_headers
Accept: application/json
--- response_headers_like
Set-Cookie: av_session=c1\.\d+\.[A-Za-z0-9_-]{22}; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict
--- response_body_like: "expires_in":45,



=== the JWT and the session secret never reach the log, even at debug level
--- http_config eval: $::http_config
--- config
    location = /token { appverify_token zone=av; }
--- log_level: debug
--- request
GET /token?phone=15555551234&xid=secret-check
--- error_code: 200
--- no_error_log eval
["eyJhbGciOi", "this-is-a-test-session-secret", "TE8sTgg45yusumoN6BYsBVkh"]
