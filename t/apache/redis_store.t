# Two httpd instances share one real redis-server through "AppVerifyRedis"
# (apache_module/appverify_redis.c): the core's transactions committed
# with a compare-and-set, no global mutex, a Redis that is down or stalled
# answered with 503 store_unavailable, never read as empty.
#
#   token on A, Telesign's callback to B, A's gate lets the session in,
#   and its next gate answers from A's socache, with no Redis command;
#   30 parallel tokens for one phone across both nodes obey its rate as
#   one node does; Redis stopped (SIGSTOP): a session A keeps verified
#   passes, anything else is 503 within about the timeout, static files go
#   on; SIGCONT: back by itself; Redis gone: the same, with one log line,
#   not one per request, every endpoint 503; Redis back (appendonly): the
#   pending session is still there, and commits go on.  Also: a value that is not ours reads
#   as absent and is replaced by compare-and-set; one too long is 503;
#   SCRIPT FLUSH is met with EVAL.
#
# Ports 19720-19729 (AV_REDIS_STORE_PORTS="A B REDIS" for others).

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use File::Path qw(make_path remove_tree);
use Cwd qw(getcwd);
use POSIX ();
use Time::HiRes qw(time sleep);
use AppVerify::Test;
use AppVerify::Nodes qw(nodes req timed parallel);
use AppVerify::Servers qw(render start_httpd stop_httpd start_redis stop_redis
                          wait_port);

my $root = $ENV{AV_ROOT} // getcwd();
my $base = "$root/t/servroot-apache/redis-store";
my %port = (a => 19720, b => 19721, redis => 19722, sim => 19728,
            dead => 19729);
@port{qw(a b redis)} = split ' ', $ENV{AV_REDIS_STORE_PORTS}
    if $ENV{AV_REDIS_STORE_PORTS};

my $timeout = 1;                        # AppVerifyRedis timeout=
my $password = 'redis-store-t-' . int(rand(1e9));
my $db = 2;
my $prefix = 'avt:';

remove_tree($base);
make_path($base);
my ($redis, %up);

END {
    local $?;                           # waitpid must not change the exit status
    stop_httpd(dir => "$base/$_") for grep { $up{$_} } keys %up;
    if ($redis) {
        kill 'CONT', $redis;
        stop_redis($redis);
    }
}
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

open my $pw, '>', "$base/redis.pass" or die;
print $pw "$password\n";
close $pw;
chmod 0600, "$base/redis.pass";

sub redis_up {
    return start_redis(port => $port{redis}, dir => "$base/redis",
                       appendonly => 1, args => ['--requirepass', $password]);
}

$redis = redis_up();

for my $node (qw(a b)) {
    my $dir = "$base/$node";
    make_path("$dir/logs", "$dir/run", "$dir/html");
    chmod 0755, $dir, "$dir/html", "$dir/run";
    open my $fh, '>', "$dir/html/index.html" or die;
    print $fh "members only\n";
    close $fh;
    render("t/both-servers/conf/httpd.conf.in", "$dir/httpd.conf",
           SERVROOT => $dir, PORT => $port{$node}, ROOT => $root,
           MODULE => $ENV{AV_APACHE_MODULE} // "$root/build/mod_appverify.so",
           CACHE => 'unused',
           SIM_PORT => $port{sim}, DEAD_PORT => $port{dead});

    # the shared scenarios' config, with Redis in place of the socache
    open my $in, '<', "$dir/httpd.conf" or die;
    my $conf = do { local $/; <$in> };
    close $in;
    my $line = "AppVerifyRedis 127.0.0.1:$port{redis} "
             . "password_file=$base/redis.pass db=$db prefix=$prefix "
             . "timeout=${timeout}s";
    $conf =~ s{^AppVerifyCache .*$}{$line}m
        or die "no AppVerifyCache line in the template\n";
    open my $out, '>', "$dir/httpd.conf" or die;
    print $out $conf;
    close $out;

    start_httpd(conf => "$dir/httpd.conf", dir => $dir, port => $port{$node});
    $up{$node} = 1;
}

nodes(a => $port{a}, b => $port{b});

sub redis_cli {
    my @cmd = ('redis-cli', '-p', $port{redis}, '-n', $db, '--no-auth-warning',
               '-a', $password, @_);
    open my $fh, '-|', @cmd or die "redis-cli: $!";
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    chomp $out;
    return $out;
}

sub log_lines {
    my ($node, $re) = @_;
    open my $fh, '<', "$base/$node/logs/error.log" or return 0;
    return scalar grep { /$re/ } <$fh>;
}

sub log_text {
    my $t = '';
    for my $node (qw(a b)) {
        open my $fh, '<', "$base/$node/logs/error.log" or next;
        $t .= do { local $/; <$fh> };
    }
    return $t;
}

my $unavailable = qr/^\{"error":"store_unavailable"/;

# --- one verification across two nodes -------------------------------------

my $phone = '15558800101';
my $xid = 'redis-store-1';
my $cookie = 'appverify=' . AppVerify::Test::credential($xid);
my $cb = AppVerify::Test::callback_body(xid => $xid, phone => $phone);
my ($auth) = AppVerify::Test::tsa_header($cb) =~ /^Authorization: (.*)$/;

my $r = req('a', 'GET', "/token?phone=$phone&xid=$xid");
is($r->code, 200, 'A mints the token');

is(redis_cli('EXISTS', "${prefix}x:{$xid}"), '1',
   "the record is in db $db under the prefix, with its xid as the hash tag");
my $pttl = redis_cli('PTTL', "${prefix}x:{$xid}");
ok($pttl > 0 && $pttl <= 12 * 3600 * 1000, "... and expires ($pttl ms)");
ok(redis_cli('PTTL', "${prefix}p:{$phone}") > 0, "the phone's bucket expires too");
like(redis_cli('GET', "${prefix}x:{$xid}"), qr/^\x01x/, '... its value is the versioned encoding');

$r = req('b', 'GET', '/status', undef, Cookie => $cookie);
is($r->code, 200, 'B sees the record A stored');
like($r->content, qr/"state":"pending"/, '... pending');

$r = req('b', 'GET', "/token?phone=$phone&xid=redis-store-2");
is($r->code, 409, 'B refuses a duplicate for the phone A is verifying');

$r = req('a', 'GET', '/account/index.html', undef, Cookie => $cookie);
is($r->code, 401, 'A refuses while pending');

$r = req('b', 'POST', '/callback', $cb, Authorization => $auth,
         'Content-Type' => 'application/json');
is($r->code, 200, 'B takes the callback');
is($r->content, qq({"ok":true,"xid":"$xid","state":"verified"}\n), '... verified');

$r = req('a', 'GET', '/account/index.html', undef, Cookie => $cookie);
is($r->code, 200, "A's gate lets the session through");
is($r->header('X-Phone') // '', $phone, '... with the phone in the env');

# the Redis commands since the last call (httpd reads with GET, commits
# with EVALSHA)
my %last;
sub commands {
    my %now = redis_cli('INFO', 'commandstats') =~ /^cmdstat_(\w+):calls=(\d+)/mg;
    my %d = map { $_ => ($now{$_} // 0) - ($last{$_} // 0) } qw(get evalsha);
    %last = %now;
    return \%d;
}

# A read it verified from Redis and keeps it in its socache: the next
# gate there needs Redis no more
sleep 1.1;                              # past the gate's 1 s per-thread memory
commands();
$r = req('a', 'GET', '/account/index.html', undef, Cookie => $cookie);
my $d = commands();
is($r->code, 200, "A's next gate lets the session through");
is("$d->{get} $d->{evalsha}", '0 0', "... from A's socache: no GET, no EVALSHA")
    or diag(explain($d));
diag("Redis commands of a repeated gate on httpd: $d->{get} GET, $d->{evalsha} EVALSHA");

# a graceful restart of A reads the configuration again (the directive
# from scratch) and its new children connect anew: the state is in Redis
my $apache2 = $ENV{AV_APACHE2} // '/usr/sbin/apache2';
my $log_before = log_lines('a', qr/resuming normal operations/);
system($apache2, '-f', "$base/a/httpd.conf", '-k', 'graceful') == 0
    or die "apache2 -k graceful failed\n";
for (1 .. 100) {
    last if log_lines('a', qr/resuming normal operations/) > $log_before;
    sleep 0.1;
}
sleep 1.1;                              # past the gate's 1 s per-thread memory
$r = req('a', 'GET', '/account/index.html', undef, Cookie => $cookie);
is($r->code, 200, 'after a graceful restart of A the gate still lets it through');

# --- what Redis holds is checked before it is believed -------------------------

my $fxid = 'redis-store-foreign';
my $fcookie = 'appverify=' . AppVerify::Test::credential($fxid);
redis_cli('SET', "${prefix}x:{$fxid}", 'not one of ours');

$r = req('a', 'GET', '/status', undef, Cookie => $fcookie);
is($r->code, 401, 'a value that is not a record reads as absent');
like($r->content, qr/"error":"unknown_session"/, '... unknown_session');
ok(log_lines('a', qr/the value of \Q${prefix}x:{$fxid}\E is not one of ours/),
   '... with a warning naming the key');

my $fcb = AppVerify::Test::callback_body(xid => $fxid, phone => '15558800111');
my ($fauth) = AppVerify::Test::tsa_header($fcb) =~ /^Authorization: (.*)$/;
$r = req('b', 'POST', '/callback', $fcb, Authorization => $fauth,
         'Content-Type' => 'application/json');
is($r->code, 200, "Telesign's callback replaces it (the commit expects what was read)");
like(redis_cli('GET', "${prefix}x:{$fxid}"), qr/^\x01x/, '... with a record');
$r = req('a', 'GET', '/status', undef, Cookie => $fcookie);
like($r->content, qr/"state":"verified"/, '... which A reads');

# longer than any value of ours: the commit could not expect it, so the
# item cannot be changed while it is there
redis_cli('SET', "${prefix}x:{redis-store-long}", 'x' x 300);
$r = req('a', 'GET', '/status', undef,
         Cookie => 'appverify=' . AppVerify::Test::credential('redis-store-long'));
is($r->code, 503, 'a value too long to be ours is 503');
like($r->content, $unavailable, '... store_unavailable');

# a Redis without the script (flushed, or restarted): EVALSHA's NOSCRIPT,
# then EVAL
redis_cli('SCRIPT', 'FLUSH');
$r = req('a', 'GET', '/token?phone=15558800121&xid=redis-store-noscript');
is($r->code, 200, 'a commit after SCRIPT FLUSH goes through (EVAL after NOSCRIPT)');
is(redis_cli('EXISTS', "${prefix}x:{redis-store-noscript}"), '1', '... and is stored');

# --- one phone's rate, across nodes as on one ---------------------------------

# /token-default: 6r/m burst 3, no pending window: 4 at once, whatever
# the number of nodes
sub burst {
    my ($phone_n, @nodes) = @_;
    my @res = parallel(map {
        [$nodes[$_ % @nodes], 'GET', "/token-default?phone=$phone_n&xid=rate-$phone_n-$_"]
    } 0 .. 29);
    my %n;
    $n{$_->[0]}++ for @res;
    return %n;
}

my %one = burst('15558800201', 'a');
my %two = burst('15558800202', 'a', 'b');
is($one{200} // 0, 4, 'one node: 4 of 30 tokens for one phone (rate 6r/m, burst 3)');
is($one{429} // 0, 26, '... the others refused by the rate');
is($two{200} // 0, $one{200} // 0, 'two nodes on one Redis: exactly as many');
is($two{429} // 0, 26, '... the others refused by the rate, none lost to a conflict')
    or diag(explain(\%two));

# --- Redis stalls ---------------------------------------------------------------

# a session A knows only from Redis: pending
my $pxid = 'redis-store-pending';
my $pcookie = 'appverify=' . AppVerify::Test::credential($pxid);
is(req('b', 'GET', "/token?phone=15558800131&xid=$pxid")->code, 200,
   'a pending verification, for the outages');

kill 'STOP', $redis;
sleep 1.1;                              # past the gate's 1 s per-thread memory

my ($g, $gsecs) = timed('a', 'GET', '/account/index.html', undef, Cookie => $cookie);
is($g->code, 200, 'Redis stopped: A keeps passing the session it keeps verified');
# its copy is older than the lookup interval, so Redis is asked first and
# the copy answers when Redis does not, within the timeout
ok($gsecs < $timeout + 1, sprintf('... from its copy, within about the timeout (%.3fs)',
                                  $gsecs));

($g, $gsecs) = timed('a', 'GET', '/account/index.html', undef, Cookie => $pcookie);
is($g->code, 503, 'a pending session: the gate answers 503');
like($g->content, $unavailable, '... store_unavailable, as JSON');
ok($gsecs < $timeout + 1, sprintf('... within about the timeout (%.2fs)', $gsecs));
diag(sprintf('gate with Redis stopped: %.3fs (timeout %ds)', $gsecs, $timeout));

my ($t, $tsecs) = timed('b', 'GET', "/token?phone=15558800301&xid=stall-1");
is($t->code, 503, '... the token too');
like($t->content, $unavailable, '... store_unavailable');
ok($tsecs < $timeout + 1, sprintf('... within about the timeout (%.2fs)', $tsecs));

# 8 gates waiting for Redis at once, and a static file meanwhile: no lock
# held across the wait, so they wait side by side and the file comes at once
my $t0 = time;
pipe(my $rd, my $wr) or die;
my $kid = fork // die;
if ($kid == 0) {
    close $rd;
    my @g = parallel(map { ['a', 'GET', '/account/index.html', undef, Cookie => $pcookie] } 1 .. 8);
    print $wr join(',', map { "$_->[0]:$_->[1]" } @g), "\n";
    close $wr;
    POSIX::_exit(0);
}
close $wr;
sleep 0.2;
my ($s, $ssecs) = timed('a', 'GET', '/index.html');
is($s->code, 200, 'a static file is served while gates wait for Redis');
ok($ssecs < 0.5, sprintf('... at once (%.3fs)', $ssecs));
diag(sprintf('static file with Redis stopped: %.3fs', $ssecs));
my $line = <$rd> // '';
waitpid($kid, 0);
my $all = time - $t0;
my @g = map { [split /:/] } split /,/, $line;
is(scalar(grep { $_->[0] == 503 } @g), 8, '8 parallel gates: each 503');
ok($all < 2 * $timeout + 1,
   sprintf('... side by side, not one after another (%.2fs for 8)', $all));
diag(sprintf('8 parallel gates with Redis stopped: %.2fs in all', $all));

kill 'CONT', $redis;

my $back;
my $deadline = time + 5;
while (time < $deadline) {
    $r = req('a', 'GET', '/account/index.html', undef, Cookie => $pcookie);
    last if ($back = $r->code == 401);
    sleep 0.1;
}
ok($back, 'SIGCONT: the gate reads the pending session from Redis again, by itself');
$r = req('b', 'GET', '/status', undef, Cookie => $pcookie);
like($r->content, qr/"state":"pending"/, '... and B too');

# --- Redis gone -----------------------------------------------------------------

my $logged = qr/appverify: redis 127\.0\.0\.1:$port{redis}: /;
my %before = map { $_ => log_lines($_, $logged) } qw(a b);
my $at_error = qr/:error\].*store_unavailable/;
my %before_error = map { $_ => log_lines($_, $at_error) } qw(a b);

stop_redis($redis);
undef $redis;
my $tdown = time;
sleep 1.1;

$r = req('a', 'GET', '/account/index.html', undef, Cookie => $cookie);
is($r->code, 200, 'Redis down: A keeps passing the session it keeps verified');

$r = req('a', 'GET', '/account/index.html', undef, Cookie => $pcookie);
is($r->code, 503, '... a pending session: the gate answers 503, not 401');
like($r->content, $unavailable, '... store_unavailable');

$r = req('a', 'GET', "/token?phone=15558800401&xid=down-1");
is($r->code, 503, '... the token 503, not store_full');
like($r->content, $unavailable, '... store_unavailable');

$r = req('b', 'GET', '/status', undef, Cookie => $pcookie);
is($r->code, 503, '... the status 503, not unknown_session');
like($r->content, $unavailable, '... store_unavailable');

$r = req('b', 'POST', '/callback', $cb, Authorization => $auth,
         'Content-Type' => 'application/json');
is($r->code, 503, '... the callback 503 (Telesign retries it)');
like($r->content, $unavailable, '... store_unavailable');

# the flows that would ask Telesign ask the store first (the simulator's
# port is closed here: an answer from it would be upstream_unavailable)
for my $q (['POST', '/lk/call', 'phone=15558800402&xid=down-call'],
           ['POST', '/lk/finalize', 'code=12345'],
           ['GET', '/lk/status', undef],
           ['GET', '/lk/account/index.html', undef]) {
    $r = req('a', $q->[0], $q->[1], $q->[2], Cookie => $pcookie,
             'Content-Type' => 'application/x-www-form-urlencoded');
    is($r->code, 503, "... $q->[1] 503");
    like($r->content, $unavailable, '... store_unavailable');
}

my @down = parallel(map { ['a', 'GET', '/account/index.html', undef, Cookie => $pcookie] } 1 .. 20);
my $spent = time - $tdown;
is(scalar(grep { $_->[0] == 503 } @down), 20, '20 more gates: each 503');

my $lines = log_lines('a', $logged) - $before{a};
ok($lines >= 1, "A's error log says so ($lines lines)");
# at most once a second per child: 2 children, each second this touched
my $most = 2 * (int($spent) + 2);
ok($lines <= $most, "... not once per request ($lines lines for 26 requests to A in "
                    . sprintf('%.1fs', $spent) . ", at most $most)");
my $errors = log_lines('a', $at_error) - $before_error{a};
ok($errors <= $most, "... nor any other line at error per request ($errors)");
like(log_text(), qr/redis 127\.0\.0\.1:$port{redis}: connect: /,
     '... naming the host:port and the error');
unlike(log_text(), qr/\Q$password\E/, '... and never the password');

# --- Redis back, from its append-only file --------------------------------------

$redis = redis_up();
sleep 1.1;

$r = req('a', 'GET', '/status', undef, Cookie => $pcookie);
like($r->content, qr/"state":"pending"/,
     'Redis restarted: the pending session is still there (appendonly)');
$r = req('a', 'GET', '/account/index.html', undef, Cookie => $cookie);
is($r->code, 200, '... the verified one passes');

$r = req('b', 'GET', '/token?phone=15558800501&xid=redis-store-after');
is($r->code, 200, '... and a new verification is committed on the new Redis');

# the counters are the node's own, whichever the store: A answered the
# outage with store_unavailable and counts it
$r = req('a', 'GET', '/metrics');
is($r->code, 200, 'metrics with AppVerifyRedis');
like($r->content, qr/^appverify_requests_total\{zone="appverify",endpoint="gate",reason="store_unavailable"\} [1-9]/m,
     '... counting the outage');

done_testing();
