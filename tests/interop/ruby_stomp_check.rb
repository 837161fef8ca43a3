#!/usr/bin/ruby
# Checks a STOMP broker with Ruby's stomp gem (Debian's ruby-stomp), through Stomp::Connection as a STOMP 1.0
# application uses it: no accept-version, no heart-beat.
#
# Usage: ruby ruby_stomp_check.rb HOST PORT SCENARIO
# Scenarios: roundtrip, transaction, badlogin.
#
# Prints one JSON line ({"scenario":..., "ok":..., ...}) and exits 0 when the broker behaved as a Ruby
# application expects, 1 with a message when it did not, 2 on bad usage, 3 when the whole run took too long.
require 'json'
require 'securerandom'
require 'timeout'

HARD_TIMEOUT_S = 45
WAIT_S = 10
USER = 'admin'
PASSWORD = 'admin'

class CheckFailed < StandardError
end

def check(condition, message)
  raise CheckFailed, message unless condition
end

def unique(name)
  "/queue/interop.ruby.#{name}.#{SecureRandom.hex(4)}"
end

# A 1.0 connection: the gem speaks 1.0 unless accept-version and host are among the connect headers.
def open_connection(host, port, passcode: PASSWORD)
  Stomp::Connection.new(hosts: [{ login: USER, passcode: passcode, host: host, port: port }], reliable: false,
                        connect_timeout: WAIT_S, connread_timeout: WAIT_S, closed_check: false)
end

def connected(host, port)
  conn = open_connection(host, port)
  frame = conn.connection_frame
  check(frame && frame.command == 'CONNECTED', "no CONNECTED: #{frame&.command} #{frame&.headers}")
  # The gem sent no heart-beat header: the broker says it will neither send nor expect beats.
  beats = frame.headers['heart-beat'] || '0,0'
  check(beats == '0,0', "CONNECTED offers heart-beat #{beats.inspect} to a client that sent none")
  version = frame.headers['version'] || '1.0'
  check(version == '1.0', "CONNECTED says version #{version} to a 1.0 client")
  conn
end

# The next frame, or nil after `timeout` seconds of silence (poll never blocks on an idle socket).
def next_frame(conn, timeout = WAIT_S)
  deadline = Time.now + timeout
  loop do
    frame = conn.poll
    return frame if frame
    return nil if Time.now >= deadline

    sleep 0.01
  end
end

def next_message(conn, what)
  while (frame = next_frame(conn))
    return frame if frame.command == 'MESSAGE'

    check(frame.command == 'RECEIPT', "while waiting for #{what}: #{frame.command} #{frame.headers} #{frame.body}")
  end
  raise CheckFailed, "no MESSAGE within #{WAIT_S} s while waiting for #{what}"
end

def wait_receipt(conn, id, early)
  while (frame = next_frame(conn))
    return if frame.command == 'RECEIPT' && frame.headers['receipt-id'] == id

    # A committed SEND may be delivered before the COMMIT's RECEIPT.
    if frame.command == 'MESSAGE'
      early << frame
      next
    end
    check(frame.command == 'RECEIPT', "while waiting for RECEIPT #{id}: #{frame.command} #{frame.headers} #{frame.body}")
  end
  raise CheckFailed, "no RECEIPT #{id} within #{WAIT_S} s"
end

def expect_silence(conn, seconds, what)
  deadline = Time.now + seconds
  while (left = deadline - Time.now) > 0
    frame = next_frame(conn, left) or return
    check(frame.command == 'RECEIPT', "unexpected #{frame.command} (#{what}): #{frame.headers} body #{frame.body.inspect}")
  end
end

def body_text(frame)
  frame.body.dup.force_encoding(Encoding::UTF_8)
end

def roundtrip(host, port)
  count = 50
  destination = unique('roundtrip')
  conn = connected(host, port)
  early = []
  # No backslash in a header: the gem unescapes headers even in 1.0 (its issue #160), whatever the broker writes.
  count.times do |i|
    conn.publish(destination, "message #{i} \u00e9\u2713",
                 'receipt' => "send-#{i}", 'x-index' => i.to_s, 'x-colon' => 'a:b:c', 'persistent' => 'true')
    wait_receipt(conn, "send-#{i}", early)
  end
  conn.subscribe(destination, { 'ack' => 'client-individual', 'id' => 'sub-1' })
  count.times do |i|
    frame = next_message(conn, "message #{i} of #{count}")
    h = frame.headers
    check(body_text(frame) == "message #{i} \u00e9\u2713", "message #{i}: body #{body_text(frame).inspect}")
    check(h['x-index'] == i.to_s, "message #{i}: x-index in #{h}")
    check(h['x-colon'] == 'a:b:c', "message #{i}: x-colon in #{h}")
    check(h['destination'] == destination, "message #{i}: destination in #{h}")
    check(h['persistent'] == 'true', "message #{i}: persistent in #{h}")
    conn.ack(h['message-id'])
  end
  expect_silence(conn, 0.3, "after all #{count}")
  conn.unsubscribe(destination, { 'id' => 'sub-1', 'receipt' => 'unsub' })
  wait_receipt(conn, 'unsub', early)
  conn.disconnect

  # Everything was acknowledged: a new consumer gets nothing.
  conn = connected(host, port)
  conn.subscribe(destination, { 'ack' => 'client-individual', 'id' => 'again', 'receipt' => 'sub-again' })
  expect_silence(conn, 1.0, 'all were acked, yet one came back')
  conn.disconnect
  { messages: count }
end

def transaction(host, port)
  destination = unique('tx')
  conn = connected(host, port)
  early = []
  conn.subscribe(destination, { 'ack' => 'client', 'id' => 's', 'receipt' => 'sub' })
  wait_receipt(conn, 'sub', early)

  conn.begin('tx-aborted')
  conn.publish(destination, 'aborted-1', 'transaction' => 'tx-aborted')
  conn.publish(destination, 'aborted-2', 'transaction' => 'tx-aborted')
  conn.abort('tx-aborted', 'receipt' => 'abort')
  wait_receipt(conn, 'abort', early)

  conn.begin('tx-committed')
  conn.publish(destination, 'committed-1', 'transaction' => 'tx-committed')
  conn.publish(destination, 'committed-2', 'transaction' => 'tx-committed')
  expect_silence(conn, 0.5, 'a SEND inside an open transaction was delivered')
  conn.commit('tx-committed', 'receipt' => 'commit')
  wait_receipt(conn, 'commit', early)

  first = Array.new(2) { |i| early.shift || next_message(conn, "committed message #{i + 1}") }
  bodies = first.map(&:body)
  check(bodies == %w[committed-1 committed-2], "received #{bodies}")

  # An ACK in an aborted transaction removes nothing ('client': one ACK covers both): they come back.
  conn.begin('tx-ack-aborted')
  conn.ack(first[1].headers['message-id'], 'transaction' => 'tx-ack-aborted')
  conn.abort('tx-ack-aborted', 'receipt' => 'abort-ack')
  wait_receipt(conn, 'abort-ack', early)
  conn.disconnect
  early.clear # whatever came back on that connection went back to the queue with it

  conn = connected(host, port)
  conn.subscribe(destination, { 'ack' => 'client', 'id' => 's2' })
  again = Array.new(2) { |i| next_message(conn, "redelivery #{i + 1} after the aborted ACK") }
  check(again.map(&:body).sort == %w[committed-1 committed-2], "redelivered #{again.map(&:body)}")
  again.each { |f| check(f.headers['redelivered'] == 'true', "redelivery lacks redelivered:true: #{f.headers}") }

  last = again.find { |f| f.body == 'committed-2' }
  conn.begin('tx-ack')
  conn.ack(last.headers['message-id'], 'transaction' => 'tx-ack')
  conn.commit('tx-ack', 'receipt' => 'commit-ack')
  wait_receipt(conn, 'commit-ack', early)
  check(early.empty?, "unexpected MESSAGE: #{early.first&.headers}")
  expect_silence(conn, 0.5, 'an aborted SEND arrived, or an acked message came back')
  conn.disconnect

  conn = connected(host, port)
  conn.subscribe(destination, { 'ack' => 'client', 'id' => 's3', 'receipt' => 'sub-again' })
  expect_silence(conn, 1.0, 'the committed ACK did not remove the messages')
  conn.disconnect
  { received: bodies }
end

def badlogin(host, port)
  error = open_connection(host, port, passcode: "wrong-#{PASSWORD}").connection_frame
  check(error && error.command == 'ERROR', "a wrong passcode was answered with #{error&.command}")
  # 1.0 has no header escaping: the message header must read as the broker wrote it.
  message = error.headers['message']
  check(message == 'login failed: unknown user or wrong passcode', "ERROR message #{message.inspect}")
  { broker_message: message }
end

SCENARIOS = { 'roundtrip' => :roundtrip, 'transaction' => :transaction, 'badlogin' => :badlogin }.freeze

def main
  unless ARGV.length == 3 && SCENARIOS.key?(ARGV[2])
    warn "usage: #{$PROGRAM_NAME} HOST PORT {#{SCENARIOS.keys.join('|')}}"
    return 2
  end
  host, port, scenario = ARGV[0], Integer(ARGV[1]), ARGV[2]
  $stdout.sync = true
  begin
    require 'stomp'
  rescue LoadError => e
    puts JSON.generate(scenario: scenario, ok: false, error: "stomp gem missing (#{e.message}); run ./test.sh or apt-get install ruby-stomp")
    return 1
  end
  started = Time.now
  begin
    details = Timeout.timeout(HARD_TIMEOUT_S) { send(SCENARIOS[scenario], host, port) }
  rescue Timeout::Error
    puts JSON.generate(scenario: scenario, ok: false, error: "timed out after #{HARD_TIMEOUT_S}s")
    return 3
  rescue CheckFailed => e
    puts JSON.generate(scenario: scenario, ok: false, error: e.message)
    return 1
  rescue StandardError => e # a client-side failure (refused connection, a raise inside the gem) is a failure too
    puts JSON.generate(scenario: scenario, ok: false, error: "#{e.class}: #{e.message}")
    return 1
  end
  puts JSON.generate({ scenario: scenario, ok: true, client: "ruby-stomp #{Stomp::Version::STRING}",
                       seconds: (Time.now - started).round(2) }.merge(details))
  0
end

# The gem's threads must not keep us alive.
exit!(main)
