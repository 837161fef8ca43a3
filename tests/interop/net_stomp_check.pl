#!/usr/bin/perl
# Checks a STOMP broker with Perl's Net::Stomp (Debian's libnet-stomp-perl), which speaks STOMP 1.0: no
# accept-version, no heart-beat, no header escaping.
#
# Usage: perl net_stomp_check.pl HOST PORT SCENARIO
# Scenarios: roundtrip, transaction, badlogin.
#
# Prints one JSON line ({"scenario":..., "ok":..., ...}) and exits 0 when the broker behaved as a Perl
# application expects, 1 with a message when it did not, 2 on bad usage, 3 when the whole run took too long.
use strict;
use warnings;
use Encode qw(encode_utf8 decode_utf8);
use JSON::PP;
use Time::HiRes qw(time);

use constant { HARD_TIMEOUT_S => 45, WAIT_S => 10, USER => 'admin', PASSWORD => 'admin' };

my $json = JSON::PP->new->canonical;
my ($host, $port, $scenario) = @ARGV;

sub fail_check { die { check => $_[0] } }

sub check {
    my ($condition, $message) = @_;
    fail_check($message) unless $condition;
}

sub headers_text { $json->encode($_[0]->headers) }

sub unique {
    my ($name) = @_;
    return sprintf('/queue/interop.perl.%s.%08x', $name, int(rand(0xffffffff)));
}

sub open_connection {
    my (%options) = @_;
    my $stomp = Net::Stomp->new({ hostname => $host, port => $port, timeout => WAIT_S, reconnect_attempts => 1 });
    my $connected = $stomp->connect({ login => USER, passcode => $options{passcode} // PASSWORD });
    return ($stomp, $connected);
}

sub connected_stomp {
    my ($stomp, $connected) = open_connection();
    check($connected && $connected->command eq 'CONNECTED', 'no CONNECTED: ' . ($connected ? $connected->command . ' ' . headers_text($connected) : 'nothing'));
    # A 1.0 client sent no heart-beat header: the broker says it will neither send nor expect beats.
    my $beats = $connected->headers->{'heart-beat'} // '0,0';
    check($beats eq '0,0', "CONNECTED offers heart-beat '$beats' to a client that sent none");
    my $version = $connected->headers->{version} // '1.0';
    check($version eq '1.0', "CONNECTED says version $version to a 1.0 client");
    return $stomp;
}

# The next frame, or undef after $timeout (default WAIT_S) seconds of silence.
sub next_frame {
    my ($stomp, $timeout) = @_;
    return $stomp->receive_frame({ timeout => $timeout // WAIT_S });
}

# MESSAGE frames that arrived while a RECEIPT was awaited (a committed SEND may be delivered before the COMMIT's
# RECEIPT), in order.
my %early;

sub next_message {
    my ($stomp, $what) = @_;
    my $waiting = $early{$stomp} //= [];
    return shift @$waiting if @$waiting;
    while (my $frame = next_frame($stomp)) {
        return $frame if $frame->command eq 'MESSAGE';
        check($frame->command eq 'RECEIPT', "while waiting for $what: " . $frame->command . ' ' . headers_text($frame) . ' ' . ($frame->body // ''));
    }
    fail_check('no MESSAGE within ' . WAIT_S . " s while waiting for $what");
}

sub wait_receipt {
    my ($stomp, $id) = @_;
    while (my $frame = next_frame($stomp)) {
        return if $frame->command eq 'RECEIPT' && $frame->headers->{'receipt-id'} eq $id;
        if ($frame->command eq 'MESSAGE') {
            push @{ $early{$stomp} //= [] }, $frame;
            next;
        }
        check($frame->command eq 'RECEIPT', "while waiting for RECEIPT $id: " . $frame->command . ' ' . headers_text($frame) . ' ' . ($frame->body // ''));
    }
    fail_check("no RECEIPT $id within " . WAIT_S . ' s');
}

sub expect_silence {
    my ($stomp, $seconds, $what) = @_;
    my $waiting = $early{$stomp} // [];
    fail_check("unexpected MESSAGE ($what): " . headers_text($waiting->[0]) . ' body ' . ($waiting->[0]->body // '')) if @$waiting;
    my $deadline = time() + $seconds;
    while ((my $left = $deadline - time()) > 0) {
        my $frame = next_frame($stomp, $left) or return;
        check($frame->command eq 'RECEIPT', "unexpected " . $frame->command . " ($what): " . headers_text($frame) . ' body ' . ($frame->body // ''));
    }
}

sub command {
    my ($stomp, $command, %headers) = @_;
    $stomp->send_frame(Net::Stomp::Frame->new({ command => $command, headers => \%headers }));
    wait_receipt($stomp, $headers{receipt}) if $headers{receipt};
}

sub roundtrip {
    my $count = 50;
    my $destination = unique('roundtrip');
    my $stomp = connected_stomp();
    for my $i (0 .. $count - 1) {
        $stomp->send({ destination => $destination, body => encode_utf8("message $i \x{e9}\x{2713}"), receipt => "send-$i",
            'x-index' => $i, 'x-colon' => 'a:b:c', 'x-back' => 'c\\d' });
        wait_receipt($stomp, "send-$i");
    }
    $stomp->subscribe({ destination => $destination, id => 'sub-1', ack => 'client-individual' });
    for my $i (0 .. $count - 1) {
        my $frame = next_message($stomp, "message $i of $count");
        my $h = $frame->headers;
        my $body = decode_utf8($frame->body);
        check($body eq "message $i \x{e9}\x{2713}", "message $i: body " . $json->encode([$body]));
        check(($h->{'x-index'} // '') eq $i, "message $i: x-index in " . headers_text($frame));
        check(($h->{'x-colon'} // '') eq 'a:b:c', "message $i: x-colon (1.0 has no escaping) in " . headers_text($frame));
        check(($h->{'x-back'} // '') eq 'c\\d', "message $i: x-back (1.0 has no escaping) in " . headers_text($frame));
        check(($h->{destination} // '') eq $destination, "message $i: destination in " . headers_text($frame));
        $stomp->ack({ frame => $frame });
    }
    expect_silence($stomp, 0.3, "after all $count");
    command($stomp, 'UNSUBSCRIBE', id => 'sub-1', receipt => 'unsub');
    $stomp->disconnect;

    # Everything was acknowledged: a new consumer gets nothing.
    $stomp = connected_stomp();
    $stomp->subscribe({ destination => $destination, id => 'again', ack => 'client-individual', receipt => 'sub-again' });
    expect_silence($stomp, 1.0, 'all were acked, yet one came back');
    $stomp->disconnect;
    return { messages => $count };
}

sub transaction {
    my $destination = unique('tx');
    my $stomp = connected_stomp();
    $stomp->subscribe({ destination => $destination, id => 's', ack => 'client', receipt => 'sub' });
    wait_receipt($stomp, 'sub');

    command($stomp, 'BEGIN', transaction => 'tx-aborted');
    $stomp->send({ destination => $destination, body => 'aborted-1', transaction => 'tx-aborted' });
    $stomp->send({ destination => $destination, body => 'aborted-2', transaction => 'tx-aborted' });
    command($stomp, 'ABORT', transaction => 'tx-aborted', receipt => 'abort');

    command($stomp, 'BEGIN', transaction => 'tx-committed');
    $stomp->send({ destination => $destination, body => 'committed-1', transaction => 'tx-committed' });
    $stomp->send({ destination => $destination, body => 'committed-2', transaction => 'tx-committed' });
    expect_silence($stomp, 0.5, 'a SEND inside an open transaction was delivered');
    command($stomp, 'COMMIT', transaction => 'tx-committed', receipt => 'commit');

    my @first = map { next_message($stomp, "committed message $_") } 1 .. 2;
    my @bodies = map { $_->body } @first;
    check("@bodies" eq 'committed-1 committed-2', "received @bodies");

    # An ACK in an aborted transaction removes nothing ('client': one ACK covers both): they come back.
    command($stomp, 'BEGIN', transaction => 'tx-ack-aborted');
    $stomp->ack({ frame => $first[1], transaction => 'tx-ack-aborted' });
    command($stomp, 'ABORT', transaction => 'tx-ack-aborted', receipt => 'abort-ack');
    $stomp->disconnect;

    $stomp = connected_stomp();
    $stomp->subscribe({ destination => $destination, id => 's2', ack => 'client' });
    my @again = map { next_message($stomp, "redelivery $_ after the aborted ACK") } 1 .. 2;
    my @redelivered = sort map { $_->body } @again;
    check("@redelivered" eq 'committed-1 committed-2', "redelivered @redelivered");
    for my $frame (@again) {
        check(($frame->headers->{redelivered} // '') eq 'true', 'redelivery lacks redelivered:true: ' . headers_text($frame));
    }

    my ($last) = grep { $_->body eq 'committed-2' } @again;
    command($stomp, 'BEGIN', transaction => 'tx-ack');
    $stomp->ack({ frame => $last, transaction => 'tx-ack' });
    command($stomp, 'COMMIT', transaction => 'tx-ack', receipt => 'commit-ack');
    expect_silence($stomp, 0.5, 'an aborted SEND arrived, or an acked message came back');
    $stomp->disconnect;

    $stomp = connected_stomp();
    $stomp->subscribe({ destination => $destination, id => 's3', ack => 'client', receipt => 'sub-again' });
    expect_silence($stomp, 1.0, 'the committed ACK did not remove the messages');
    $stomp->disconnect;
    return { received => \@bodies };
}

sub badlogin {
    my ($stomp, $reply) = open_connection(passcode => 'wrong-' . PASSWORD);
    check($reply, 'no reply to a CONNECT with a wrong passcode');
    check($reply->command eq 'ERROR', 'a wrong passcode was answered with ' . $reply->command);
    # 1.0 has no header escaping: the message header must read as the broker wrote it.
    my $message = $reply->headers->{message} // '';
    check($message eq 'login failed: unknown user or wrong passcode', "ERROR message '$message'");
    return { broker_message => $message };
}

my %scenarios = (roundtrip => \&roundtrip, transaction => \&transaction, badlogin => \&badlogin);
if (@ARGV != 3 || !$scenarios{$scenario}) {
    print STDERR "usage: $0 HOST PORT {" . join('|', sort keys %scenarios) . "}\n";
    exit 2;
}
$| = 1;
$SIG{ALRM} = sub {
    print $json->encode({ scenario => $scenario, ok => JSON::PP::false, error => 'timed out after ' . HARD_TIMEOUT_S . 's' }), "\n";
    POSIX::_exit(3);
};
require POSIX;
alarm(HARD_TIMEOUT_S);
unless (eval { require Net::Stomp; 1 }) {
    print $json->encode({ scenario => $scenario, ok => JSON::PP::false,
        error => "Net::Stomp missing ($@); run ./test.sh or apt-get install libnet-stomp-perl" }), "\n";
    exit 1;
}
my $started = time();
my $details = eval { $scenarios{$scenario}->() };
if (my $e = $@) {
    # A client-side failure (refused connection, a die inside Net::Stomp) is a failure too.
    my $error = ref $e eq 'HASH' ? $e->{check} : "$e";
    chomp $error;
    print $json->encode({ scenario => $scenario, ok => JSON::PP::false, error => $error }), "\n";
    exit 1;
}
print $json->encode({ scenario => $scenario, ok => JSON::PP::true, client => "Net::Stomp $Net::Stomp::VERSION",
    seconds => sprintf('%.2f', time() - $started) + 0, %$details }), "\n";
exit 0;
