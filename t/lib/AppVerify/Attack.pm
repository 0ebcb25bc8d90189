package AppVerify::Attack;

# What the attack tests need beyond Test::Nginx's blocks: requests sent in
# pieces with pauses between them, clients that leave mid-request, many
# requests for one session at the same moment, and a look at whether a
# worker died.  Written against the running nginx of the test file (the
# last block's config); every wait is bounded.

use strict;
use warnings;

use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(sleep time);
use Exporter qw(import);

our @EXPORT_OK = qw(nginx_port sim_port send_pieces parallel pipelined
                    sim_get error_log_since worker_crashes);

sub nginx_port { $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984 }
sub sim_port   { $ENV{TEST_NGINX_SIM_PORT} || 19850 }

sub servroot {
    return $ENV{TEST_NGINX_SERVROOT} || "$ENV{TEST_NGINX_ROOT}/t/servroot";
}

sub connect_to {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port,
                                 Proto => 'tcp', Timeout => 5);
    return $s;
}

# Reads what the server sends until it closes or $timeout passes.
sub read_all {
    my ($s, $timeout) = @_;
    my $sel = IO::Select->new($s);
    my $deadline = time + $timeout;
    my $buf = '';
    while (time < $deadline) {
        last unless $sel->can_read($deadline - time);
        my $n = sysread($s, $buf, 65536, length $buf);
        last unless $n;
    }
    return $buf;
}

# Sends @pieces with $delay seconds between them and returns the raw
# answer ('' if the connection died).  A piece that is a number instead
# of a string is a pause of that many seconds.
sub send_pieces {
    my ($pieces, %a) = @_;
    my $s = connect_to($a{port} // nginx_port()) or return '';
    local $SIG{PIPE} = 'IGNORE';
    for my $p (@$pieces) {
        if (ref $p eq 'SCALAR') { sleep $$p; next }
        syswrite($s, $p) // last;
        sleep $a{delay} if $a{delay};
    }
    if ($a{leave}) { close $s; return '' }
    my $r = read_all($s, $a{timeout} // 10);
    close $s;
    return $r;
}

# Sends every request at once on its own connection (all written before
# any answer is read) and returns the answers in order.
sub parallel {
    my ($requests, %a) = @_;
    my @socks = map { connect_to($a{port} // nginx_port()) } @$requests;
    local $SIG{PIPE} = 'IGNORE';
    for (0 .. $#socks) { syswrite($socks[$_], $requests->[$_]) if $socks[$_] }
    my @out = map { $_ ? read_all($_, $a{timeout} // 10) : '' } @socks;
    $_ && close $_ for @socks;
    return @out;
}

# Sends @reqs (each with "Connection: keep-alive") pipelined over $conns
# keep-alive connections, one after another, the last request of each
# closing it; the answers of all, in order.  Volume without parallelism:
# thousands of requests in a few round trips.
sub pipelined {
    my ($conns, @reqs) = @_;
    my @answers;
    my $per = int(@reqs / $conns) + 1;
    while (my @batch = splice @reqs, 0, $per) {
        my $s = connect_to(nginx_port()) or die "connect: $!";
        $batch[-1] =~ s/Connection: keep-alive/Connection: close/;
        print $s join '', @batch;
        local $/;
        push @answers, <$s> // '';
        close $s;
    }
    return join '', @answers;
}

sub status_of { my ($r) = @_; return $r =~ m{^HTTP/1\.[01] (\d{3})} ? $1 : 'none' }

# A GET to the simulator's control API, the body of its answer.
sub sim_get {
    my ($path) = @_;
    my $r = send_pieces(["GET $path HTTP/1.0\r\nHost: sim\r\n\r\n"], port => sim_port());
    $r =~ s/^.*?\r\n\r\n//s;
    return $r;
}

sub error_log_path { return servroot() . "/logs/error.log" }

sub error_log_size { return -s error_log_path() // 0 }

# What the error log got since byte offset $from.
sub error_log_since {
    my ($from) = @_;
    open my $fh, '<', error_log_path() or return '';
    seek $fh, $from, 0;
    local $/;
    return <$fh> // '';
}

# Lines saying a worker died by a signal since $from, and a line of our
# own when nginx no longer answers at all (the suite may run nginx
# without a master, where a crash takes the whole server down).
sub worker_crashes {
    my ($from) = @_;
    my @dead = grep { /exited on signal/ } split /\n/, error_log_since($from);
    # a request line nginx refuses at once (400, logged at info only)
    my $r = send_pieces(["PROBE\r\n\r\n"], timeout => 5);
    push @dead, "nginx does not answer" unless $r =~ m{^HTTP/1\.[01] \d{3}};
    return @dead;
}

1;
