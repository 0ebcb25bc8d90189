package AppVerify::Nodes;

# Several servers at once, for the tests of state they share (a Redis):
# nodes by name, their ports, requests to any of them, alone or side by
# side in children of their own, and their logs.

use strict;
use warnings;

use Exporter 'import';
use HTTP::Request ();
use LWP::UserAgent ();
use POSIX ();
use Time::HiRes qw(time);

our @EXPORT_OK = qw(nodes req timed parallel log_count);

my %port;
my $ua = LWP::UserAgent->new(timeout => 15, keep_alive => 0);

# nodes(a => 19700, b => 19701): names the nodes' ports
sub nodes { %port = (%port, @_) }

# req(NODE, METHOD, URI, BODY, HEADER => VALUE ...): the HTTP::Response
sub req {
    my ($node, $method, $uri, $body, @h) = @_;
    die "no node $node\n" unless $port{$node};
    my $r = HTTP::Request->new($method, "http://127.0.0.1:$port{$node}$uri", \@h);
    $r->content($body) if defined $body;
    return $ua->request($r);
}

# (response, seconds) of one request
sub timed {
    my $t0 = time;
    my $r = req(@_);
    return ($r, time - $t0);
}

# parallel([NODE, METHOD, URI, BODY, HEADERS...], ...): every request at
# once, each from a child of its own; [code, seconds, body] each, in order
sub parallel {
    my (@reqs) = @_;
    my @kids;
    for my $q (@reqs) {
        pipe(my $rd, my $wr) or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            close $rd;
            my ($r, $secs) = timed(@$q);
            my $body = $r->content // '';
            $body =~ s/\n/ /g;
            print $wr join("\t", $r->code, $secs, $body), "\n";
            close $wr;
            POSIX::_exit(0);
        }
        close $wr;
        push @kids, [$pid, $rd];
    }
    my @res;
    for my $k (@kids) {
        my $fh = $k->[1];
        my $line = <$fh> // "0\t0\t\n";
        chomp $line;
        push @res, [split /\t/, $line, 3];
        waitpid($k->[0], 0);
    }
    return @res;
}

# the lines of a log that match
sub log_count {
    my ($file, $re) = @_;
    open my $fh, '<', $file or return 0;
    return scalar grep { /$re/ } <$fh>;
}

1;
