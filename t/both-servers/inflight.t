# Concurrent Get Status lookups, on httpd and nginx alike: N clients at once
# ask the gate and the status endpoint about one pending xid while Telesign
# (the simulator) is slow.  The lookup is marked in flight before Telesign
# is called (httpd: in the cache, under the global mutex; nginx: in the
# zone), so one request in one thread or process asks and the others answer
# from the stored state: 1 Get Status for 20 requests.  The second round
# holds the answer back past the lookup interval (1 s at /lk/): requests
# that come after the interval but while the lookup is still in flight do
# not ask again either.

use lib 't/lib';
use AppVerify::Scenario 'no_plan';
use AppVerify::Test;
use IO::Socket::INET ();
use Time::HiRes ();

sub cookie { "Cookie: appverify=" . AppVerify::Test::credential(@_) }
sub sim_status {
    my ($xid, $code, $phone) = @_;
    return qq(POST sim:/_sim/status\n{"xid":"$xid","code":$code,"phone":"$phone"});
}

my $port = $ENV{AV_PORT} || 19860;
my $sim_port = $ENV{AV_SIM_PORT} || 19890;
my $kind = $ENV{AV_SERVER} || 'apache';

sub sim {
    my ($method, $path, $body) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $sim_port, Timeout => 5)
        or die "simulator: $!\n";
    $body //= '';
    print $s "$method $path HTTP/1.0\r\nContent-Type: application/json\r\n"
           . "Content-Length: " . length($body) . "\r\n\r\n$body";
    local $/;
    my $answer = <$s> // '';
    return $answer;
}

# the simulator answers at once again, whatever happens below
END { sim('POST', '/_sim/mode', '{"mode":"ok"}') }

# sends $n requests for $xid's session (status and gate in turn) on
# connections of their own, without reading the answers yet
sub fire {
    my ($xid, $n) = @_;
    my $cookie = AppVerify::Test::credential($xid);
    my @socks;
    for my $i (1 .. $n) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 10)
            or die "connect: $!\n";
        my $uri = $i % 2 ? '/lk/status' : '/lk/account/index.html';
        print $s "GET $uri HTTP/1.1\r\nHost: localhost\r\nCookie: appverify=$cookie\r\n"
               . "Connection: close\r\n\r\n";
        push @socks, $s;
    }
    return @socks;
}

sub answers {
    my (%codes);
    for my $s (@_) {
        local $/;
        my $r = <$s> // '';
        my ($code) = $r =~ m{^HTTP/1\.1 (\d+)};
        $codes{$code // 'none'}++;
    }
    return %codes;
}

sub get_status_calls {
    my ($xid) = @_;
    my $body = sim('GET', '/_sim/requests');
    return scalar(() = $body =~ m{"path":"/v1/mobile/verification/status/\Q$xid\E"}g);
}

sub check_inflight {
    my ($xid, $n, $delay_ms, $gap) = @_;
    sim('POST', '/_sim/mode', qq({"mode":"slow","delay_ms":$delay_ms}));
    my @socks = fire($xid, $n / 2);
    Time::HiRes::sleep($gap) if $gap;
    push @socks, fire($xid, $n / 2);
    my %codes = answers(@socks);
    sim('POST', '/_sim/mode', '{"mode":"ok"}');

    my $when = $gap ? " (half of them ${gap}s later, past the lookup interval)" : "";
    is(get_status_calls($xid), 1,
       "$n concurrent requests for one pending xid cause one Get Status call$when [$kind]");
    is(($codes{200} // 0) + ($codes{401} // 0), $n,
       "... all $n answered from the stored state (200 status, 401 pending): "
       . join(", ", map { "$_ x$codes{$_}" } sort keys %codes) . " [$kind]");
}

run_scenarios();

check_inflight('lk-many-1', 20, 400, 0);
check_inflight('lk-many-2', 20, 2500, 1.3);

__DATA__

=== two pending sessions (the concurrent requests follow the blocks)
--- request eval
[ "GET /token?phone=15557000001&xid=lk-many-1", main::sim_status("lk-many-1", 1890, "15557000001"),
  "GET /token?phone=15557000002&xid=lk-many-2", main::sim_status("lk-many-2", 1890, "15557000002") ]
--- more_headers eval
[ "", "Content-Type: application/json", "", "Content-Type: application/json" ]
--- error_code eval
[200, 200, 200, 200]
