# Key rotation on httpd (issue 15): AppVerifyApiKeyFile and
# AppVerifySessionKeyFile with previous=FILE, across "apache2 -k
# graceful".  The records live in a real redis-server (shmcb empties on
# every restart, graceful ones too), so the same sessions are asked about
# before, during and after the rotation.  While the graceful restart that
# starts the rotation runs, clients keep asking the gate with sessions
# issued before it: not one of them may get a 401.
#
# Ports: httpd 19740, redis 19741 (AV_ROTATION_PORTS="HTTPD REDIS").

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use LWP::UserAgent ();
use HTTP::Request ();
use File::Path qw(make_path remove_tree);
use Cwd qw(getcwd);
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(decode_base64);
use POSIX qw(_exit);
use Time::HiRes qw(sleep time);
use AppVerify::Test;
use AppVerify::Servers qw(render start_httpd stop_httpd start_redis
                          stop_redis);

my $root = $ENV{AV_ROOT} // getcwd();
my $dir = "$root/t/servroot-apache/rotation";
my %port = (httpd => 19740, redis => 19741);
@port{qw(httpd redis)} = split ' ', $ENV{AV_ROTATION_PORTS}
    if $ENV{AV_ROTATION_PORTS};

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or die "$f: $!";
    local $/;
    return scalar <$fh>;
}

sub b64_key {
    (my $k = shift) =~ s{[^A-Za-z0-9+/]}{}g;
    $k .= '=' x ((4 - length($k) % 4) % 4);
    return decode_base64($k);
}

(my $new_session = slurp("$root/t/data/session-new.key")) =~ s/\s+$//;
my $old_api = AppVerify::Test::api_key();
my $new_api = b64_key(slurp("$root/t/data/api-new.key"));
my $unknown_api = 'an API key nobody configured, 32b';
my $old_session = $AppVerify::Test::SESSION_KEY;
my $unknown_session = 'a session secret nobody configured, at least 32 bytes';

remove_tree($dir);
make_path("$dir/logs", "$dir/run", "$dir/html");
chmod 0755, $dir, "$dir/html", "$dir/run";
open my $ix, '>', "$dir/html/index.html" or die;
print $ix "members only\n";
close $ix;

my ($redis, $up);

END {
    local $?;    # the stops below must not become the exit status
    stop_httpd(dir => $dir) if $up;
    stop_redis($redis) if $redis;
}
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

# the suite's httpd config with the key lines of one stage of the rotation
sub configure {
    my (%keys) = @_;
    render("t/both-servers/conf/httpd.conf.in", "$dir/base.conf",
           SERVROOT => $dir, PORT => $port{httpd}, ROOT => $root,
           MODULE => "$root/build/mod_appverify.so",
           CACHE => "redis:127.0.0.1:$port{redis}",
           SIM_PORT => $port{redis}, DEAD_PORT => $port{redis});
    my $conf = slurp("$dir/base.conf");
    for my $d (qw(AppVerifyApiKeyFile AppVerifySessionKeyFile)) {
        my $line = defined $keys{$d} ? "$d $keys{$d}" : '';
        $conf =~ s/^\Q$d\E\s.*$/$line/m or die "no line $d";
    }
    open my $fh, '>', "$dir/httpd.conf" or die;
    print $fh $conf;
    close $fh;
    my $out = `/usr/sbin/apache2 -t -f $dir/httpd.conf 2>&1`;
    return ($? >> 8, $out);
}

my $d = "$root/t/data";
my %before = (AppVerifyApiKeyFile => "$d/api.key",
              AppVerifySessionKeyFile => "$d/session.key");
my %rotating = (AppVerifyApiKeyFile => "$d/api-new.key previous=$d/api.key",
                AppVerifySessionKeyFile =>
                    "$d/session-new.key previous=$d/session.key");
my %after = (AppVerifyApiKeyFile => "$d/api-new.key",
             AppVerifySessionKeyFile => "$d/session-new.key");

# --- what apache2 -t refuses ----------------------------------------------

my ($rc, $out) = configure(AppVerifyApiKeyFile =>
                           "$d/api-new.key previous=$d/no-such.key",
                           AppVerifySessionKeyFile => "$d/session.key");
isnt($rc, 0, 'a missing previous API key file is refused');
like($out, qr/AppVerifyApiKeyFile: cannot open ".*no-such\.key"/, '... naming it');

($rc, $out) = configure(AppVerifyApiKeyFile => "$d/api-new.key previous=$d/bad.key",
                        AppVerifySessionKeyFile => "$d/session.key");
isnt($rc, 0, 'a previous API key file that is not base64 is refused');
like($out, qr/key file ".*bad\.key" does not hold a base64 API key/, '... naming it');
unlike($out, qr/not base64 at all/, '... never printing it');

($rc, $out) = configure(AppVerifyApiKeyFile => "$d/api.key",
                        AppVerifySessionKeyFile =>
                            "$d/session-new.key previous=$d/bad.key");
isnt($rc, 0, 'a previous session key file shorter than 32 bytes is refused');
like($out, qr/key file ".*bad\.key" must hold 32 to/, '... naming it');

($rc, $out) = configure(AppVerifyApiKeyFile => "$d/api-new.key previous=",
                        AppVerifySessionKeyFile => "$d/session.key");
isnt($rc, 0, 'previous= without a file is refused');
like($out, qr/invalid parameter "previous="/, '... naming the parameter');

($rc, $out) = configure(%rotating);
is($rc, 0, 'keys in rotation are a valid configuration') or diag($out);
unlike($out, qr/TE8sTgg45yusumoN6BYsBVkh|bmV3LWFwaS1rZXk|session-secret/,
       '... and no key is printed');

# --- before the rotation ------------------------------------------------------

$redis = start_redis(port => $port{redis}, dir => "$dir/redis");
($rc, $out) = configure(%before);
is($rc, 0, 'the configuration before the rotation') or diag($out);
start_httpd(conf => "$dir/httpd.conf", dir => $dir, port => $port{httpd});
$up = 1;

my $ua = LWP::UserAgent->new(timeout => 10, keep_alive => 0);

sub req {
    my ($method, $uri, $body, @h) = @_;
    my $r = HTTP::Request->new($method, "http://127.0.0.1:$port{httpd}$uri", \@h);
    $r->content($body) if defined $body;
    return $ua->request($r);
}

sub cred {
    my ($xid, $secret) = @_;
    return (Authorization => 'Bearer '
            . AppVerify::Test::credential($xid, int(time()) + 3600, $secret));
}

sub callback {
    my ($xid, $phone, $key, %a) = @_;
    my $cb = AppVerify::Test::callback_body(xid => $xid, phone => $phone, %a);
    my $sig = AppVerify::Test::b64(hmac_sha256($cb, $key));
    return req('POST', '/callback', $cb, 'X-TS-Authorization' => $sig,
               'Content-Type' => 'application/json');
}

sub gate { return req('GET', '/account/index.html', undef, cred(@_)) }

my %phone = ('rot-h1' => '15558810001', 'rot-h2' => '15558810002',
             'rot-h3' => '15558810003', 'rot-h4' => '15558810004');

for my $xid (qw(rot-h1 rot-h2)) {
    my $r = req('GET', "/token?phone=$phone{$xid}&xid=$xid");
    is($r->code, 200, "before: a token for $xid");
}

my $r = callback('rot-h1', $phone{'rot-h1'}, $old_api);
is($r->code, 200, 'before: the callback signed with the old API key verifies rot-h1');
is(gate('rot-h1', $old_session)->code, 200, 'before: the old session passes the gate');
is(gate('rot-h1', $new_session)->code, 401, 'before: the new secret is not known yet');

# --- the graceful restart into the rotation, under load ----------------------

# children asking the gate with the session issued before the rotation
my $load_secs = 0;
my @kids;
pipe(my $rd, my $wr) or die "pipe: $!";

for my $k (1 .. 4) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        close $rd;
        my $kua = LWP::UserAgent->new(timeout => 10, keep_alive => 0);
        my %n;
        my $stop = time + 20;
        my $quit = 0;
        local $SIG{TERM} = sub { $quit = 1 };
        while (!$quit && time < $stop) {
            my $q = HTTP::Request->new('GET',
                        "http://127.0.0.1:$port{httpd}/account/index.html",
                        [ cred('rot-h1', $old_session) ]);
            $n{ $kua->request($q)->code }++;
        }
        print $wr join(' ', map { "$_=$n{$_}" } sort keys %n), "\n";
        close $wr;
        _exit(0);
    }
    push @kids, $pid;
}
close $wr;

sleep 0.5;
($rc, $out) = configure(%rotating);
is($rc, 0, 'the configuration in rotation') or diag($out);
system('/usr/sbin/apache2', '-f', "$dir/httpd.conf", '-k', 'graceful') == 0
    or die "apache2 -k graceful failed\n";

# the new generation is serving once the new secret is known
my $deadline = time + 15;
my $live = 0;
while (time < $deadline) {
    if (gate('rot-h1', $new_session)->code == 200) { $live = 1; last }
    sleep 0.1;
}
ok($live, 'after the graceful restart the new session secret is known');
sleep 0.5;

kill 'TERM', @kids;
my %codes;
while (my $line = <$rd>) {
    for (split ' ', $line) {
        my ($c, $n) = split /=/;
        $codes{$c} += $n;
    }
}
waitpid($_, 0) for @kids;
my $total = 0;
$total += $_ for values %codes;
ok($total >= 20, "the load sent $total requests across the restart");
is($codes{401} // 0, 0, 'not one 401 for the session issued before the rotation')
    or diag(join ' ', map { "$_: $codes{$_}" } sort keys %codes);
is(join(',', sort keys %codes), '200', '... every one of them passed');

# --- in rotation -----------------------------------------------------------

is(gate('rot-h1', $old_session)->code, 200, 'rotating: the old session passes');
is(gate('rot-h1', $new_session)->code, 200, 'rotating: a new session passes');
$r = gate('rot-h1', $unknown_session);
is($r->code, 401, 'rotating: a session of an unknown secret is refused');
like($r->content, qr/^\{"error":"bad_credential"/, '... bad_credential');

$r = callback('rot-h2', $phone{'rot-h2'}, $unknown_api, code => 1801);
is($r->code, 401, 'rotating: a callback signed with an unknown key is refused');
like($r->content, qr/^\{"error":"bad_signature"/, '... bad_signature');
$r = callback('rot-h2', $phone{'rot-h2'}, $old_api);
is($r->code, 200, 'rotating: a callback signed with the previous API key is accepted');
like($r->content, qr/"xid":"rot-h2","state":"verified"/, '... and applied');

is(req('GET', "/token?phone=$phone{'rot-h3'}&xid=rot-h3")->code, 200,
   'rotating: a token for rot-h3');
$r = callback('rot-h3', $phone{'rot-h3'}, $new_api);
is($r->code, 200, 'rotating: a callback signed with the new API key is accepted');

# a new token: JWT and session signed with the new keys only
$r = req('GET', "/token?phone=$phone{'rot-h4'}&xid=rot-h4", undef,
         Accept => 'application/json');
is($r->code, 200, 'rotating: a token for rot-h4');
my ($jwt, $session) = $r->content =~ /"token":"([^"]+)".*"session":"([^"]+)"/;
my ($h, $c, $s) = split /\./, $jwt // '';
is(AppVerify::Test::b64url(hmac_sha256("$h.$c", $new_api)), $s,
   '... its JWT is signed with the new API key');
isnt(AppVerify::Test::b64url(hmac_sha256("$h.$c", $old_api)), $s,
     '... not with the previous one');
my ($sx, $se) = ($session // '') =~ /^(.+)\.(\d+)\.[^.]+$/;
is(AppVerify::Test::credential($sx, $se, $new_session), $session,
   '... its session is signed with the new secret');
isnt(AppVerify::Test::credential($sx, $se, $old_session), $session,
     '... not with the previous one');

# --- after: previous= dropped ----------------------------------------------

($rc, $out) = configure(%after);
is($rc, 0, 'the configuration after the rotation') or diag($out);
system('/usr/sbin/apache2', '-f', "$dir/httpd.conf", '-k', 'graceful') == 0
    or die "apache2 -k graceful failed\n";

$deadline = time + 15;
$live = 0;
while (time < $deadline) {
    if (gate('rot-h1', $old_session)->code == 401) { $live = 1; last }
    sleep 0.1;
}
ok($live, 'after: the old session is refused once previous= is dropped');
$r = gate('rot-h1', $old_session);
like($r->content, qr/^\{"error":"bad_credential"/, '... bad_credential');
is(gate('rot-h1', $new_session)->code, 200, 'after: a new session passes');
is(callback('rot-h2', $phone{'rot-h2'}, $old_api)->code, 401,
   'after: a callback signed with the old API key is refused');

done_testing();
