#!/usr/bin/python3
"""Checks ActiveMQ's scheduled delivery (AMQ_SCHEDULED_* SEND headers) with stomp.py (Debian's python3-stomp).

Usage: /usr/bin/python3 scheduling_check.py HOST PORT SCENARIO [ARGS]
Scenarios:
  delay                         a 2 s delay: nothing before it, the message within 3 s after it
  repeat                        delay 500, period 300, repeat 3: four deliveries, new ids, in order, then nothing
  badheader                     AMQ_SCHEDULED_DELAY=soon: an ERROR naming the header
  schedule DEST BODY DELAY_MS PERIOD_MS REPEAT
                                sends one persistent message with that schedule (receipted) and exits
  expect DEST BODY WAIT_S       the message arrives within WAIT_S seconds, once
  occurrences DEST BODY FIRST COUNT WAIT_S
                                deliveries FIRST .. FIRST+COUNT-1 of a job arrive (each within WAIT_S seconds), with
                                the ids the broker gives them (the job's id, then <job id>:<n>), then nothing for 1 s

Prints one JSON line ({"scenario":..., "ok":..., ...}) and exits 0 when the broker behaved as ActiveMQ documents,
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

import stomp_py_check as base
from stomp_py_check import CheckFailed, check, close, PASSWORD, USER, WAIT_S

import stomp

HARD_TIMEOUT_S = 80


class Collector(base.Collector):
    """stomp_py_check's listener, keeping the monotonic time each MESSAGE arrived: (time, frame) pairs."""

    def __init__(self):
        super().__init__()
        self.error_event = threading.Event()

    def on_message(self, frame):
        self.messages.put((time.monotonic(), frame))

    def on_error(self, frame):
        super().on_error(frame)
        self.error_event.set()

    def wait_receipt(self, receipt, timeout=WAIT_S):
        self.wait_receipts([receipt], timeout)

    def expect_silence(self, seconds, what):
        try:
            _, frame = self.messages.get(timeout=max(0.0, seconds))
        except queue.Empty:
            return
        raise CheckFailed(f"unexpected MESSAGE ({what}): headers {frame.headers} body {frame.body!r}")


def connect(host, port):
    conn = stomp.Connection12([(host, port)], reconnect_attempts_max=1, heartbeats=(1000, 1000), timeout=WAIT_S)
    listener = Collector()
    conn.set_listener("check", listener)
    conn.connect(USER, PASSWORD, wait=True)
    return conn, listener


def subscribed(host, port, destination):
    conn, listener = connect(host, port)
    conn.subscribe(destination, id="s", ack="client-individual", headers={"receipt": "sub"})
    listener.wait_receipt("sub")
    return conn, listener


def unique(name):
    return f"/queue/scheduling.py.{name}.{uuid.uuid4().hex[:8]}"


def delay(host, port):
    destination = unique("delay")
    conn, listener = subscribed(host, port, destination)
    sent = time.monotonic()
    conn.send(destination, "later", headers={"AMQ_SCHEDULED_DELAY": "2000", "persistent": "true", "receipt": "r1"})
    listener.wait_receipt("r1")
    listener.expect_silence(2.0 - 0.05 - (time.monotonic() - sent), "before its 2 s delay")
    at, frame = listener.next_message("the delayed message", timeout=3.0 + 2.0 - (time.monotonic() - sent))
    elapsed_ms = (at - sent) * 1000
    check(elapsed_ms >= 1980, f"delivered after {elapsed_ms:.0f} ms, before its 2000 ms delay")
    check(frame.body == "later", f"body {frame.body!r}")
    check(frame.headers.get("AMQ_SCHEDULED_DELAY") == "2000", f"the schedule headers are not kept: {frame.headers}")
    check(frame.headers.get("scheduledJobId"), f"no scheduledJobId header: {frame.headers}")
    conn.ack(frame.headers["ack"])
    listener.expect_silence(0.5, "a delay delivers once")
    close(conn, listener)
    return {"elapsed_ms": round(elapsed_ms)}


def repeat(host, port):
    destination = unique("repeat")
    conn, listener = subscribed(host, port, destination)
    sent = time.monotonic()
    conn.send(destination, "tick", headers={"AMQ_SCHEDULED_DELAY": "500", "AMQ_SCHEDULED_PERIOD": "300",
                                            "AMQ_SCHEDULED_REPEAT": "3", "receipt": "r1"})
    listener.wait_receipt("r1")
    times, ids, jobs = [], [], set()
    for i in range(4):
        at, frame = listener.next_message(f"delivery {i + 1} of 4")
        check(frame.body == "tick", f"delivery {i + 1}: body {frame.body!r}")
        times.append(round((at - sent) * 1000))
        ids.append(frame.headers["message-id"])
        jobs.add(frame.headers.get("scheduledJobId"))
        conn.ack(frame.headers["ack"])
    # Never early: delivery k is due 500 + 300 k ms after the send at the soonest. (Gaps between arrivals are not
    # checked: a stall of this client or the machine delays some arrivals and not others, which is not the broker's
    # doing; the broker's own spacing of late repeats is a unit test with a hand-moved clock.)
    earliest = [500 + 300 * k - 20 for k in range(4)]
    check(all(t >= e for t, e in zip(times, earliest)), f"deliveries {times} ms after the send: one came before {earliest}")
    check(len(set(ids)) == 4, f"repeats need new message ids: {ids}")
    check(len(jobs) == 1 and None not in jobs, f"every delivery carries the same scheduledJobId: {jobs}")
    listener.expect_silence(1.0, "after 1 + 3 repeats")
    close(conn, listener)
    return {"at_ms": times}


def badheader(host, port):
    conn, listener = connect(host, port)
    conn.send(unique("bad"), "x", headers={"AMQ_SCHEDULED_DELAY": "soon", "receipt": "r1"})
    check(listener.error_event.wait(WAIT_S), "no ERROR for AMQ_SCHEDULED_DELAY=soon")
    message = listener.errors[0].headers.get("message", "")
    check("AMQ_SCHEDULED_DELAY" in message, f"the ERROR does not name the header: {message!r}")
    return {"error": message}


def schedule(host, port, destination, body, delay_ms, period_ms, repeat):
    conn, listener = connect(host, port)
    conn.send(destination, body, headers={"AMQ_SCHEDULED_DELAY": delay_ms, "AMQ_SCHEDULED_PERIOD": period_ms,
                                          "AMQ_SCHEDULED_REPEAT": repeat, "persistent": "true", "receipt": "r1"})
    listener.wait_receipt("r1")
    close(conn, listener)
    return {"destination": destination, "delay_ms": int(delay_ms), "period_ms": int(period_ms), "repeat": int(repeat)}


def occurrences(host, port, destination, body, first, count, wait_s):
    conn, listener = subscribed(host, port, destination)
    ids = []
    for k in range(int(count)):
        n = int(first) + k
        at, frame = listener.next_message(f"delivery {n} of {body!r} on {destination}", timeout=float(wait_s))
        check(frame.body == body, f"delivery {n}: body {frame.body!r}, want {body!r}")
        job = frame.headers.get("scheduledJobId")
        want = job if n == 0 else f"{job}:{n}"
        check(job and frame.headers.get("message-id") == want,
              f"delivery {n}: message-id {frame.headers.get('message-id')!r}, want {want!r} (a repeat of an earlier occurrence?)")
        ids.append(frame.headers["message-id"])
        conn.ack(frame.headers["ack"])
    listener.expect_silence(1.0, f"after deliveries {first}..{int(first) + int(count) - 1}")
    close(conn, listener)
    return {"message_ids": ids}


def expect(host, port, destination, body, wait_s):
    conn, listener = subscribed(host, port, destination)
    at, frame = listener.next_message(f"{body!r} on {destination}", timeout=float(wait_s))
    check(frame.body == body, f"body {frame.body!r}, want {body!r}")
    check(frame.headers.get("scheduledJobId"), f"no scheduledJobId: {frame.headers}")
    conn.ack(frame.headers["ack"])
    listener.expect_silence(1.0, "a scheduled message delivered twice")
    close(conn, listener)
    return {"message_id": frame.headers["message-id"]}


SCENARIOS = {"delay": (delay, 0), "repeat": (repeat, 0), "badheader": (badheader, 0), "schedule": (schedule, 5), "expect": (expect, 3),
             "occurrences": (occurrences, 5)}


def main():
    if len(sys.argv) < 4 or sys.argv[3] not in SCENARIOS or len(sys.argv) != 4 + SCENARIOS[sys.argv[3]][1]:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    signal.signal(signal.SIGALRM, lambda *_: (print(json.dumps({"scenario": sys.argv[3], "ok": False, "error": "timed out"}), flush=True), os._exit(3)))
    signal.alarm(HARD_TIMEOUT_S)
    host, port, scenario = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    function, _ = SCENARIOS[scenario]
    try:
        result = function(host, port, *sys.argv[4:])
    except (CheckFailed, stomp.exception.StompException, OSError) as e:
        print(json.dumps({"scenario": scenario, "ok": False, "error": f"{type(e).__name__}: {e}"}), flush=True)
        sys.exit(1)
    print(json.dumps(dict({"scenario": scenario, "ok": True}, **result)), flush=True)


if __name__ == "__main__":
    main()
