# The README is the page an operator reads first, often in a clone of this
# repository alone: every relative link in it resolves inside the tree.

use strict;
use warnings;
use Test::More;

my $root = $ENV{TEST_NGINX_ROOT} // '.';
open my $fh, '<', "$root/README.md" or die "README.md: $!";
my $text = do { local $/; <$fh> };

my @links = $text =~ /\]\(([^)\s]+)\)/g;
ok(@links > 0, scalar(@links) . ' links in the README');

for my $link (@links) {
    next if $link =~ m{^(?:https?|mailto):};
    (my $path = $link) =~ s/#.*//;
    next if $path eq '';
    ok($path !~ m{^\.\./}, "$link stays inside the repository");
    ok(-e "$root/$path", "$link exists");
}

done_testing();
