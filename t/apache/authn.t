# "AuthType appverify": the gate as httpd's authentication.  A verified
# session's phone is r->user: %u logs it, REMOTE_USER reaches a proxied
# app, "Require valid-user" lets it in, alone and inside <RequireAny> /
# <RequireAll>; refusals keep the gate's statuses and JSON bodies.
# Without an AuthType (the shared scenarios' /account/) there is no user.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use LWP::UserAgent ();
use HTTP::Request ();
use File::Path qw(make_path remove_tree);
use Cwd qw(getcwd);
use AppVerify::Test;
use AppVerify::Servers qw(render start_httpd stop_httpd);

my $root = $ENV{AV_ROOT} // getcwd();
my $port = $ENV{AV_AUTHN_PORT} // 19866;
my $dir = "$root/t/servroot-apache/authn";
my $up;

END { local $?; stop_httpd(dir => $dir) if $up; }
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

remove_tree($dir);
make_path("$dir/logs", "$dir/run", "$dir/html");
chmod 0755, $dir, "$dir/html", "$dir/run";
open my $fh, '>', "$dir/html/index.html" or die;
print $fh "members only\n";
close $fh;
render("t/both-servers/conf/httpd.conf.in", "$dir/httpd.conf",
       SERVROOT => $dir, PORT => $port, ROOT => $root,
       MODULE => "$root/build/mod_appverify.so",
       CACHE => "shmcb:$dir/run/av(1048576)", SIM_PORT => 19890,
       DEAD_PORT => 19899);
start_httpd(conf => "$dir/httpd.conf", dir => $dir, port => $port);
$up = 1;

my $ua = LWP::UserAgent->new(timeout => 10, keep_alive => 0);

sub req {
    my ($method, $uri, $body, @h) = @_;
    my $r = HTTP::Request->new($method, "http://127.0.0.1:$port$uri", \@h);
    $r->content($body) if defined $body;
    return $ua->request($r);
}

# a session in the state Telesign's $code gives it; returns its cookie
sub session {
    my ($xid, $phone, $code) = @_;
    my $r = req('GET', "/token?phone=$phone&xid=$xid");
    is($r->code, 200, "token for $xid");
    if (defined $code) {
        my $cb = AppVerify::Test::callback_body(xid => $xid, phone => $phone,
                                                code => $code);
        my ($auth) = AppVerify::Test::tsa_header($cb) =~ /^Authorization: (.*)$/;
        $r = req('POST', '/callback', $cb, Authorization => $auth,
                 'Content-Type' => 'application/json');
        is($r->code, 200, "callback $code for $xid");
    }
    return 'appverify=' . AppVerify::Test::credential($xid);
}

my $phone = '15558801001';
my $verified = session('authn-ok', $phone, 1800);
my $pending = session('authn-pending', '15558801002');
my $failed = session('authn-failed', '15558801003', 1803);

for my $loc (qw(authn authn-valid authn-any authn-all)) {
    my $r = req('GET', "/$loc/index.html", undef, Cookie => $verified);
    is($r->code, 200, "/$loc/: a verified session is let in");
    is($r->header('X-User') // '', $phone, "/$loc/: ... as the user $phone");
    is($r->content, "members only\n", "/$loc/: ... to the page");

    $r = req('GET', "/$loc/index.html");
    is($r->code, 401, "/$loc/: no credential is 401");
    like($r->content, qr/^\{"error":"no_credential"/, "/$loc/: ... with the gate's JSON");
    is($r->header('WWW-Authenticate') // '', 'Bearer realm="appverify"',
       "/$loc/: ... and the Bearer challenge");

    $r = req('GET', "/$loc/index.html", undef, Cookie => $pending);
    is($r->code, 401, "/$loc/: a pending session is 401");
    like($r->content, qr/^\{"error":"pending"/, "/$loc/: ... pending");

    $r = req('GET', "/$loc/index.html", undef, Cookie => $failed);
    is($r->code, 403, "/$loc/: a failed verification is 403");
    like($r->content, qr/^\{"error":"failed"/, "/$loc/: ... failed");

    $r = req('GET', "/$loc/index.html", undef,
             Cookie => 'appverify=' . AppVerify::Test::credential('authn-ok', undef, 'x' x 32));
    is($r->code, 401, "/$loc/: a credential signed with another secret is 401");
    like($r->content, qr/^\{"error":"bad_credential"/, "/$loc/: ... bad_credential");
}

# REMOTE_USER reaches the app behind ProxyPass (RequestHeader from it)
my $r = req('GET', '/authn-app/index.html', undef, Cookie => $verified);
is($r->code, 200, 'proxied: let in');
is($r->header('X-Seen-User') // '', $phone, 'proxied: the app saw REMOTE_USER');
$r = req('GET', '/authn-app/index.html', undef, Cookie => $pending);
is($r->code, 401, 'proxied: a pending session never reaches the app');

# %u in the access log
open my $log, '<', "$dir/logs/user.log" or die "user.log: $!";
my @lines = <$log>;
ok((grep { $_ eq "$phone /authn/index.html\n" } @lines), '%u logs the phone');
ok((grep { $_ eq "- /authn/index.html\n" } @lines), '... and "-" for a refused request');

# without an AuthType the gate sets no user
$r = req('GET', '/account/index.html', undef, Cookie => $verified);
is($r->code, 200, 'Require appverify-verified without AuthType: let in');
is($r->header('X-User') // '', '', '... with no user');

done_testing();
