#!/usr/bin/python3
"""Checks ActiveMQ's consumer-side features with stomp.py (Debian's python3-stomp): message groups, exclusive
consumers, consumer priority and selectors, as an application leaving ActiveMQ uses them.

Usage: /usr/bin/python3 dispatch_check.py HOST PORT SCENARIO
Scenarios that run whole: groups, exclusive, priority.
Scenarios in two phases around a failover or restart (the test kills the broker between them, the destination
names are fixed so the second phase finds what the first left): groups-send, groups-drain.

Prints one JSON line and exits 0 when the broker behaved as ActiveMQ would, 1 with a message when it did not.
"""
import uuid

import stomp_py_check as base
from stomp_py_check import check, close, open_connection

GROUPS_QUEUE = "/queue/interop.py.groups.failover"


def send_all(conn, listener, destination, messages):
    """Sends (body, headers) pairs, each with a receipt, and waits for every receipt."""
    receipts = []
    for i, (body, headers) in enumerate(messages):
        receipt = f"s-{i}-{uuid.uuid4().hex[:6]}"
        receipts.append(receipt)
        conn.send(destination, body, headers=dict(headers, receipt=receipt))
    listener.wait_receipts(receipts)


def subscribe(conn, listener, destination, sub_id, **headers):
    receipt = "sub-" + sub_id
    conn.subscribe(destination, id=sub_id, ack="client-individual", headers=dict(headers, receipt=receipt))
    listener.wait_receipts([receipt])


def drain(conn, listener, count, what):
    """Receives and acks exactly count messages; returns (body, headers) in arrival order."""
    got = []
    for i in range(count):
        frame = listener.next_message(f"{what}: message {i + 1} of {count}")
        got.append((frame.body, frame.headers))
        conn.ack(frame.headers["ack"])
    return got


def group_messages(groups, per_group):
    return [(f"{g}-{i}", {"JMSXGroupID": g, "persistent": "true"}) for i in range(per_group) for g in groups]


def check_groups_split(received, groups, per_group):
    """Every group's messages at exactly one consumer, in order, none missing or twice."""
    owners = {}
    for consumer, messages in received.items():
        for body, _ in messages:
            group = body.split("-")[0]
            check(owners.setdefault(group, consumer) == consumer, f"group {group} went to two consumers: {received}")
    for group in groups:
        consumer = owners.get(group)
        check(consumer is not None, f"group {group} never arrived")
        bodies = [b for b, _ in received[consumer] if b.startswith(group + "-")]
        check(bodies == [f"{group}-{i}" for i in range(per_group)], f"group {group} arrived as {bodies}")
    return owners


def receive_groups(host, port, destination, groups, per_group):
    """Two consumers take the queue; returns who got which group."""
    conns = [open_connection(host, port) for _ in range(2)]
    for n, (conn, listener) in enumerate(conns):
        subscribe(conn, listener, destination, f"c{n}")
    received = {n: [] for n in range(2)}
    total = len(groups) * per_group
    while sum(len(v) for v in received.values()) < total:
        progressed = False
        for n, (conn, listener) in enumerate(conns):
            while not listener.messages.empty():
                frame = listener.messages.get_nowait()
                received[n].append((frame.body, frame.headers))
                conn.ack(frame.headers["ack"])
                progressed = True
        if not progressed:
            # Nothing waiting anywhere: block on the first consumer a while (bounded), then look again.
            conn, listener = conns[0]
            frame = listener.next_message(f"{total - sum(len(v) for v in received.values())} more group messages")
            received[0].append((frame.body, frame.headers))
            conn.ack(frame.headers["ack"])
    for conn, listener in conns:
        listener.expect_silence(0.3, "after every group message arrived")
        close(conn, listener)
    owners = check_groups_split(received, groups, per_group)
    for consumer, messages in received.items():
        firsts = [b for b, h in messages if h.get("JMSXGroupFirstForConsumer") == "true"]
        mine = sorted(g for g, c in owners.items() if c == consumer)
        check(sorted(b.split("-")[0] for b in firsts) == mine and all(b.endswith("-0") for b in firsts),
              f"consumer {consumer}: JMSXGroupFirstForConsumer on {firsts}, owns {mine}")
    return {"owners": owners}


def groups(host, port):
    destination = f"/queue/interop.py.groups.{uuid.uuid4().hex[:8]}"
    names, per_group = ["A", "B", "C", "D"], 5
    producer, plistener = open_connection(host, port)
    send_all(producer, plistener, destination, group_messages(names, per_group))
    close(producer, plistener)
    return receive_groups(host, port, destination, names, per_group)


def groups_send(host, port):
    producer, plistener = open_connection(host, port)
    send_all(producer, plistener, GROUPS_QUEUE, group_messages(["A", "B", "C", "D"], 5))
    close(producer, plistener)
    return {"sent": 20}


def groups_drain(host, port):
    return receive_groups(host, port, GROUPS_QUEUE, ["A", "B", "C", "D"], 5)


def exclusive(host, port):
    destination = f"/queue/interop.py.exclusive.{uuid.uuid4().hex[:8]}"
    plain, plain_listener = open_connection(host, port)
    subscribe(plain, plain_listener, destination, "plain")
    first, first_listener = open_connection(host, port)
    subscribe(first, first_listener, destination, "first", **{"activemq.exclusive": "true"})
    second, second_listener = open_connection(host, port)
    subscribe(second, second_listener, destination, "second", **{"activemq.exclusive": "true"})

    send_all(first, first_listener, destination, [(f"m{i}", {}) for i in range(5)])
    got = [b for b, _ in drain(first, first_listener, 5, "the exclusive consumer")]
    check(got == [f"m{i}" for i in range(5)], f"exclusive consumer got {got}")
    close(first, first_listener)

    send_all(second, second_listener, destination, [("after", {})])
    got = [b for b, _ in drain(second, second_listener, 1, "the next exclusive consumer, after the first left")]
    check(got == ["after"], f"second exclusive consumer got {got}")
    plain_listener.expect_silence(0.3, "a plain consumer beside an exclusive one")
    close(second, second_listener)
    close(plain, plain_listener)
    return {"exclusive": "first, then second"}


def priority(host, port):
    destination = f"/queue/interop.py.priority.{uuid.uuid4().hex[:8]}"
    low, low_listener = open_connection(host, port)
    subscribe(low, low_listener, destination, "low", **{"activemq.priority": "1", "activemq.prefetchSize": "10"})
    high, high_listener = open_connection(host, port)
    subscribe(high, high_listener, destination, "high", **{"activemq.priority": "9", "activemq.prefetchSize": "3"})

    send_all(high, high_listener, destination, [(f"m{i}", {}) for i in range(5)])
    high_got = []
    for i in range(3):
        high_got.append(high_listener.next_message(f"message {i} for the high-priority consumer").body)
    low_got = [b for b, _ in drain(low, low_listener, 2, "the low-priority consumer, once the high one is full")]
    check(high_got == ["m0", "m1", "m2"], f"high-priority consumer (prefetch 3) got {high_got}")
    check(low_got == ["m3", "m4"], f"low-priority consumer got {low_got}")
    close(high, high_listener)
    close(low, low_listener)
    return {"high": high_got, "low": low_got}


SCENARIOS = {
    "groups": groups,
    "groups-send": groups_send,
    "groups-drain": groups_drain,
    "exclusive": exclusive,
    "priority": priority,
}

if __name__ == "__main__":
    import os
    import sys
    code = base.main(SCENARIOS)
    sys.stdout.flush()
    os._exit(code)
