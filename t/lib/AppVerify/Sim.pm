package AppVerify::Sim;

# Starts the Telesign simulator (examples/telesign-sim) for one test file
# and stops it when the file ends.  Its port is $ENV{TEST_NGINX_SIM_PORT};
# it sends callbacks to the nginx under test.

use strict;
use warnings;

use IO::Socket::INET;
use Time::HiRes qw(sleep);

our $PID;

sub start {
    my (%a) = @_;
    my $root = $ENV{TEST_NGINX_ROOT} or die "TEST_NGINX_ROOT is not set\n";
    my $port = $ENV{TEST_NGINX_SIM_PORT} ||= 19850;
    my $nginx = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
    my $servroot = $ENV{TEST_NGINX_SERVROOT} || "$root/t/servroot";
    my $log = $a{log} // "$root/build/sim-$port.log";

    $PID = fork();
    die "fork: $!" unless defined $PID;
    if ($PID == 0) {
        open STDOUT, '>', '/dev/null';
        exec "$root/examples/telesign-sim/telesign-sim",
            '--listen', "127.0.0.1:$port",
            '--api-key-file', "$root/t/data/api.key",
            '--callback-url', "http://127.0.0.1:$nginx/callback",
            '--time-scale', $a{time_scale} // '0.01',
            '--log', $log
            or die "exec: $!";
    }

    for (1 .. 100) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                      Proto => 'tcp', Timeout => 1);
        if ($s) { close $s; return $port }
        sleep 0.05;
    }
    die "the simulator did not start on port $port\n";
}

END {
    if ($PID) {
        kill 'TERM', $PID;
        waitpid $PID, 0;
    }
}

1;
