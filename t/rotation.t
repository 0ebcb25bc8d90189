# Key rotation (issue 15): appverify_api_key_file and
# appverify_session_key_file with previous=FILE, across "nginx -s reload"
# (HUP), so that the zone and the records in it are the same throughout.
#
# t/data/api.key and t/data/session.key are the keys before the rotation
# (the ones every other test uses); t/data/api-new.key and
# t/data/session-new.key the ones after it.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);
use Digest::SHA qw(hmac_sha256);

no_shuffle();
no_long_string();
use_hup();
log_level('info');

our $Root = $ENV{TEST_NGINX_ROOT};

sub key_text {
    my ($name) = @_;
    open my $f, '<', "$Root/t/data/$name" or die "$name: $!";
    local $/;
    my $s = <$f>;
    $s =~ s/[\r\n \t]+$//;
    return $s;
}

sub b64_key {
    (my $k = shift) =~ s{[^A-Za-z0-9+/]}{}g;
    $k .= '=' x ((4 - length($k) % 4) % 4);
    return MIME::Base64::decode_base64($k);
}

our $OLD_API     = AppVerify::Test::api_key();
our $NEW_API     = b64_key(key_text('api-new.key'));
our $UNKNOWN_API = 'an API key nobody configured, 32b';
our $OLD_SESSION = $AppVerify::Test::SESSION_KEY;
our $NEW_SESSION = key_text('session-new.key');
our $UNKNOWN_SESSION = 'a session secret nobody configured, at least 32 bytes';

# the session secret derived from an API key when no file names one
sub derived { return hmac_sha256('appverify session credential v1', shift) }

# a callback for xid signed with key, in X-TS-Authorization
sub signed_with {
    my ($key, $body) = @_;
    return "X-TS-Authorization: "
         . AppVerify::Test::b64(hmac_sha256($body, $key))
         . "\nContent-Type: application/json";
}

sub cred_with {
    my ($xid, $secret) = @_;
    return "Authorization: Bearer "
         . AppVerify::Test::credential($xid, time() + 3600, $secret);
}

# $1: the JWT, $2: the session, from the token's JSON answer
sub token_signed_by {
    my ($body, $api, $secret) = @_;
    my ($jwt, $session) = $body =~ /^\{"token":"([^"]+)".*"session":"([^"]+)"\}$/
        or return "no token: $body";
    my ($h, $c, $s) = split /\./, $jwt;
    my $jwt_ok = AppVerify::Test::b64url(hmac_sha256("$h.$c", $api)) eq $s;
    my ($xid, $exp, $mac) = $session =~ /^(.+)\.(\d+)\.([^.]+)$/
        or return "no session: $session";
    my $cred_ok = AppVerify::Test::credential($xid, $exp, $secret) eq $session;
    return ($jwt_ok ? "jwt" : "-") . " " . ($cred_ok ? "session" : "-");
}

our $locations = <<'_EOC_';
    location = /token    { appverify_token zone=av; }
    location = /callback { appverify_callback zone=av; }
    location /acct/      { appverify_require zone=av; alias html/; }
_EOC_

our $before = <<"_EOC_";
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $Root/t/data/api.key;
    appverify_session_key_file $Root/t/data/session.key;
_EOC_

our $rotating = <<"_EOC_";
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $Root/t/data/api-new.key
                            previous=$Root/t/data/api.key;
    appverify_session_key_file $Root/t/data/session-new.key
                               previous=$Root/t/data/session.key;
_EOC_

our $after = <<"_EOC_";
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $Root/t/data/api-new.key;
    appverify_session_key_file $Root/t/data/session-new.key;
_EOC_

# without session key files: the secrets are derived from the API keys
our $derived_before = <<"_EOC_";
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $Root/t/data/api.key;
_EOC_

our $derived_rotating = <<"_EOC_";
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $Root/t/data/api-new.key previous=$Root/t/data/api.key;
_EOC_

our $derived_after = <<"_EOC_";
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $Root/t/data/api-new.key;
_EOC_


run_tests();

__DATA__

=== before the rotation: two phones, one verified with the old API key
--- http_config eval: $::before
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /token?phone=15555551234&xid=rot-1",
  "GET /token?phone=15555551235&xid=rot-2",
  "POST /callback\n" . main::cb(xid => "rot-1"),
  "GET /acct/index.html" ]
--- more_headers eval
[ "", "", main::signed_with($::OLD_API, main::cb(xid => "rot-1")),
  main::cred_with("rot-1", $::OLD_SESSION) ]
--- error_code eval
[200, 200, 200, 200]
--- response_body eval
[ qr/^eyJ/, qr/^eyJ/, qr/"state":"verified"/, "members only\n" ]



=== rotating (reload): the old session credential still passes the gate, so does a new one
--- http_config eval: $::rotating
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /acct/index.html", "GET /acct/index.html", "GET /acct/index.html" ]
--- more_headers eval
[ main::cred_with("rot-1", $::OLD_SESSION),
  main::cred_with("rot-1", $::NEW_SESSION),
  main::cred_with("rot-1", $::UNKNOWN_SESSION) ]
--- error_code eval
[200, 200, 401]
--- response_body eval
[ "members only\n", "members only\n", qr/^\{"error":"bad_credential"/ ]



=== rotating: a callback signed with the previous API key is accepted, one with an unknown key refused
--- request eval
[ "POST /callback\n" . main::cb(xid => "rot-2", phone => "15555551235", code => 1801),
  "POST /callback\n" . main::cb(xid => "rot-2", phone => "15555551235"),
  "GET /acct/index.html" ]
--- more_headers eval
[ main::signed_with($::UNKNOWN_API, main::cb(xid => "rot-2", phone => "15555551235", code => 1801)),
  main::signed_with($::OLD_API, main::cb(xid => "rot-2", phone => "15555551235")),
  main::cred_with("rot-2", $::OLD_SESSION) ]
--- error_code eval
[401, 200, 200]
--- response_body eval
[ qr/^\{"error":"bad_signature"/, qr/"xid":"rot-2","state":"verified"/,
  "members only\n" ]



=== rotating: a callback signed with the new API key is accepted (Authorization: TSA)
--- request eval
[ "GET /token?phone=15555551236&xid=rot-3", "POST /callback\n" . main::cb(xid => "rot-3", phone => "15555551236") ]
--- more_headers eval
[ "", "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:"
      . AppVerify::Test::b64(Digest::SHA::hmac_sha256(main::cb(xid => "rot-3", phone => "15555551236"),
                                                      $::NEW_API))
      . "\nContent-Type: application/json" ]
--- error_code eval
[200, 200]
--- response_body eval
[ qr/^eyJ/, qr/"xid":"rot-3","state":"verified"/ ]



=== rotating: a new token's JWT and session are signed with the new keys only
--- request
GET /token?phone=15555551237&xid=rot-4
--- more_headers
Accept: application/json
--- response_body_filters eval
sub {
    my $b = shift;
    $b =~ s/\n\z//;
    return main::token_signed_by($b, $::NEW_API, $::NEW_SESSION) . " / "
         . main::token_signed_by($b, $::OLD_API, $::OLD_SESSION) . "\n";
}
--- response_body
jwt session / - -



=== after the rotation (reload, previous= dropped): the old credential and the old key are refused
--- http_config eval: $::after
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /acct/index.html", "GET /acct/index.html",
  "POST /callback\n" . main::cb(xid => "rot-2", phone => "15555551235") ]
--- more_headers eval
[ main::cred_with("rot-1", $::OLD_SESSION),
  main::cred_with("rot-1", $::NEW_SESSION),
  main::signed_with($::OLD_API, main::cb(xid => "rot-2", phone => "15555551235")) ]
--- error_code eval
[401, 200, 401]
--- response_body eval
[ qr/^\{"error":"bad_credential"/, "members only\n",
  qr/^\{"error":"bad_signature"/ ]



=== derived secrets, before: a phone verified, its session derived from the old API key
--- http_config eval: $::derived_before
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /token?phone=15555551238&xid=rot-5",
  "POST /callback\n" . main::cb(xid => "rot-5", phone => "15555551238"),
  "GET /acct/index.html" ]
--- more_headers eval
[ "", main::signed_with($::OLD_API, main::cb(xid => "rot-5", phone => "15555551238")),
  main::cred_with("rot-5", main::derived($::OLD_API)) ]
--- error_code eval
[200, 200, 200]



=== derived secrets, rotating the API key: the session derived from the previous key passes
--- http_config eval: $::derived_rotating
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /acct/index.html", "GET /acct/index.html", "GET /acct/index.html" ]
--- more_headers eval
[ main::cred_with("rot-5", main::derived($::OLD_API)),
  main::cred_with("rot-5", main::derived($::NEW_API)),
  main::cred_with("rot-5", main::derived($::UNKNOWN_API)) ]
--- error_code eval
[200, 200, 401]



=== derived secrets, after: only the session derived from the new key
--- http_config eval: $::derived_after
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /acct/index.html", "GET /acct/index.html" ]
--- more_headers eval
[ main::cred_with("rot-5", main::derived($::OLD_API)),
  main::cred_with("rot-5", main::derived($::NEW_API)) ]
--- error_code eval
[401, 200]
