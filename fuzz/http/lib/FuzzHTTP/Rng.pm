package FuzzHTTP::Rng;

# A seeded PRNG of our own (SHA-256 in counter mode), so that a seed gives
# the same request sequence on every perl and machine (perl's rand() is
# the C library's).  Every scenario gets a child stream named by the run's
# seed and its index, so one scenario can be regenerated on its own.

use strict;
use warnings;

use Digest::SHA qw(sha256);

sub new {
    my ($class, $seed) = @_;
    return bless { seed => "$seed", ctr => 0, buf => [] }, $class;
}

sub child {
    my ($self, $label) = @_;
    return FuzzHTTP::Rng->new("$self->{seed}/$label");
}

sub seed { $_[0]{seed} }

sub u32 {
    my ($self) = @_;
    unless (@{ $self->{buf} }) {
        $self->{buf} = [ unpack 'N8', sha256("$self->{seed}\0" . $self->{ctr}++) ];
    }
    return shift @{ $self->{buf} };
}

# 0 .. $n-1 (a 32-bit draw; the bias is irrelevant at our sizes)
sub below {
    my ($self, $n) = @_;
    return 0 if $n <= 1;
    return $self->u32 % $n;
}

sub range {
    my ($self, $lo, $hi) = @_;
    return $lo + $self->below($hi - $lo + 1);
}

sub chance {
    my ($self, $p) = @_;
    return $self->u32 < $p * 4294967296;
}

sub pick {
    my ($self, @a) = @_;
    return $a[ $self->below(scalar @a) ];
}

# pick from (name => weight, ...)
sub weighted {
    my ($self, @pairs) = @_;
    my $total = 0;
    for (my $i = 1; $i < @pairs; $i += 2) { $total += $pairs[$i] }
    my $x = $self->below($total);
    for (my $i = 0; $i < @pairs; $i += 2) {
        return $pairs[$i] if $x < $pairs[ $i + 1 ];
        $x -= $pairs[ $i + 1 ];
    }
    return $pairs[0];
}

sub bytes {
    my ($self, $n) = @_;
    my $out = '';
    $out .= pack 'N', $self->u32 while length($out) < $n;
    return substr($out, 0, $n);
}

sub string {
    my ($self, $n, $alphabet) = @_;
    $alphabet //= join '', 'a' .. 'z', 'A' .. 'Z', '0' .. '9';
    my $len = length $alphabet;
    return join '', map { substr($alphabet, $self->below($len), 1) } 1 .. $n;
}

sub digits { my ($self, $n) = @_; return $self->string($n, '0123456789') }

sub shuffle {
    my ($self, @a) = @_;
    for (my $i = $#a; $i > 0; $i--) {
        my $j = $self->below($i + 1);
        @a[ $i, $j ] = @a[ $j, $i ];
    }
    return @a;
}

1;
