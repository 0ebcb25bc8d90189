package AppVerify::Test;

# Helpers for the nginx suite, written independently of common/ so that the
# tests cross-check the module: callback bodies signed the way Telesign
# signs them, and session credentials minted the way the README says.

use strict;
use warnings;

use Digest::SHA qw(hmac_sha256);
use Exporter qw(import);

# what the test files' eval sections call as main::cb(...) etc.
our @EXPORT_OK = qw(cb signed cookie bearer);
use MIME::Base64 qw(encode_base64 decode_base64);

our $CUSTOMER_ID = 'FFFFFFFF-EEEE-DDDD-1234-AB1234567890';
our $API_KEY_TEXT = 'EXAMPLE----TE8sTgg45yusumoN6BYsBVkh+yRJ5czgsnCehZaOYldPJdmFh6NeX8kunZ2zU1YWaUw/0wV6xfw==';

# The http{} lines every test file starts from: one zone, the test
# identity of telesign-protocol.md, and a session secret the tests know.
our $HTTP_CONFIG = <<'_EOC_';
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api.key;
    appverify_session_key_file $TEST_NGINX_ROOT/t/data/session.key;
_EOC_

# The internal location every test that calls Telesign names (lookup=,
# upstream=), proxying to the simulator with conf/appverify_params, and
# /sim/ for the simulator's control API; read_timeout is the proxy's.
sub telesign_locations {
    my ($read_timeout) = @_;
    $read_timeout //= '1s';
    return <<"_EOC_";
    location /_telesign/ {
        internal;
        include \$TEST_NGINX_ROOT/conf/appverify_params;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_SIM_PORT/;
        proxy_read_timeout $read_timeout;
        subrequest_output_buffer_size 16k;
    }
    location /sim/ { proxy_pass http://127.0.0.1:\$TEST_NGINX_SIM_PORT/_sim/; }
_EOC_
}

# t/data/session.key without its trailing newline
our $SESSION_KEY = 'this-is-a-test-session-secret-of-48-bytes-......';

sub api_key {
    (my $k = $API_KEY_TEXT) =~ s{[^A-Za-z0-9+/]}{}g;
    $k .= '=' x ((4 - length($k) % 4) % 4);
    return decode_base64($k);
}

sub b64 { my $s = encode_base64(shift, ''); return $s }

sub b64url {
    my $s = encode_base64(shift, '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

# The body Telesign POSTs to the callback URL.
sub callback_body {
    my (%a) = @_;
    my $code = $a{code} // 1800;
    my $desc = $a{description} // ($code == 1800 ? 'Success' : 'Status');
    my $updated = $a{updated_on} // '2026-11-21T10:00:00.000000Z';
    my $phone = $a{phone} // '15555551234';
    return qq({"status":{"code":$code,"description":"$desc","updated_on":"$updated"},)
         . qq("submit_timestamp":"2026-11-21T09:59:59.000000Z","errors":[],"sub_resource":"sdk",)
         . qq("mobile_verification":{"phone_number":"$phone","xid":"$a{xid}"},)
         . qq("reference_id":"B149634764BC0144C833G7280C4403B8"});
}

sub signature { return b64(hmac_sha256(shift, api_key())) }

sub tsa_header {
    my ($body) = @_;
    return "Authorization: TSA $CUSTOMER_ID:" . signature($body);
}

# A session credential: <xid>.<exp>.<b64url of HMAC-SHA256(secret,
# "av1\0xid\0exp") truncated to 16 bytes>.
sub credential {
    my ($xid, $exp, $secret) = @_;
    $exp //= time() + 3600;
    $secret //= $SESSION_KEY;
    my $mac = substr(hmac_sha256("av1\0$xid\0$exp", $secret), 0, 16);
    return "$xid.$exp." . b64url($mac);
}

# short names for the request sections
sub cb { return callback_body(@_) }
sub signed { return tsa_header($_[0]) . "\nContent-Type: application/json" }
sub cookie { return "Cookie: appverify=" . credential(@_) }
sub bearer { return "Authorization: Bearer " . credential(@_) }

1;
