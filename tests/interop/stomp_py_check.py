#!/usr/bin/python3
"""Checks a STOMP broker with stomp.py (Debian's python3-stomp), an independent client.

Usage: /usr/bin/python3 stomp_py_check.py HOST PORT SCENARIO
Scenarios: roundtrip, v11, v10, binary, transaction, nack, durable, badlogin.

Prints one JSON line ({"scenario":..., "ok":..., ...}) and exits 0 when the broker behaved as STOMP says,
1 with a message when it did not, 2 on bad usage, 3 when the whole run took too long.
"""
import json
import os
import queue
import signal
import sys
import threading
import time
import uuid

try:
    import stomp
    from stomp.exception import ConnectFailedException
except ImportError as e:  # the pyenv python on PATH has no stomp; Debian's /usr/bin/python3 does
    print(json.dumps({"ok": False, "error": f"stomp.py missing ({e}); run ./test.sh or apt-get install python3-stomp"}))
    sys.exit(1)

HARD_TIMEOUT_S = 45
WAIT_S = 10
USER, PASSWORD = "admin", "admin"


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


class Collector(stomp.ConnectionListener):
    """Records what the broker sends; every wait is bounded."""

    def __init__(self):
        self.messages = queue.Queue()
        self.errors = []
        self._receipts = set()
        self._cond = threading.Condition()
        self.disconnected = threading.Event()
        self.connected_headers = {}

    def on_connected(self, frame):
        self.connected_headers = dict(frame.headers)

    def on_message(self, frame):
        self.messages.put(frame)

    def on_receipt(self, frame):
        with self._cond:
            self._receipts.add(frame.headers.get("receipt-id"))
            self._cond.notify_all()

    def on_error(self, frame):
        self.errors.append(frame)

    def on_disconnected(self):
        self.disconnected.set()

    def wait_receipts(self, ids, timeout=WAIT_S):
        deadline = time.monotonic() + timeout
        with self._cond:
            while not set(ids) <= self._receipts:
                left = deadline - time.monotonic()
                if left <= 0:
                    missing = sorted(set(ids) - self._receipts)
                    raise CheckFailed(f"no RECEIPT for {len(missing)} frame(s), first {missing[:3]}; errors {self.error_text()}")
                self._cond.wait(left)

    def next_message(self, what, timeout=WAIT_S):
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise CheckFailed(f"no MESSAGE within {timeout}s while waiting for {what}; errors {self.error_text()}")

    def expect_silence(self, seconds, what):
        try:
            frame = self.messages.get(timeout=seconds)
        except queue.Empty:
            return
        raise CheckFailed(f"unexpected MESSAGE ({what}): headers {frame.headers} body {frame.body!r}")

    def error_text(self):
        return [{"headers": f.headers, "body": f.body if isinstance(f.body, str) else repr(f.body)} for f in self.errors]


def open_connection(host, port, version="1.2", auto_decode=True, login=USER, passcode=PASSWORD, headers=None):
    cls = {"1.2": stomp.Connection12, "1.1": stomp.Connection11, "1.0": stomp.Connection10}[version]
    kwargs = dict(reconnect_attempts_max=1, auto_decode=auto_decode, timeout=WAIT_S)
    if version != "1.0":
        kwargs["heartbeats"] = (1000, 1000)
    conn = cls([(host, port)], **kwargs)
    listener = Collector()
    conn.set_listener("check", listener)
    conn.connect(login, passcode, wait=True, headers=headers or {})
    return conn, listener


def close(conn, listener):
    receipt = "bye-" + uuid.uuid4().hex[:8]
    conn.disconnect(receipt=receipt)
    listener.wait_receipts([receipt])


def unique(name):
    return f"/queue/interop.py.{name}.{uuid.uuid4().hex[:8]}"


def roundtrip(host, port, version):
    count = 100
    destination = unique("roundtrip" + version.replace(".", ""))
    conn, listener = open_connection(host, port, version)
    check(conn.is_connected(), "not connected")
    negotiated = listener.connected_headers.get("version", "1.0")
    check(negotiated == version, f"asked for STOMP {version}, CONNECTED says {listener.connected_headers}")
    if version != "1.0":
        beats = listener.connected_headers.get("heart-beat", "0,0")
        check(beats != "0,0", f"we offered heart-beat 1000,1000 and the broker answered {beats!r}")
        # Idle for more than two intervals: both sides' heart-beats keep the connection up.
        time.sleep(2.5)
        check(conn.is_connected() and not listener.disconnected.is_set(), f"idle connection with heart-beat {beats} was closed")
    sub_id = "sub-1"
    sub_receipt = "sub-r"
    if version == "1.0":
        conn.subscribe(destination, id=sub_id, ack="client", headers={"receipt": sub_receipt})
    else:
        conn.subscribe(destination, id=sub_id, ack="client-individual", headers={"receipt": sub_receipt})
    listener.wait_receipts([sub_receipt])

    def custom(i):
        headers = {"x-index": str(i), "x-plain": "value with spaces", "x-colon": "a:b:c", "correlation-id": f"c-{i}"}
        if version != "1.0":  # 1.1 and 1.2 escape these; 1.0 has no escaping
            headers["x-escaped"] = "line1\nline2\\back"
            headers["x-unicode"] = "h\u00e9llo \u2713"
        return headers

    receipts = []
    for i in range(count):
        receipt = f"send-{i}"
        receipts.append(receipt)
        conn.send(destination, f"message {i} \u00e9\u2713", content_type="text/plain; charset=utf-8",
                  headers=dict(custom(i), receipt=receipt))
    listener.wait_receipts(receipts)

    for i in range(count):
        frame = listener.next_message(f"message {i} of {count}")
        h = frame.headers
        check(frame.body == f"message {i} \u00e9\u2713", f"message {i}: body {frame.body!r}")
        for key, value in custom(i).items():
            check(h.get(key) == value, f"message {i}: header {key} is {h.get(key)!r}, sent {value!r}; all headers {h}")
        check(h.get("content-type") == "text/plain; charset=utf-8", f"message {i}: content-type {h.get('content-type')!r}")
        check(h.get("destination") == destination, f"message {i}: destination {h.get('destination')!r}")
        check("message-id" in h, f"message {i}: no message-id in {h}")
        if version == "1.0":
            conn.ack(h["message-id"])
        else:
            check(h.get("subscription") == sub_id, f"message {i}: subscription {h.get('subscription')!r}")
            if version == "1.2":
                check("ack" in h, f"message {i}: 1.2 MESSAGE for a client-individual subscription has no ack header: {h}")
                conn.ack(h["ack"])  # 1.2: ACK carries only the MESSAGE's ack header
            else:
                conn.ack(h["message-id"], sub_id)
    listener.expect_silence(0.3, "after all 100")
    check(not listener.errors, f"ERROR frames: {listener.error_text()}")
    close(conn, listener)

    # Everything was acknowledged: a new consumer gets nothing.
    conn, listener = open_connection(host, port, version)
    conn.subscribe(destination, id="again", ack="client" if version == "1.0" else "client-individual")
    listener.expect_silence(1.0, "all were acked, yet one came back")
    close(conn, listener)
    return {"version": negotiated, "heart_beat": listener.connected_headers.get("heart-beat"), "messages": count}


def binary(host, port):
    destination = unique("binary")
    payload = bytes(range(256)) + b"\x00\x00middle\x00" + bytes(reversed(range(256))) + b"\x00"
    conn, listener = open_connection(host, port, auto_decode=False)
    conn.subscribe(destination, id="s", ack="client-individual")
    conn.send(destination, payload, content_type="application/octet-stream", headers={"receipt": "r1"})
    listener.wait_receipts(["r1"])
    frame = listener.next_message("the binary message")
    check(isinstance(frame.body, bytes), f"body is {type(frame.body)}")
    check(frame.body == payload, f"body differs: got {len(frame.body)} bytes {frame.body[:40]!r}..., sent {len(payload)}")
    check(frame.headers.get("content-length") == str(len(payload)), f"content-length {frame.headers.get('content-length')!r}, want {len(payload)}")
    check(frame.headers.get("content-type") == "application/octet-stream", f"content-type {frame.headers.get('content-type')!r}")
    conn.ack(frame.headers["ack"])
    close(conn, listener)
    return {"bytes": len(payload), "nuls": payload.count(0)}


def transaction(host, port):
    destination = unique("tx")
    conn, listener = open_connection(host, port)
    conn.subscribe(destination, id="s", ack="client-individual", headers={"receipt": "sub"})
    listener.wait_receipts(["sub"])

    conn.begin("tx-aborted")
    conn.send(destination, "aborted-1", transaction="tx-aborted")
    conn.send(destination, "aborted-2", transaction="tx-aborted")
    listener.expect_silence(0.5, "a SEND inside an open transaction was delivered")
    conn.abort("tx-aborted", headers={"receipt": "abort"})
    listener.wait_receipts(["abort"])

    conn.begin("tx-committed")
    conn.send(destination, "committed-1", transaction="tx-committed")
    conn.send(destination, "committed-2", transaction="tx-committed")
    listener.expect_silence(0.5, "a SEND inside an open transaction was delivered")
    conn.commit("tx-committed", headers={"receipt": "commit"})
    listener.wait_receipts(["commit"])

    bodies = []
    for i in range(2):
        frame = listener.next_message(f"committed message {i + 1}")
        bodies.append(frame.body)
        conn.ack(frame.headers["ack"])
    check(bodies == ["committed-1", "committed-2"], f"received {bodies}")
    listener.expect_silence(0.5, "an aborted SEND arrived")
    check(not listener.errors, f"ERROR frames: {listener.error_text()}")
    close(conn, listener)
    return {"received": bodies}


def nack(host, port):
    destination = unique("nack")
    conn, listener = open_connection(host, port)
    conn.subscribe(destination, id="s", ack="client-individual")
    conn.send(destination, "try again", headers={"receipt": "r", "x-check": "kept"})
    listener.wait_receipts(["r"])
    first = listener.next_message("the first delivery")
    check(first.body == "try again", f"body {first.body!r}")
    check(first.headers.get("redelivered", "false") == "false", f"first delivery says redelivered: {first.headers}")
    conn.nack(first.headers["ack"])
    second = listener.next_message("the redelivery after NACK")
    check(second.body == "try again", f"redelivered body {second.body!r}")
    check(second.headers.get("redelivered") == "true", f"redelivery lacks redelivered:true: {second.headers}")
    check(second.headers.get("x-check") == "kept", f"redelivery lost a custom header: {second.headers}")
    check(second.headers.get("message-id") == first.headers.get("message-id"),
          f"message-id changed: {first.headers.get('message-id')} -> {second.headers.get('message-id')}")
    conn.ack(second.headers["ack"])
    listener.expect_silence(0.5, "acked, yet delivered again")
    close(conn, listener)
    return {"redelivered": second.headers.get("redelivered")}


def durable(host, port):
    topic = f"/topic/interop.py.durable.{uuid.uuid4().hex[:8]}"
    client_id = "py-durable-" + uuid.uuid4().hex[:8]
    sub_headers = {"activemq.subscriptionName": "sub-name", "receipt": "sub"}

    conn, listener = open_connection(host, port, headers={"client-id": client_id})
    conn.subscribe(topic, id="d", ack="client-individual", headers=dict(sub_headers))
    listener.wait_receipts(["sub"])
    conn.send(topic, "while-online", headers={"receipt": "r0"})
    listener.wait_receipts(["r0"])
    frame = listener.next_message("the message sent while online")
    check(frame.body == "while-online", f"body {frame.body!r}")
    conn.ack(frame.headers["ack"])
    close(conn, listener)

    producer, plistener = open_connection(host, port)
    for i in range(3):
        producer.send(topic, f"while-away-{i}", headers={"receipt": f"p{i}"})
    plistener.wait_receipts([f"p{i}" for i in range(3)])
    close(producer, plistener)

    conn, listener = open_connection(host, port, headers={"client-id": client_id})
    conn.subscribe(topic, id="d", ack="client-individual", headers=dict(sub_headers))
    bodies = []
    for i in range(3):
        frame = listener.next_message(f"message {i} sent while the durable subscriber was away")
        bodies.append(frame.body)
        conn.ack(frame.headers["ack"])
    check(bodies == [f"while-away-{i}" for i in range(3)], f"received {bodies}")
    conn.unsubscribe("d", headers={"activemq.subscriptionName": "sub-name", "receipt": "unsub"})
    listener.wait_receipts(["unsub"])
    close(conn, listener)
    return {"received_after_reconnect": bodies}


def badlogin(host, port):
    conn = stomp.Connection12([(host, port)], reconnect_attempts_max=1, timeout=WAIT_S)
    listener = Collector()
    conn.set_listener("check", listener)
    try:
        conn.connect(USER, "wrong-" + USER, wait=True)
    except ConnectFailedException:
        pass
    else:
        connected = conn.is_connected()
        try:
            conn.disconnect()
        except Exception:
            pass
        raise CheckFailed(f"a wrong passcode was accepted (connected={connected})")
    # The broker says why (ERROR) and closes the connection.
    deadline = time.monotonic() + WAIT_S
    while not listener.errors and time.monotonic() < deadline:
        time.sleep(0.05)
    check(listener.errors, "the connection failed without an ERROR frame")
    check(listener.disconnected.wait(WAIT_S), "the broker kept the connection open after the ERROR")
    check(not conn.is_connected(), "still connected")
    return {"broker_message": listener.errors[0].headers.get("message")}


SCENARIOS = {
    "roundtrip": lambda h, p: roundtrip(h, p, "1.2"),
    "v11": lambda h, p: roundtrip(h, p, "1.1"),
    "v10": lambda h, p: roundtrip(h, p, "1.0"),
    "binary": binary,
    "transaction": transaction,
    "nack": nack,
    "durable": durable,
    "badlogin": badlogin,
}


def main(scenarios=None):
    """Runs the scenario named on the command line; other check scripts pass their own table."""
    scenarios = scenarios or SCENARIOS
    if len(sys.argv) != 4 or sys.argv[3] not in scenarios:
        print(f"usage: {sys.argv[0]} HOST PORT {{{'|'.join(scenarios)}}}", file=sys.stderr)
        return 2
    host, port, scenario = sys.argv[1], int(sys.argv[2]), sys.argv[3]

    def too_long(*_):
        print(json.dumps({"scenario": scenario, "ok": False, "error": f"timed out after {HARD_TIMEOUT_S}s"}), flush=True)
        os._exit(3)

    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(HARD_TIMEOUT_S)
    started = time.monotonic()
    try:
        details = scenarios[scenario](host, port)
    except CheckFailed as e:
        print(json.dumps({"scenario": scenario, "ok": False, "error": str(e)}), flush=True)
        return 1
    except Exception as e:  # a client-side failure (refused connection, timeout) is a failure too
        print(json.dumps({"scenario": scenario, "ok": False, "error": f"{type(e).__name__}: {e}"}), flush=True)
        return 1
    result = {"scenario": scenario, "ok": True, "client": "stomp.py " + ".".join(map(str, stomp.__version__)),
              "seconds": round(time.monotonic() - started, 2)}
    result.update(details)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # stomp.py's receiver and heartbeat threads must not keep us alive
