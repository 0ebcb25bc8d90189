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

($rc, $out) = syntax('AppVerifyCache' => 'AppVerifyCache nosuch:x');
isnt($rc, 0, 'an unknown socache provider fails');
like($out, qr/unknown socache provider "nosuch"/, '... naming it');

($rc, $out) = syntax('    AppVerifyRate 1r/m' => '    AppVerifyRate fast');
isnt($rc, 0, 'an invalid rate fails');
like($out, qr/invalid rate "fast"/, '... naming the value');

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

for my $case (['AppVerifyClientLimit rate=fast', 'rate=fast'],
              ['AppVerifyClientLimit rate=0r/s', 'rate=0r/s'],
              ['AppVerifyClientLimit rate=1r/m burst=-1', 'burst=-1'],
              ['AppVerifyClientLimit rate=1r/m digits=8', 'digits=8'],
              ['AppVerifyPrefixLimit digits=1 rate=1r/m', 'digits=1'],
              ['AppVerifyPrefixLimit digits=16 rate=1r/m', 'digits=16'])
{
    my ($line, $param) = @$case;
    my ($name) = $line =~ /^(\S+)/;
    my $orig = $name eq 'AppVerifyClientLimit' ? '    AppVerifyClientLimit rate=1r/m burst=1'
                                               : '    AppVerifyPrefixLimit digits=8 rate=1r/m burst=1';
    ($rc, $out) = syntax($orig => "    $line");
    isnt($rc, 0, "$line fails");
    like($out, qr/$name: invalid parameter "\Q$param\E"/, '... naming the parameter');
}

($rc, $out) = syntax('    AppVerifyClientLimit rate=1r/m burst=1' => '    AppVerifyClientLimit rate=1r/m burst=1 off');
isnt($rc, 0, 'a client limit with too many parameters fails');

($rc, $out) = syntax('AppVerifyCustomerId' => '');
isnt($rc, 0, 'an API key without a customer id fails');
like($out, qr/needs both AppVerifyCustomerId and AppVerifyApiKeyFile/, '... saying so');

done_testing();
