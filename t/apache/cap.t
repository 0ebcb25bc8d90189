# AppVerifyTelesignMaxCalls: with Telesign hanging, at most that many
# threads of each child wait on it; every other request that needs it is
# answered at once (503 upstream_unavailable, one warning a second), and
# the server's other requests are served meanwhile.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use LWP::UserAgent ();
use IO::Socket::INET ();
use File::Path qw(make_path remove_tree);
use Time::HiRes qw(time);
use Cwd qw(getcwd);
use POSIX ();
use AppVerify::Test;
use AppVerify::Servers qw(render start_httpd stop_httpd);

my $root = $ENV{AV_ROOT} // getcwd();
my ($port, $hang_port) = split ' ', ($ENV{AV_CAP_PORTS} // '19867 19868');
my $dir = "$root/t/servroot-apache/cap";
my $up;

END { local $?; stop_httpd(dir => $dir) if $up; }
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

# a Telesign that takes the connection and never answers: the kernel
# completes the handshakes, nobody accepts them
my $hang = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $hang_port,
                                 Listen => 128, ReuseAddr => 1)
    or die "listen on $hang_port: $!\n";

remove_tree($dir);
make_path("$dir/logs", "$dir/run", "$dir/html");
chmod 0755, $dir, "$dir/html", "$dir/run";
open my $fh, '>', "$dir/html/index.html" or die;
print $fh "static\n";
close $fh;
render("t/both-servers/conf/httpd.conf.in", "$dir/httpd.conf",
       SERVROOT => $dir, PORT => $port, ROOT => $root,
       MODULE => "$root/build/mod_appverify.so",
       CACHE => "shmcb:$dir/run/av(1048576)", SIM_PORT => 19890,
       DEAD_PORT => $hang_port);
start_httpd(conf => "$dir/httpd.conf", dir => $dir, port => $port);
$up = 1;

my $ua = LWP::UserAgent->new(timeout => 15, keep_alive => 0);
my $base = "http://127.0.0.1:$port";

# twelve pending sessions: each status request asks Telesign about its own
my $n = 12;
my @cookies;
for my $i (1 .. $n) {
    my $xid = "cap-$i";
    my $r = $ua->get("$base/token?phone=1555880200$i&xid=$xid");
    $r->code == 200 or die "token $i: " . $r->status_line . "\n";
    push @cookies, 'appverify=' . AppVerify::Test::credential($xid);
}

# all at once, each in a process of its own: "status seconds"
my @kids;
for my $i (0 .. $n - 1) {
    pipe(my $rd, my $wr) or die;
    my $pid = fork // die "fork: $!\n";
    if (!$pid) {
        close $rd;
        my $t0 = time;
        my $r = LWP::UserAgent->new(timeout => 15)->get("$base/capped/status",
                                                         Cookie => $cookies[$i]);
        my $err = $r->content =~ /^\{"error":"([a-z_]+)"/ ? $1 : '-';
        printf $wr "%d %s %.3f\n", $r->code, $err, time - $t0;
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;
    push @kids, [ $pid, $rd ];
}

# meanwhile: the server serves its other requests at once
select(undef, undef, undef, 0.5);
my $t0 = time;
my $r = $ua->get("$base/index.html");
my $static = time - $t0;
is($r->code, 200, 'a static file while Telesign hangs');
ok($static < 1, sprintf('... at once (%.3f s)', $static));

my (@slow, @fast, %seen);
for my $k (@kids) {
    my ($pid, $rd) = @$k;
    my $line = <$rd> // '';
    waitpid($pid, 0);
    my ($code, $err, $secs) = split ' ', $line;
    $seen{"$code $err"}++;
    push @{ $secs >= 2 ? \@slow : \@fast }, $secs;
}

is(join(',', map { "$_=$seen{$_}" } sort keys %seen), "503 upstream_unavailable=$n",
   'every status request is 503 upstream_unavailable');
# ServerLimit 2, StartServers 2: two children with a cap of 2 each
ok(@slow >= 1 && @slow <= 4, scalar(@slow) . ' waited for the timeout (at most 2 per child)');
ok(@fast >= $n - 4, scalar(@fast) . ' were answered at once');
ok(!grep({ $_ > 1.5 } @fast), 'at once is under 1.5 s');

open my $log, '<', "$dir/logs/error.log" or die;
my @warn = grep { /not sent: 2 calls to Telesign in flight/ } <$log>;
ok(@warn >= 1 && @warn <= 4, scalar(@warn) . ' warning line(s), at most one a second per child');

done_testing();
