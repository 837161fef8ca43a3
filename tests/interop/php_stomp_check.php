<?php
// Checks a STOMP broker with PHP's stomp extension (Debian's php-stomp), which speaks STOMP 1.0: it sends no
// accept-version, reads frames that end with NUL and a newline, and never unescapes headers.
//
// Usage: php php_stomp_check.php HOST PORT SCENARIO
// Scenarios: roundtrip, transaction, badlogin.
//
// Prints one JSON line ({"scenario":..., "ok":..., ...}) and exits 0 when the broker behaved as a PHP
// application expects, 1 with a message when it did not, 2 on bad usage, 3 when the whole run took too long.

const HARD_TIMEOUT_S = 45;
const WAIT_S = 10;
const USER = 'admin';
const PASSWORD = 'admin';

final class CheckFailed extends Exception
{
}

function check(bool $condition, string $message): void
{
    if (!$condition) {
        throw new CheckFailed($message);
    }
}

function open_connection(string $url, string $passcode = PASSWORD): Stomp
{
    $stomp = new Stomp($url, USER, $passcode);
    $stomp->setReadTimeout(WAIT_S);
    return $stomp;
}

function unique(string $name): string
{
    return "/queue/interop.php.$name." . bin2hex(random_bytes(4));
}

/** The next MESSAGE; a RECEIPT that arrives first is skipped, anything else or a silence of WAIT_S fails. */
function next_message(Stomp $stomp, string $what): StompFrame
{
    $deadline = microtime(true) + WAIT_S;
    while (microtime(true) < $deadline) {
        $frame = $stomp->readFrame();
        if ($frame === false) {
            break;
        }
        if ($frame->command === 'MESSAGE') {
            return $frame;
        }
        check($frame->command === 'RECEIPT', "while waiting for $what: {$frame->command} " . json_encode($frame->headers));
    }
    throw new CheckFailed("no MESSAGE within " . WAIT_S . " s while waiting for $what (" . $stomp->error() . ")");
}

/** Nothing but receipts for $seconds. */
function expect_silence(Stomp $stomp, float $seconds, string $what): void
{
    $stomp->setReadTimeout((int)$seconds, (int)(fmod($seconds, 1) * 1e6));
    try {
        while (($frame = $stomp->readFrame()) !== false) {
            check($frame->command === 'RECEIPT', "unexpected {$frame->command} ($what): " . json_encode($frame->headers) . ' body ' . json_encode($frame->body));
        }
    } finally {
        $stomp->setReadTimeout(WAIT_S);
    }
}

function roundtrip(string $url): array
{
    // What an application ported from ActiveMQ does: receipted SENDs, then a client-individual subscriber that
    // gets many MESSAGE frames in one read.
    $count = 50;
    $destination = unique('roundtrip');
    $stomp = open_connection($url);
    for ($i = 0; $i < $count; $i++) {
        $sent = $stomp->send($destination, "message $i \u{e9}\u{2713}", [
            'receipt' => "send-$i", 'x-index' => (string)$i, 'x-colon' => 'a:b:c', 'x-back' => 'c\\d', 'persistent' => 'true',
        ]);
        check($sent, "SEND $i was not receipted: " . $stomp->error());
    }
    $stomp->subscribe($destination, ['id' => 'sub-1', 'ack' => 'client-individual']);
    for ($i = 0; $i < $count; $i++) {
        $frame = next_message($stomp, "message $i of $count");
        $h = $frame->headers;
        check($frame->body === "message $i \u{e9}\u{2713}", "message $i: body " . json_encode($frame->body));
        check(($h['x-index'] ?? null) === (string)$i, "message $i: x-index " . json_encode($h));
        check(($h['x-colon'] ?? null) === 'a:b:c', "message $i: x-colon (1.0 has no escaping) " . json_encode($h['x-colon'] ?? null));
        check(($h['x-back'] ?? null) === 'c\\d', "message $i: x-back (1.0 has no escaping) " . json_encode($h['x-back'] ?? null));
        check(($h['destination'] ?? null) === $destination, "message $i: destination " . json_encode($h['destination'] ?? null));
        check(isset($h['message-id']), "message $i: no message-id in " . json_encode($h));
        check($stomp->ack($frame), "ACK of message $i failed: " . $stomp->error());
    }
    expect_silence($stomp, 0.3, "after all $count");
    check($stomp->unsubscribe($destination, ['id' => 'sub-1', 'receipt' => 'unsub']), 'UNSUBSCRIBE was not receipted: ' . $stomp->error());
    unset($stomp); // DISCONNECT

    // Everything was acknowledged: a new consumer gets nothing.
    $stomp = open_connection($url);
    $stomp->subscribe($destination, ['id' => 'again', 'ack' => 'client-individual', 'receipt' => 'sub-again']);
    expect_silence($stomp, 1.0, 'all were acked, yet one came back');
    return ['messages' => $count];
}

function transaction(string $url): array
{
    $destination = unique('tx');
    $stomp = open_connection($url);
    $stomp->subscribe($destination, ['id' => 's', 'ack' => 'client', 'receipt' => 'sub']);

    check($stomp->begin('tx-aborted'), 'BEGIN failed: ' . $stomp->error());
    $stomp->send($destination, 'aborted-1', ['transaction' => 'tx-aborted']);
    $stomp->send($destination, 'aborted-2', ['transaction' => 'tx-aborted']);
    check($stomp->abort('tx-aborted', ['receipt' => 'abort']), 'ABORT was not receipted: ' . $stomp->error());

    $stomp->begin('tx-committed');
    $stomp->send($destination, 'committed-1', ['transaction' => 'tx-committed']);
    $stomp->send($destination, 'committed-2', ['transaction' => 'tx-committed']);
    expect_silence($stomp, 0.5, 'a SEND inside an open transaction was delivered');
    check($stomp->commit('tx-committed', ['receipt' => 'commit']), 'COMMIT was not receipted: ' . $stomp->error());

    $first = [next_message($stomp, 'committed message 1'), next_message($stomp, 'committed message 2')];
    check(array_map(fn($f) => $f->body, $first) === ['committed-1', 'committed-2'], 'received ' . json_encode(array_map(fn($f) => $f->body, $first)));

    // An ACK in an aborted transaction removes nothing ('client': one ACK covers both): they come back.
    $stomp->begin('tx-ack-aborted');
    $stomp->ack($first[1], ['transaction' => 'tx-ack-aborted']);
    check($stomp->abort('tx-ack-aborted', ['receipt' => 'abort-ack']), 'ABORT of the ACK was not receipted: ' . $stomp->error());
    unset($stomp);

    $stomp = open_connection($url);
    $stomp->subscribe($destination, ['id' => 's2', 'ack' => 'client']);
    $again = [next_message($stomp, 'redelivery 1 after the aborted ACK'), next_message($stomp, 'redelivery 2 after the aborted ACK')];
    $bodies = array_map(fn($f) => $f->body, $again);
    sort($bodies);
    check($bodies === ['committed-1', 'committed-2'], 'redelivered ' . json_encode($bodies));
    foreach ($again as $frame) {
        check(($frame->headers['redelivered'] ?? null) === 'true', 'redelivery lacks redelivered:true: ' . json_encode($frame->headers));
    }

    $last = $again[0]->body === 'committed-2' ? $again[0] : $again[1];
    $stomp->begin('tx-ack');
    $stomp->ack($last, ['transaction' => 'tx-ack']);
    check($stomp->commit('tx-ack', ['receipt' => 'commit-ack']), 'COMMIT of the ACK was not receipted: ' . $stomp->error());
    expect_silence($stomp, 0.5, 'an aborted SEND arrived, or an acked message came back');
    unset($stomp);

    $stomp = open_connection($url);
    $stomp->subscribe($destination, ['id' => 's3', 'ack' => 'client', 'receipt' => 'sub-again']);
    expect_silence($stomp, 1.0, 'the committed ACK did not remove the messages');
    return ['received' => array_map(fn($f) => $f->body, $first)];
}

function badlogin(string $url): array
{
    try {
        $stomp = open_connection($url, 'wrong-' . PASSWORD);
    } catch (StompException $e) {
        // 1.0 has no header escaping: the message header must read as the broker wrote it.
        check($e->getMessage() === 'login failed: unknown user or wrong passcode', 'ERROR message ' . json_encode($e->getMessage()));
        return ['broker_message' => $e->getMessage()];
    }
    throw new CheckFailed('a wrong passcode was accepted');
}

function main(array $argv): int
{
    $scenarios = ['roundtrip', 'transaction', 'badlogin'];
    if (count($argv) !== 4 || !in_array($argv[3], $scenarios, true)) {
        fwrite(STDERR, "usage: {$argv[0]} HOST PORT {" . implode('|', $scenarios) . "}\n");
        return 2;
    }
    [, $host, $port, $scenario] = $argv;
    $result = ['scenario' => $scenario, 'ok' => false];
    if (!extension_loaded('stomp')) {
        echo json_encode($result + ['error' => "PHP's stomp extension is missing; run ./test.sh or apt-get install php-stomp"]), "\n";
        return 1;
    }
    if (function_exists('pcntl_alarm')) { // Debian's php-cli has it; the test's own timeout is the backstop
        pcntl_async_signals(true);
        pcntl_signal(SIGALRM, function () use ($result) {
            echo json_encode($result + ['error' => 'timed out after ' . HARD_TIMEOUT_S . 's']), "\n";
            exit(3);
        });
        pcntl_alarm(HARD_TIMEOUT_S);
    }
    $started = microtime(true);
    try {
        $details = $scenario("tcp://$host:$port");
    } catch (Throwable $e) { // a client-side failure (refused connection, ERROR) is a failure too
        echo json_encode($result + ['error' => ($e instanceof CheckFailed ? '' : get_class($e) . ': ') . $e->getMessage()]), "\n";
        return 1;
    }
    echo json_encode(['scenario' => $scenario, 'ok' => true, 'client' => 'php-stomp ' . phpversion('stomp'),
        'seconds' => round(microtime(true) - $started, 2)] + $details), "\n";
    return 0;
}

exit(main($argv));
