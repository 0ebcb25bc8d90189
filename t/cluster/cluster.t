# Two nginx nodes and one httpd node on one real redis-server: one truth.
#
# nginx reaches Redis through its event loop (appverify_redis: an internal
# location with appverify_redis_pass, an upstream{} with keepalive), httpd
# through AppVerifyRedis; both with the core's key layout, value encoding
# and compare-and-set (av_redis.h), so a verification started on any node
# is finished on any other, and every limit counts once for all of them.
#
#   token on A, callback to B: the gates of A and of httpd let it in with
#   no Get Status call; a missed call placed on A is finalized on B, another
#   on httpd; 30 wrong codes over the three nodes reach Telesign at most
#   `attempts` times; a phone's rate, a client's and a number range's hold
#   across the nodes exactly as on one; a session blocked through one node
#   is refused on the others within the lookup interval; Redis killed: the
#   verified sessions the nodes keep pass, the rest is 503 at once,
#   nothing blocks; Redis back (appendonly): every verified session is
#   there, and commits go on; a reload of nginx and a graceful restart of
#   httpd lose nothing.
#
# Ports 19700-19706 (AV_CLUSTER_PORTS="A B HTTPD REDIS SIM DEAD" for others).

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use File::Path qw(make_path remove_tree);
use Cwd qw(getcwd);
use Time::HiRes qw(time sleep);
use POSIX ();
use AppVerify::Test;
use AppVerify::Attack qw(send_pieces);
use AppVerify::Nodes qw(nodes req timed parallel log_count);
use AppVerify::Servers qw(render start_httpd stop_httpd start_nginx stop_nginx
                          start_redis stop_redis start_sim stop_sim read_pid
                          use_redis);

my $root = $ENV{AV_ROOT} // getcwd();
my $base = "$root/t/servroot-cluster";
my %port = (a => 19700, b => 19701, c => 19702, redis => 19703, sim => 19704,
            dead => 19705);
@port{qw(a b c redis sim dead)} = split ' ', $ENV{AV_CLUSTER_PORTS}
    if $ENV{AV_CLUSTER_PORTS};
nodes(a => $port{a}, b => $port{b}, c => $port{c});

my $password = 'cluster-t-' . int(rand(1e9));
my $db = 3;
my $prefix = 'avc:';
my $ngx_module = $ENV{AV_NGINX_MODULE} // "$root/build/ngx_http_appverify_module.so";
my $apache_module = $ENV{AV_APACHE_MODULE} // "$root/build/mod_appverify.so";

remove_tree($base);
make_path($base);
my ($redis, $sim, %up);

END {
    local $?;                           # the stops must not become the exit status
    stop_nginx(dir => "$base/$_") for grep { $up{$_} && $_ ne 'c' } keys %up;
    stop_httpd(dir => "$base/c") if $up{c};
    stop_sim($sim) if $sim;
    stop_redis($redis) if $redis;
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

sub spit  { open my $fh, '>', $_[0] or die "$_[0]: $!\n"; print $fh $_[1] }

$redis = redis_up();
$sim = start_sim(port => $port{sim}, log => "$base/sim.log",
                 callback => "http://127.0.0.1:$port{b}/callback");

my %redis = (port => $port{redis}, password_file => "$base/redis.pass",
             db => $db, prefix => $prefix);

for my $node (qw(a b c)) {
    my $dir = "$base/$node";
    make_path("$dir/logs", "$dir/run", "$dir/html");
    chmod 0755, $dir, "$dir/html", "$dir/run";
    spit("$dir/html/index.html", "members only\n");

    my %vars = (SERVROOT => $dir, PORT => $port{$node}, ROOT => $root,
                SIM_PORT => $port{sim}, DEAD_PORT => $port{dead});

    if ($node eq 'c') {
        render("t/both-servers/conf/httpd.conf.in", "$dir/httpd.conf", %vars,
               MODULE => $apache_module, CACHE => 'unused');
        use_redis(kind => 'apache', conf => "$dir/httpd.conf", %redis);
        start_httpd(conf => "$dir/httpd.conf", dir => $dir, port => $port{c});

    } else {
        render("t/both-servers/conf/nginx.conf.in", "$dir/nginx.conf", %vars,
               NGX_MODULE => $ngx_module);
        use_redis(kind => 'nginx', conf => "$dir/nginx.conf", %redis);
        start_nginx(conf => "$dir/nginx.conf", dir => $dir, port => $port{$node});
    }
    $up{$node} = 1;
}

# --- the simulator ---------------------------------------------------------------

sub sim {
    my ($method, $path, $json) = @_;
    $json //= '';
    return send_pieces(["$method /_sim/$path HTTP/1.0\r\nHost: sim\r\n"
                        . "Content-Type: application/json\r\n"
                        . "Content-Length: " . length($json) . "\r\n\r\n$json"],
                       port => $port{sim});
}

sub sim_calls {
    my ($re) = @_;
    my $all = sim('GET', 'requests');
    return scalar(() = $all =~ m{"path":"$re}g);
}

sub redis_cli {
    open my $fh, '-|', 'redis-cli', '-p', $port{redis}, '-n', $db,
        '--no-auth-warning', '-a', $password, @_ or die "redis-cli: $!";
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    chomp $out;
    return $out;
}

sub form {
    my ($node, $uri, $body, $cred) = @_;
    return req($node, 'POST', $uri, $body,
               'Content-Type' => 'application/x-www-form-urlencoded',
               $cred ? (Authorization => "Bearer $cred") : ());
}

sub callback {
    my ($node, %cb) = @_;
    my $body = AppVerify::Test::callback_body(%cb);
    my ($auth) = AppVerify::Test::tsa_header($body) =~ /^Authorization: (.*)$/;
    return req($node, 'POST', '/callback', $body, Authorization => $auth,
               'Content-Type' => 'application/json');
}

sub gate {
    my ($node, $cred, $where) = @_;
    return req($node, 'GET', ($where // '/account/') . 'index.html', undef,
               Cookie => "appverify=$cred");
}

# a missed call placed on $node, whose code is $code: its session
sub start_call {
    my ($node, $phone, $code) = @_;
    sim('POST', 'next-code', qq({"code":"$code"}));
    my $r = form($node, '/lk/call', "phone=$phone");
    is($r->code, 200, "node $node places a missed call to $phone");
    my ($cred) = ($r->content // '') =~ m{"session":"([^"]+)"};
    return $cred;
}

my $unavailable = qr/^\{"error":"store_unavailable"/;
my $status_path = '/v1/mobile/verification/status/';

# --- an SDK verification across the nodes --------------------------------------

my $phone = '15558700101';
my $xid = 'cluster-1';
my $cred = AppVerify::Test::credential($xid);

my $r = req('a', 'GET', "/token?phone=$phone&xid=$xid");
is($r->code, 200, 'A mints the token');
is(redis_cli('EXISTS', "${prefix}x:{$xid}"), '1',
   "... the record is in Redis (db $db, the prefix, the xid as hash tag)");
ok(redis_cli('PTTL', "${prefix}x:{$xid}") > 0, '... and expires');
ok(redis_cli('PTTL', "${prefix}p:{$phone}") > 0, "the phone's bucket expires too");

is(gate('c', $cred)->code, 401, 'the httpd node sees it pending');
is(req('b', 'HEAD', '/account/index.html', undef, Cookie => "appverify=$cred")->code,
   401, "B's gate for a HEAD request reads it from Redis too");
is(req('b', 'GET', "/token?phone=$phone&xid=cluster-2")->code, 409,
   'B refuses a duplicate for the phone A is verifying');

$r = callback('b', xid => $xid, phone => $phone);
is($r->code, 200, 'B takes Telesign\'s callback');
like($r->content, qr/"state":"verified"/, '... verified');

my $asked = sim_calls($status_path);
$r = gate('a', $cred, '/lk/account/');
is($r->code, 200, "A's gate (with Get Status allowed) lets the session in");
$r = gate('c', $cred, '/lk/account/');
is($r->code, 200, "... and so does the httpd node's");
is(sim_calls($status_path), $asked, '... neither asked Telesign: Redis knew');
is(gate('c', $cred)->header('X-Phone') // '', $phone,
   "... the httpd node's REMOTE_USER is the phone");
is(gate('b', $cred)->header('X-Phone') // '', $phone, "... B's \$appverify_phone too");

# --- a verified session blocked later, through another node ---------------------

# a node's copy of a terminal record answers for the lookup interval (1 s
# in /lk/account/), then Redis is asked again: a later status from
# Telesign (verified, then blocked) reaches every node within it
my $bxid = 'cluster-blocked';
my $bcred = AppVerify::Test::credential($bxid);
req('a', 'GET', "/token?phone=15558700121&xid=$bxid");
callback('b', xid => $bxid, phone => '15558700121');
is(gate('a', $bcred, '/lk/account/')->code, 200, 'a verified session passes on A');
is(gate('c', $bcred, '/lk/account/')->code, 200, '... and on the httpd node (both keep a copy)');
$r = callback('b', xid => $bxid, phone => '15558700121', code => 1829,
              updated_on => '2026-11-21T10:05:00.000000Z');
like($r->content, qr/"state":"blocked"/, 'Telesign blocks it later, through B');
sleep 1.2;
is(gate('a', $bcred, '/lk/account/')->code, 403, "... A refuses it within the lookup interval");
is(gate('c', $bcred, '/lk/account/')->code, 403, '... so does the httpd node');

# --- what each flow costs in Redis round trips --------------------------------------

# the round trips since the last call: each is one MGET or one EVALSHA
# (with its AUTH and SELECT pipelined in front)
my %last;
sub rounds {
    my %now = redis_cli('INFO', 'commandstats') =~ /^cmdstat_(\w+):calls=(\d+)/mg;
    my %d = map { $_ => ($now{$_} // 0) - ($last{$_} // 0) } qw(mget evalsha eval);
    $last{$_} = $now{$_} // 0 for keys %now;
    return \%d;
}

my $rxid = 'cluster-rounds';
my $rcred = AppVerify::Test::credential($rxid);
rounds();
req('a', 'GET', "/token?phone=15558700111&xid=$rxid");
my $d = rounds();
is("$d->{mget} $d->{evalsha}", '1 1', 'a token: one MGET, one compare-and-set');
callback('b', xid => $rxid, phone => '15558700111');
$d = rounds();
is("$d->{mget} $d->{evalsha}", '1 1', 'a callback: one MGET, one compare-and-set');
$asked = sim_calls($status_path);
is(gate('a', $rcred, '/lk/account/')->code, 200, "A's first gate after B's callback");
$d = rounds();
is("$d->{mget} $d->{evalsha}", '1 0', '... costs one MGET and no commit');
is(sim_calls($status_path), $asked, '... and no Telesign call');
is(gate('a', $rcred, '/lk/account/')->code, 200, "A's next gate");
$d = rounds();
is("$d->{mget} $d->{evalsha}", '0 0', '... answers from A\'s own copy: no round trip');
diag("Redis round trips: token 2, callback 2, first gate on another node 1, then 0");

# --- the counters count each answer once, whichever store gave it --------------

sub counter {
    my ($node, $re) = @_;
    my $m = req($node, 'GET', '/metrics')->content // '';
    return $m =~ /^appverify_requests_total\{zone="av",$re\} (\d+)/m ? $1 : 0;
}
my $before = counter('a', 'endpoint="gate",reason="ok"');
gate('a', $rcred, '/lk/account/') for 1 .. 3;     # from A's copy
is(counter('a', 'endpoint="gate",reason="ok"') - $before, 3,
   "A counts 3 gates answered from its copy as 3");
$before = counter('a', 'endpoint="token",reason="ok"');
req('a', 'GET', '/token?phone=15558700131');        # a fetch and a commit
is(counter('a', 'endpoint="token",reason="ok"') - $before, 1,
   '... and a token that took two rounds with Redis as 1');

# --- a missed call placed on one node, finalized on another ----------------------

my $mcred = start_call('a', '15558700201', '24680');
$r = form('b', '/lk/finalize', 'code=24680', $mcred);
is($r->code, 200, 'B finalizes the call A placed');
like($r->content, qr/"verified":true/, '... verified');
is(gate('c', $mcred)->code, 200, "... and the httpd node's gate lets it in");

$mcred = start_call('a', '15558700202', '13579');
$r = form('c', '/lk/finalize', 'code=13579', $mcred);
is($r->code, 200, 'the httpd node finalizes a call A placed');
is(gate('b', $mcred)->code, 200, "... and B's gate lets it in");

# --- 30 wrong codes over three nodes: `attempts` reach Telesign -----------------

$mcred = start_call('b', '15558700301', '11111');
my $finalized = sim_calls('/v1/verify/auto/voice/finalize');
sim('POST', 'mode', '{"mode":"slow","delay_ms":500}');
my @res = parallel(map {
    [(qw(a b c))[$_ % 3], 'POST', '/lk/finalize3', sprintf('code=2%04d', $_),
     'Content-Type' => 'application/x-www-form-urlencoded',
     Authorization => "Bearer $mcred"]
} 1 .. 30);
sim('POST', 'mode', '{"mode":"ok"}');
my %codes;
$codes{$_->[0]}++ for @res;
is(sim_calls('/v1/verify/auto/voice/finalize') - $finalized, 3,
   '30 parallel wrong codes over three nodes: Telesign checked 3 (attempts=3)')
    or diag(explain(\%codes));
is(($codes{403} // 0) + ($codes{409} // 0) + ($codes{400} // 0)
   + ($codes{422} // 0) + ($codes{200} // 0), 30, '... every request answered')
    or diag(explain(\%codes));
ok(!$codes{500} && !$codes{502} && !$codes{503}, '... none of them an error')
    or diag(explain(\%codes));
$r = form('a', '/lk/finalize3', 'code=11111', $mcred);
isnt($r->code, 200, '... and the right code now comes too late');

# --- limits count once for all nodes ---------------------------------------------

# /token-default: 6r/m burst 3, no pending window: 4 tokens, however many
# nodes they are spread over
sub burst {
    my ($uri, $n, $each, @nodes) = @_;
    my @res = parallel(map { [$nodes[$_ % @nodes], 'GET', $each->($_), undef,
                              'X-Forwarded-For' => '198.51.100.7'] } 0 .. $n - 1);
    my %n;
    $n{$_->[0]}++ for @res;
    return %n;
}

my %one = burst('/token-default', 30,
                sub { "/token-default?phone=15558700401&xid=rate1-$_[0]" }, 'a');
my %three = burst('/token-default', 30,
                  sub { "/token-default?phone=15558700402&xid=rate3-$_[0]" }, qw(a b c));
is($one{200} // 0, 4, "one node: 4 of 30 tokens for one phone (6r/m, burst 3)");
is($three{200} // 0, $one{200} // 0, '... three nodes on one Redis: exactly as many')
    or diag(explain(\%three));
is($three{429} // 0, 26, '... the rest refused by the rate, none lost to a conflict')
    or diag(explain(\%three));

# a client's limit (1r/m burst 1): 2 tokens for one address over three nodes
%three = burst('/fr/token-client', 12,
               sub { sprintf '/fr/token-client?phone=1555870%04d', 500 + $_[0] },
               qw(a b c));
is($three{200} // 0, 2, "one client's limit holds across the nodes (2 of 12)")
    or diag(explain(\%three));

# a number range's (8 digits, 1r/m burst 1): 2 tokens for the range
%three = burst('/fr/token-prefix', 12,
               sub { sprintf '/fr/token-prefix?phone=1555871%04d', $_[0] },
               qw(a b c));
is($three{200} // 0, 2, "a number range's limit holds across the nodes (2 of 12)")
    or diag(explain(\%three));

# --- Redis stalled: requests wait side by side, clients leave mid-round -------------

kill 'STOP', $redis;
my $t0 = time;
my @stalled = parallel(map { ['a', 'GET', "/token?phone=1555870070$_"] } 1 .. 8);
my $waited = time - $t0;
is(scalar(grep { $_->[0] == 503 } @stalled), 8,
   'Redis stopped: 8 tokens at once, 503 each (appverify_redis_timeout 1s)');
ok($waited < 2.5, sprintf('... side by side, not one after another (%.2fs)', $waited));

# clients that leave while their round is out: the round ends after them
for my $node (qw(a b)) {
    send_pieces(["GET /token?phone=15558700790 HTTP/1.1\r\nHost: x\r\n\r\n", \0.2],
                port => $port{$node}, leave => 1);
    send_pieces(["GET /account/index.html HTTP/1.1\r\nHost: x\r\n"
                 . "Cookie: appverify=" . AppVerify::Test::credential('cluster-gone')
                 . "\r\n\r\n", \0.2], port => $port{$node}, leave => 1);
}
kill 'CONT', $redis;
sleep 1.2;
is(gate('a', $cred)->code, 200, '... Redis going on: A answers as before');
is(req('b', 'GET', '/token?phone=15558700791')->code, 200,
   '... and B commits again, after the clients that left');

# bodies still arriving while a round with Redis waits: a callback's body
# in pieces to a stalled Redis (its round starts once the body is whole),
# and a gated request whose body trickles in while the gate's round is out
my $txid = 'cluster-trickle';
is(req('a', 'GET', "/token?phone=15558700792&xid=$txid")->code, 200,
   'a session to verify while Redis stalls');
my $tbody = AppVerify::Test::callback_body(xid => $txid, phone => '15558700792');
my ($tauth) = AppVerify::Test::tsa_header($tbody) =~ /^Authorization: (.*)$/;
my $half = int(length($tbody) / 2);
kill 'STOP', $redis;
my $resume = fork // die "fork: $!";
if ($resume == 0) { sleep 0.8; kill 'CONT', $redis; POSIX::_exit(0) }
my $gate_out = "$base/trickle-gate.out";
my $gater = fork // die "fork: $!";
if ($gater == 0) {
    my $g = send_pieces(["GET /account/index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                         . "Cookie: appverify=" . AppVerify::Test::credential('cluster-gone')
                         . "\r\nContent-Length: 6\r\n\r\nab", \0.2, "cd", \0.2, "ef"],
                        port => $port{b});
    open my $fh, '>', $gate_out or POSIX::_exit(1);
    print $fh $g;
    close $fh;
    POSIX::_exit(0);        # the servers are the parent's to stop (END)
}
my $raw = send_pieces(["POST /callback HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       . "Authorization: $tauth\r\nContent-Type: application/json\r\n"
                       . "Content-Length: " . length($tbody) . "\r\n\r\n"
                       . substr($tbody, 0, $half), \0.3, substr($tbody, $half)],
                      port => $port{a});
waitpid $gater, 0;
my $gated = do { local (@ARGV, $/) = ($gate_out); <> } // '';
waitpid $resume, 0;
kill 'CONT', $redis;
like($raw, qr{^HTTP/1\.1 200 }, 'a callback whose body came in pieces while Redis stalled: 200')
    or diag($raw);
like($raw, qr/"state":"verified"/, '... verified');
like($gated, qr{^HTTP/1\.1 401 .*"error":"unknown_session"}s,
     "a gate's round out while its body trickles in: answered once Redis is back")
    or diag($gated);
is(gate('b', AppVerify::Test::credential($txid))->code, 200,
   '... and the callback is there for B');

# --- Redis killed -------------------------------------------------------------------

# a session B knows only from Redis until now
my $pxid = 'cluster-pending';
my $pcred = AppVerify::Test::credential($pxid);
is(req('b', 'GET', "/token?phone=15558700601&xid=$pxid")->code, 200,
   'a pending verification, for the outage');

kill 'KILL', $redis;
waitpid($redis, 0);
undef $redis;

my ($g, $secs) = timed('a', 'GET', '/account/index.html', undef,
                       Cookie => "appverify=$cred");
is($g->code, 200, 'Redis killed: A keeps passing the session it knows verified');
ok($secs < 0.5, sprintf('... at once (%.3fs)', $secs));
is(gate('b', $cred)->code, 200, '... so does B (it read it verified before)');

($g, $secs) = timed('a', 'GET', '/account/index.html', undef,
                    Cookie => "appverify=$pcred");
is($g->code, 503, 'a pending session: 503');
like($g->content, $unavailable, '... store_unavailable');
ok($secs < 1.5, sprintf('... without waiting out a timeout (%.3fs)', $secs));
$r = req('b', 'GET', '/token?phone=15558700602');
is($r->code, 503, 'a token: 503');
like($r->content, $unavailable, '... store_unavailable');
$r = callback('a', xid => $pxid, phone => '15558700601');
is($r->code, 503, "Telesign's callback: 503 (it retries)");
is(gate('c', $cred)->code, 200,
   'the httpd node keeps passing it too (its socache holds the copy it read)');
$g = gate('c', $pcred);
is($g->code, 503, '... a pending session there: 503');
like($g->content, $unavailable, '... store_unavailable');

my @many = parallel(map { ['a', 'GET', '/account/index.html', undef,
                           Cookie => "appverify=$pcred"] } 1 .. 12);
is(scalar(grep { $_->[0] == 503 } @many), 12, '12 gates at once: 503 each');
my $lines = log_count("$base/a/logs/error.log",
                      qr/\[error\].*store_unavailable: redis of zone/);
ok($lines >= 1 && $lines <= 6,
   "... logged at error once a second per worker, not per request ($lines)");
($r, $secs) = timed('a', 'GET', '/index.html');
ok($secs < 0.5, sprintf('a static file meanwhile: at once (%.3fs)', $secs));
ok(kill(0, read_pid("$base/$_/logs/nginx.pid")), "nginx $_ is alive")
    for qw(a b);

# --- Redis back ------------------------------------------------------------------------

$redis = redis_up();

is(gate('c', $cred)->code, 200,
   'Redis restarted (appendonly): the httpd node reads the session verified');
$r = callback('a', xid => $pxid, phone => '15558700601');
is($r->code, 200, "... Telesign's retried callback goes through");
is(gate('b', $pcred)->code, 200, '... and B lets that session in');
is(req('a', 'GET', '/token?phone=15558700603')->code, 200,
   '... A mints tokens again: recovered by itself');

# --- reload and graceful restart ------------------------------------------------------

my $errors = log_count("$base/a/logs/error.log", qr/\[(?:alert|emerg|crit)\]/);
system($ENV{TEST_NGINX_BINARY} // '/usr/sbin/nginx', '-p', "$base/a/", '-c', "$base/a/nginx.conf",
       '-s', 'reload') == 0 or die "nginx -s reload failed\n";
sleep 1;
is(gate('a', $cred)->code, 200, 'after a reload of A the session passes');
is(gate('a', $pcred)->code, 200, '... and the one verified during the outage');

my $apache2 = $ENV{AV_APACHE2} // '/usr/sbin/apache2';
my $resumed = log_count("$base/c/logs/error.log", qr/resuming normal operations/);
system($apache2, '-f', "$base/c/httpd.conf", '-k', 'graceful') == 0
    or die "apache2 -k graceful failed\n";
for (1 .. 100) {
    last if log_count("$base/c/logs/error.log", qr/resuming normal operations/) > $resumed;
    sleep 0.1;
}
sleep 1.1;                              # past the gate's 1 s per-thread memory
is(gate('c', $pcred)->code, 200, 'after a graceful restart of httpd it passes too');

is(log_count("$base/a/logs/error.log", qr/\[(?:alert|emerg|crit)\]/), $errors,
   'no alert, crit or emerg in A\'s log');
for my $node (qw(a b)) {
    is(log_count("$base/$node/logs/error.log", qr/signal \d+ \(SIG(?:SEGV|ABRT|BUS)\)|exited on signal/),
       0, "no nginx worker of $node crashed");
}

done_testing();
