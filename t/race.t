# Races on one session: parallel finalize codes (an attempt is reserved
# before Telesign is asked, so no more codes are checked than attempts=),
# and clients that leave while Telesign is being asked (a call that was
# never started leaves no record; a finalize in flight still costs its
# attempt).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);
use AppVerify::Sim;
use AppVerify::Attack qw(send_pieces parallel sim_get worker_crashes);

no_shuffle();
no_long_string();
log_level('info');

AppVerify::Sim::start();

our $http_config = $AppVerify::Test::HTTP_CONFIG;

our $locations = <<'_EOC_';
    appverify_cookie_secure off;
    location = /call      { appverify_call zone=av upstream=/_telesign rate=100r/s burst=100; }
    location = /finalize  { appverify_finalize zone=av upstream=/_telesign attempts=3; }
    location = /finalize1 { appverify_finalize zone=av upstream=/_telesign attempts=1; }
    location = /status    { appverify_status zone=av; }
_EOC_
$locations .= AppVerify::Test::telesign_locations('3s');

sub sim_post {
    my ($path, $json) = @_;
    return send_pieces(["POST /_sim/$path HTTP/1.0\r\nContent-Length: " . length($json)
                        . "\r\n\r\n$json"], port => AppVerify::Attack::sim_port());
}

sub post {
    my ($uri, $body, $cookie) = @_;
    return "POST $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
         . ($cookie ? "Cookie: appverify=$cookie\r\n" : "")
         . "Content-Type: application/x-www-form-urlencoded\r\n"
         . "Content-Length: " . length($body) . "\r\n\r\n$body";
}

sub code_of { $_[0] =~ m{^HTTP/1\.1 (\d{3})} ? $1 : 'none' }

# a missed call placed for $phone; its session credential
sub start_call {
    my ($phone, $code) = @_;
    sim_post('next-code', qq({"code":"$code"}));
    my $r = send_pieces([post('/call', "phone=$phone")]);
    my ($cred) = $r =~ m{Set-Cookie: appverify=([^;]+)};
    return $cred;
}

sub finalize_calls {
    my $all = sim_get('/_sim/requests');
    return scalar(() = $all =~ m{"path":"/v1/verify/auto/voice/finalize"}g);
}

run_tests();

{
    my $log = -s "$ENV{TEST_NGINX_SERVROOT}/logs/error.log" // 0;

    # 30 wrong codes at once for attempts=3: three reach Telesign
    sim_post('reset', '{}');
    my $cred = start_call('447981897501', '11111');
    ok($cred, "a missed call was placed");
    sim_post('mode', '{"mode":"slow","delay_ms":500}');
    my @r = parallel([ map { post('/finalize', sprintf("code=2%04d", $_), $cred) } 1 .. 30 ]);
    sim_post('mode', '{"mode":"ok"}');
    my %codes;
    $codes{code_of($_)}++ for @r;
    my $busy = grep { /"error":"attempt_in_progress"/ } @r;
    is(finalize_calls(), 3, "30 parallel wrong codes with attempts=3: 3 reach Telesign");
    is(($codes{200} // 0) + ($codes{403} // 0), 3,
       "three answered by Telesign: " . join(", ", map { "$_ x$codes{$_}" } sort keys %codes));
    is($busy, 27, "the other 27 are 409 attempt_in_progress");
    my $s = send_pieces(["GET /status HTTP/1.0\r\nCookie: appverify=$cred\r\n\r\n"]);
    like($s, qr{"state":"failed"}, "the session is failed after its three attempts");
    my $f = send_pieces([post('/finalize', 'code=11111', $cred)]);
    like($f, qr{^HTTP/1\.1 403.*"verified":false}s, "the right code afterwards does not verify");

    # attempts=1: two wrong codes, then the right one while they are checked
    sim_post('reset', '{}');
    $cred = start_call('447981897502', '12345');
    sim_post('mode', '{"mode":"slow","delay_ms":500}');
    @r = parallel([ post('/finalize1', 'code=99999', $cred), post('/finalize1', 'code=88888', $cred),
                    post('/finalize1', 'code=12345', $cred) ]);
    sim_post('mode', '{"mode":"ok"}');
    is(finalize_calls(), 1, "attempts=1 and three codes at once: one reaches Telesign");
    is(scalar(grep { /"error":"attempt_in_progress"/ } @r), 2, "the other two are 409");
    $s = send_pieces(["GET /status HTTP/1.0\r\nCookie: appverify=$cred\r\n\r\n"]);
    my $checked = join '', grep { !/attempt_in_progress/ } @r;
    if ($checked =~ /"verified":true/) {
        like($s, qr{"state":"verified"}, "the one code checked was the right one: verified");
    } else {
        like($s, qr{"state":"failed"}, "the one code checked was wrong: failed, the right one never counted");
    }

    # a Telesign that fails: the attempt is given back
    sim_post('reset', '{}');
    $cred = start_call('447981897503', '22222');
    sim_post('mode', '{"mode":"error500"}');
    my $e = send_pieces([post('/finalize1', 'code=22222', $cred)]);
    sim_post('mode', '{"mode":"ok"}');
    like($e, qr{^HTTP/1\.1 503}, "Telesign failing a finalize is 503");
    $f = send_pieces([post('/finalize1', 'code=22222', $cred)]);
    like($f, qr{^HTTP/1\.1 200.*"verified":true}s, "its attempt was given back: the right code then verifies");

    # a client that leaves while its code is being checked keeps no attempt
    sim_post('reset', '{}');
    $cred = start_call('447981897504', '33333');
    sim_post('mode', '{"mode":"slow","delay_ms":800}');
    send_pieces([post('/finalize1', 'code=44444', $cred), \0.3], leave => 1);
    select(undef, undef, undef, 1.2);
    sim_post('mode', '{"mode":"ok"}');
    $f = send_pieces([post('/finalize1', 'code=33333', $cred)]);
    unlike($f, qr{"verified":true}, "leaving mid-finalize did not buy another attempt");

    # a client that leaves before the call was started leaves no record
    sim_post('reset', '{}');
    sim_post('mode', '{"mode":"slow","delay_ms":1000}');
    send_pieces([post('/call', 'phone=447981897505'), \0.4], leave => 1);
    select(undef, undef, undef, 1.0);
    sim_post('mode', '{"mode":"ok"}');
    my $again = send_pieces([post('/call', 'phone=447981897505')]);
    like($again, qr{^HTTP/1\.1 200.*"prefix"}s, "a call abandoned mid-initiate does not block the phone");

    my @dead = worker_crashes($log);
    is(scalar @dead, 0, "no worker died: @dead");
}

__DATA__

=== the last block: the config the races after run_tests() run against
--- http_config eval: $::http_config
--- config eval: $::locations
--- request
GET /sim/health
--- error_code: 200
