# "apache2 -t" on configurations mod_appverify must refuse: it fails, names
# the file or the directive, and never prints the key.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use File::Path qw(make_path remove_tree);
use Cwd qw(getcwd);
use AppVerify::Servers qw(render);

my $root = $ENV{AV_ROOT} // getcwd();
my $dir = "$root/t/servroot-apache/config";
remove_tree($dir);
make_path("$dir/logs", "$dir/run", "$dir/html");

sub write_file {
    my ($f, $c) = @_;
    open my $fh, '>', $f or die "$f: $!";
    print $fh $c;
    close $fh;
}

# the suite's config, with lines swapped in
sub syntax {
    my (%swap) = @_;
    render("t/both-servers/conf/httpd.conf.in", "$dir/base.conf",
           SERVROOT => $dir, PORT => 19863, ROOT => $root,
           MODULE => "$root/build/mod_appverify.so",
           CACHE => "shmcb:$dir/run/av(65536)", SIM_PORT => 19890, DEAD_PORT => 19899);
    open my $in, '<', "$dir/base.conf" or die;
    my $conf = do { local $/; <$in> };
    while (my ($re, $line) = each %swap) {
        $conf =~ s/^\Q$re\E.*$/$line/m or die "no line $re";
    }
    write_file("$dir/httpd.conf", $conf);
    my $out = `/usr/sbin/apache2 -t -f $dir/httpd.conf 2>&1`;
    return ($? >> 8, $out);
}

my ($rc, $out) = syntax();
is($rc, 0, 'the suite config passes apache2 -t') or diag($out);

# a key file every user can read passes, with a warning naming it (nginx's too)
write_file("$dir/open.key", "VGVzdCBLZXkgZm9yIHRoZSBzdWl0ZQ==\n");
chmod 0644, "$dir/open.key";
($rc, $out) = syntax('AppVerifyApiKeyFile' => "AppVerifyApiKeyFile $dir/open.key");
is($rc, 0, 'a world-readable key file passes apache2 -t') or diag($out);
like($out, qr/AppVerifyApiKeyFile: "\Q$dir\E\/open.key" is readable by every user/,
     '... with a warning naming it');
unlike($out, qr/VGVzdCBL/, '... never the key');
chmod 0600, "$dir/open.key";
($rc, $out) = syntax('AppVerifyApiKeyFile' => "AppVerifyApiKeyFile $dir/open.key");
unlike($out, qr/open\.key" is readable by every user/,
       '... and none for a file of its owner alone');

write_file("$dir/short.key", "c2hvcnQ=\n");
($rc, $out) = syntax('AppVerifyApiKeyFile' => "AppVerifyApiKeyFile $dir/short.key");
isnt($rc, 0, 'a key that decodes to under 16 bytes fails apache2 -t');
like($out, qr/AppVerifyApiKeyFile: key file "\Q$dir\E\/short.key" does not hold a base64 API key/,
     '... naming the file');
unlike($out, qr/c2hvcnQ/, '... never the key');

($rc, $out) = syntax('AppVerifyApiKeyFile' => "AppVerifyApiKeyFile $dir/missing.key");
isnt($rc, 0, 'a missing key file fails');
like($out, qr/cannot open "\Q$dir\E\/missing.key"/, '... naming it');

write_file("$dir/session.key", "too short\n");
($rc, $out) = syntax('AppVerifySessionKeyFile' => "AppVerifySessionKeyFile $dir/session.key");
isnt($rc, 0, 'a session key under 32 bytes fails');
like($out, qr/must hold 32 to 256 bytes/, '... with the reason');
unlike($out, qr/too short/, '... never its content');

($rc, $out) = syntax('AppVerifyCustomerId' => 'AppVerifyCustomerId "bad id!"');
isnt($rc, 0, 'an invalid customer id fails');
like($out, qr/AppVerifyCustomerId: invalid customer id "bad id!": expected 1 to 64 of A-Z a-z 0-9 - _/,
     '... in the core\'s words');

($rc, $out) = syntax('AppVerifyCache' => 'AppVerifyCache nosuch:x');
isnt($rc, 0, 'an unknown socache provider fails');
like($out, qr/unknown socache provider "nosuch"/, '... naming it');

($rc, $out) = syntax('    AppVerifyRate 1r/m' => '    AppVerifyRate fast');
isnt($rc, 0, 'an invalid rate fails');
like($out, qr/AppVerifyRate: invalid rate "fast": expected Nr\/s or Nr\/m, N from 1 to 1000000/,
     '... naming the value, in the core\'s words');

($rc, $out) = syntax('    AppVerifyMaxBody 512' => '    AppVerifyMaxBody 99999');
isnt($rc, 0, 'a max body over 16k fails');

# the toll-fraud guards: nginx's rules for appverify_countries,
# appverify_client_limit and appverify_prefix_limit
($rc, $out) = syntax('    AppVerifyCountries 44 1' => '    AppVerifyCountries 44 4');
isnt($rc, 0, 'a number that is not a country calling code fails');
like($out, qr/AppVerifyCountries: "4" is not a country calling code/, '... naming it');

for my $bad ('0044', '4a', '+44', '1000') {
    ($rc, $out) = syntax('    AppVerifyCountries 44 1' => "    AppVerifyCountries $bad");
    like($out, qr/AppVerifyCountries: "\Q$bad\E" is not a country calling code/,
         "AppVerifyCountries $bad fails, naming it");
}

($rc, $out) = syntax('    AppVerifyCountries 44 1' => '    AppVerifyCountries');
isnt($rc, 0, 'AppVerifyCountries without a code fails');

($rc, $out) = syntax('    AppVerifyCountries 44 1' => "    AppVerifyCountries 44\n    AppVerifyCountries 1");
like($out, qr/AppVerifyCountries is duplicate/, 'AppVerifyCountries twice in one section fails');

($rc, $out) = syntax('    AppVerifyPrefixLimit digits=8 rate=1r/m burst=1' => '    AppVerifyPrefixLimit rate=10r/m');
isnt($rc, 0, 'a prefix limit without digits fails');
like($out, qr/AppVerifyPrefixLimit needs rate= and digits=/, '... saying so');

($rc, $out) = syntax('    AppVerifyClientLimit rate=1r/m burst=1' => '    AppVerifyClientLimit burst=3');
isnt($rc, 0, 'a client limit without a rate fails');
like($out, qr/AppVerifyClientLimit needs rate=/, '... saying so');

# a value the core refuses is named in its words; a parameter the
# directive does not take is "invalid parameter"
for my $case (['AppVerifyClientLimit rate=fast',
               'invalid rate "fast": expected Nr/s or Nr/m, N from 1 to 1000000'],
              ['AppVerifyClientLimit rate=0r/s',
               'invalid rate "0r/s": expected Nr/s or Nr/m, N from 1 to 1000000'],
              ['AppVerifyClientLimit rate=1r/m burst=-1',
               'invalid burst "-1": expected a number from 0 to 100000'],
              ['AppVerifyClientLimit rate=1r/m digits=8', 'invalid parameter "digits=8"'],
              ['AppVerifyPrefixLimit digits=1 rate=1r/m',
               'invalid digits "1": expected a number from 2 to 15'],
              ['AppVerifyPrefixLimit digits=16 rate=1r/m',
               'invalid digits "16": expected a number from 2 to 15'])
{
    my ($line, $words) = @$case;
    my ($name) = $line =~ /^(\S+)/;
    my $orig = $name eq 'AppVerifyClientLimit' ? '    AppVerifyClientLimit rate=1r/m burst=1'
                                               : '    AppVerifyPrefixLimit digits=8 rate=1r/m burst=1';
    ($rc, $out) = syntax($orig => "    $line");
    isnt($rc, 0, "$line fails");
    like($out, qr/\Q$name: $words\E/, '... naming the value');
}

($rc, $out) = syntax('    AppVerifyClientLimit rate=1r/m burst=1' => '    AppVerifyClientLimit rate=1r/m burst=1 off');
isnt($rc, 0, 'a client limit with too many parameters fails');

# The values nginx -t refuses in t/config.t, refused with the same words:
# the core's (common/av_conf.c), after the directive's name where nginx
# says "appverify: ".
my $cache = "AppVerifyCache shmcb:$dir/run/av(65536)";
for my $case (['    AppVerifyRate 1r/m', 'AppVerifyRate 0r/s',
               'invalid rate "0r/s": expected Nr/s or Nr/m, N from 1 to 1000000'],
              ['    AppVerifyRate 1r/m', 'AppVerifyRate 6r/h',
               'invalid rate "6r/h": expected Nr/s or Nr/m, N from 1 to 1000000'],
              ['    AppVerifyBurst 1', 'AppVerifyBurst -1',
               'invalid burst "-1": expected a number from 0 to 1000'],
              ['    AppVerifyBurst 1', 'AppVerifyBurst 1001',
               'invalid burst "1001": expected a number from 0 to 1000'],
              ['    AppVerifyMaxAttempts 3', 'AppVerifyMaxAttempts 0',
               'invalid attempts "0": expected a number from 1 to 10'],
              ['    AppVerifyMaxAttempts 3', 'AppVerifyMaxAttempts 11',
               'invalid attempts "11": expected a number from 1 to 10'],
              ['AppVerifyCache', "$cache\nAppVerifyRecordTTL 0",
               'invalid ttl "0": expected whole seconds from 1s to 30d (30m, 12h)'],
              ['    AppVerifyMaxBody 512', 'AppVerifyMaxBody 1x',
               'invalid max body "1x": expected a size from 1 to 16k (512, 16k)'],
              ['    AppVerifyMaxBody 512', 'AppVerifyMaxBody 1m',
               'invalid max body "1m": expected a size from 1 to 16k (512, 16k)'],
              ['    AppVerifyTokenLifetime 45s', 'AppVerifyTokenLifetime 0s',
               'invalid token lifetime "0s": expected whole seconds from 1s to 30d (30s, 5m)'],
              ['    AppVerifySessionLifetime 1h', 'AppVerifySessionLifetime 31d',
               'invalid session lifetime "31d": expected whole seconds from 1s to 30d (1h, 12h)'],
              ['    AppVerifyPendingTimeout 0', 'AppVerifyPendingTimeout 500ms',
               'invalid pending timeout "500ms": expected whole seconds from 0 to 30d (0, 60s)'],
              ['    AppVerifyLookupInterval 1', 'AppVerifyLookupInterval soon',
               'invalid lookup interval "soon": expected a time from 0 to 30d (500ms, 3s, 1m)'],
              ['    AppVerifyClientLimit rate=1r/m burst=1', 'AppVerifyClientLimit rate=1r/m burst=100001',
               'invalid burst "100001": expected a number from 0 to 100000'],
              ['    AppVerifyCountries 44 1', 'AppVerifyCountries 44 0044',
               '"0044" is not a country calling code'],
              # httpd's alone (nginx: proxy_*_timeout), by the same rule
              ['    AppVerifyTelesignTimeout 2', 'AppVerifyTelesignTimeout 0',
               'invalid timeout "0": expected whole seconds from 1s to 30d (5s, 1m)'],
              ['    AppVerifyTelesignTimeout 2', "AppVerifyTelesignTimeout 2\n    AppVerifyTelesignMaxCalls 0",
               'invalid calls "0": expected a number from 1 to 10000'],
              ['    AppVerifyTelesignTimeout 2', "AppVerifyTelesignTimeout 2\n    AppVerifyTelesignMaxCalls 10001",
               'invalid calls "10001": expected a number from 1 to 10000'])
{
    my ($orig, $line, $words) = @$case;
    my $last = (split /\n/, $line)[-1];
    my ($name) = $last =~ /^(\S+)/;
    ($rc, $out) = syntax($orig => ($orig =~ /^ / ? "    $line" : $line));
    isnt($rc, 0, "$last fails");
    like($out, qr/\Q$name: $words\E/, "... in the core's words, as nginx -t");
}

# every value at its bounds passes, in the syntax nginx takes too
($rc, $out) = syntax('AppVerifyCache' => "$cache\nAppVerifyRecordTTL 30d",
                     '    AppVerifyRate 1r/m' => '    AppVerifyRate 1000000r/s',
                     '    AppVerifyBurst 1' => '    AppVerifyBurst 1000',
                     '    AppVerifyMaxAttempts 3' => '    AppVerifyMaxAttempts 10',
                     '    AppVerifyMaxBody 512' => '    AppVerifyMaxBody 16k',
                     '    AppVerifyTokenLifetime 45s' => '    AppVerifyTokenLifetime 1s',
                     '    AppVerifySessionLifetime 1h' => '    AppVerifySessionLifetime 30d',
                     '    AppVerifyLookupInterval 1' => '    AppVerifyLookupInterval 500ms',
                     '    AppVerifyTelesignTimeout 2' => "    AppVerifyTelesignTimeout 1m30s\n    AppVerifyTelesignMaxCalls 10000",
                     '    AppVerifyClientLimit rate=1r/m burst=1' => '    AppVerifyClientLimit rate=1r/m burst=100000',
                     '    AppVerifyPrefixLimit digits=8 rate=1r/m burst=1' => '    AppVerifyPrefixLimit digits=15 rate=1r/m burst=0');
is($rc, 0, 'every value at its bounds passes apache2 -t') or diag($out);

($rc, $out) = syntax('AppVerifyCustomerId' => '');
isnt($rc, 0, 'an API key without a customer id fails');
like($out, qr/needs both AppVerifyCustomerId and AppVerifyApiKeyFile/, '... saying so');

# AppVerifyRedis: its values, refused at apache2 -t; the password file is
# read there, and never shown
write_file("$dir/redis.pass", "s3cret-redis-pw\n");
($rc, $out) = syntax('AppVerifyCache' =>
    "AppVerifyRedis 127.0.0.1:6379 password_file=$dir/redis.pass db=3 prefix=av/ timeout=500ms");
is($rc, 0, 'AppVerifyRedis with every parameter passes apache2 -t') or diag($out);
unlike($out, qr/s3cret/, '... never the password');

for my $bad (['AppVerifyRedis 127.0.0.1', qr/AppVerifyRedis: invalid address "127\.0\.0\.1": expected host:port/, 'no port'],
             ['AppVerifyRedis 127.0.0.1:0', qr/invalid address "127\.0\.0\.1:0"/, 'port 0'],
             ['AppVerifyRedis 127.0.0.1:70000', qr/invalid address/, 'a port over 65535'],
             ['AppVerifyRedis :6379', qr/invalid address/, 'no host'],
             ['AppVerifyRedis 127.0.0.1:6379 db=x', qr/AppVerifyRedis: invalid db "x"/, 'a db that is no number'],
             ['AppVerifyRedis 127.0.0.1:6379 prefix=a{b', qr/AppVerifyRedis: invalid prefix "a\{b"/, 'a brace in the prefix'],
             ['AppVerifyRedis 127.0.0.1:6379 timeout=0', qr/AppVerifyRedis: invalid timeout "0": expected a time from 1ms to 1m/, 'a timeout of 0, in the core\'s words'],
             ['AppVerifyRedis 127.0.0.1:6379 timeout=61s', qr/AppVerifyRedis: invalid timeout "61s"/, 'a timeout over a minute, as nginx'],
             ['AppVerifyRedis 127.0.0.1:6379 colour=red', qr/AppVerifyRedis: invalid parameter "colour=red"/, 'an unknown parameter'],
             ["AppVerifyRedis 127.0.0.1:6379 password_file=$dir/nosuch.pass", qr/cannot open "\Q$dir\E\/nosuch\.pass"/, 'a missing password file'],
             ["AppVerifyRedis 127.0.0.1:6379\nAppVerifyRedis 127.0.0.1:6380", qr/AppVerifyRedis is duplicate/, 'a second AppVerifyRedis']) {
    ($rc, $out) = syntax('AppVerifyCache' => $bad->[0]);
    isnt($rc, 0, "AppVerifyRedis: $bad->[2] fails apache2 -t");
    like($out, $bad->[1], '... saying why');
}

write_file("$dir/empty.pass", "\n");
($rc, $out) = syntax('AppVerifyCache' => "AppVerifyRedis 127.0.0.1:6379 password_file=$dir/empty.pass");
isnt($rc, 0, 'an empty password file fails');
like($out, qr/password file "\Q$dir\E\/empty\.pass" must hold one line/, '... naming the file');

done_testing();
