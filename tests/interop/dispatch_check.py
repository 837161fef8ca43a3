#!/usr/bin/python3
"""Checks ActiveMQ's consumer-side features with stomp.py (Debian's python3-stomp): message groups, exclusive
consumers, consumer priority and selectors, as an application leaving ActiveMQ uses them.

Usage: /usr/bin/python3 dispatch_check.py HOST PORT SCENARIO
Scenarios that run whole: groups, exclusive, priority, selector-queue, selector-topic, selector-bad.
Scenarios in phases around a failover or restart (the test kills the broker between them; the destination
names are fixed so a later phase finds what an earlier one left): groups-send, groups-drain;
durable-selector-subscribe, durable-selector-send, durable-selector-drain.

Prints one JSON line and exits 0 when the broker behaved as ActiveMQ would, 1 with a message when it did not.
"""
import uuid

import stomp_py_check as base
from stomp_py_check import check, close, open_connection

GROUPS_QUEUE = "/queue/interop.py.groups.failover"
DURABLE_TOPIC = "/topic/interop.py.durable-selector.failover"
DURABLE_CLIENT = "py-durable-selector"
DURABLE_HEADERS = {"activemq.subscriptionName": "orders-eu", "selector": "region = 'EU' AND amount > 100"}


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


def orders(count):
    """count orders each of EU/US and small/large amounts; exactly the EU orders over 100 match DURABLE_HEADERS's selector."""
    result = []
    for i in range(count):
        region = "EU" if i % 2 == 0 else "US"
        amount = 150 if i % 4 < 2 else 50
        result.append((f"{region}-{amount}-{i}", {"region": region, "amount": str(amount), "persistent": "true"}))
    return result


def matching(messages):
    return [b for b, h in messages if h["region"] == "EU" and int(h["amount"]) > 100]


def selector_queue(host, port):
    destination = f"/queue/interop.py.selector.{uuid.uuid4().hex[:8]}"
    eu, eu_listener = open_connection(host, port)
    subscribe(eu, eu_listener, destination, "eu", selector="region = 'EU'")
    us, us_listener = open_connection(host, port)
    subscribe(us, us_listener, destination, "us", selector="region IN ('US') AND amount BETWEEN 0 AND 1000")
    sent = orders(8) + [("nobody", {"region": "ASIA", "amount": "1"})]
    send_all(eu, eu_listener, destination, sent)
    eu_got = [b for b, _ in drain(eu, eu_listener, 4, "EU orders")]
    us_got = [b for b, _ in drain(us, us_listener, 4, "US orders")]
    check(eu_got == [b for b, h in sent if h["region"] == "EU"], f"EU consumer got {eu_got}")
    check(us_got == [b for b, h in sent if h["region"] == "US"], f"US consumer got {us_got}")
    eu_listener.expect_silence(0.3, "a message no selector matches")
    us_listener.expect_silence(0.1, "a message no selector matches")
    close(us, us_listener)
    close(eu, eu_listener)
    # The unmatched message waited without blocking the others; a consumer without a selector takes it.
    anyone, listener = open_connection(host, port)
    subscribe(anyone, listener, destination, "anyone")
    got = [b for b, _ in drain(anyone, listener, 1, "the message no selector matched")]
    check(got == ["nobody"], f"consumer without selector got {got}")
    close(anyone, listener)
    return {"eu": len(eu_got), "us": len(us_got)}


def selector_topic(host, port):
    destination = f"/topic/interop.py.selector.{uuid.uuid4().hex[:8]}"
    big, big_listener = open_connection(host, port)
    subscribe(big, big_listener, destination, "big", selector="amount > 100")
    everything, all_listener = open_connection(host, port)
    subscribe(everything, all_listener, destination, "all")
    sent = orders(8)
    send_all(big, big_listener, destination, sent)
    big_got = [b for b, _ in drain(big, big_listener, 4, "orders over 100")]
    all_got = [b for b, _ in drain(everything, all_listener, 8, "every order")]
    check(big_got == [b for b, h in sent if int(h["amount"]) > 100], f"selecting subscriber got {big_got}")
    check(all_got == [b for b, _ in sent], f"plain subscriber got {all_got}")
    big_listener.expect_silence(0.3, "an order of 100 or less")
    close(big, big_listener)
    close(everything, all_listener)
    return {"selected": len(big_got), "all": len(all_got)}


def selector_bad(host, port):
    conn, listener = open_connection(host, port)
    conn.subscribe(f"/queue/interop.py.bad.{uuid.uuid4().hex[:8]}", id="bad", headers={"selector": "region = 'EU' AND"})
    check(listener.disconnected.wait(base.WAIT_S), "the broker kept a connection whose SUBSCRIBE had a bad selector")
    check(listener.errors, "no ERROR for a bad selector")
    message = listener.errors[0].headers.get("message", "")
    check("selector" in message and "position 18" in message, f"the ERROR does not name the selector's fault and position: {message!r}")
    return {"error": message}


def durable_selector_subscribe(host, port):
    conn, listener = open_connection(host, port, headers={"client-id": DURABLE_CLIENT})
    subscribe(conn, listener, DURABLE_TOPIC, "d", **DURABLE_HEADERS)
    close(conn, listener)
    return {"subscribed": DURABLE_HEADERS["selector"]}


def durable_selector_send(host, port):
    producer, listener = open_connection(host, port)
    send_all(producer, listener, DURABLE_TOPIC, orders(20))
    close(producer, listener)
    return {"sent": 20, "matching": len(matching(orders(20)))}


def durable_selector_drain(host, port):
    conn, listener = open_connection(host, port, headers={"client-id": DURABLE_CLIENT})
    subscribe(conn, listener, DURABLE_TOPIC, "d", **DURABLE_HEADERS)
    expected = matching(orders(20))
    got = [b for b, _ in drain(conn, listener, len(expected), "orders the durable selector matches")]
    check(got == expected, f"durable subscriber got {got}, expected {expected}")
    listener.expect_silence(0.5, "an order the durable selector does not match")
    close(conn, listener)
    return {"received": len(got)}


def durable_delete(host, port):
    """ActiveMQ's way: once the subscriber is gone, UNSUBSCRIBE naming the subscription on a new connection deletes it."""
    topic = f"/topic/interop.py.durable-delete.{uuid.uuid4().hex[:8]}"
    client_id = "py-durable-delete-" + uuid.uuid4().hex[:8]
    durable = {"activemq.subscriptionName": "to-delete"}
    conn, listener = open_connection(host, port, headers={"client-id": client_id})
    subscribe(conn, listener, topic, "d", **durable)
    close(conn, listener)

    conn, listener = open_connection(host, port, headers={"client-id": client_id})
    conn.unsubscribe("d", headers=dict(durable, receipt="unsub"))
    listener.wait_receipts(["unsub"])
    send_all(conn, listener, topic, [("sent-after-delete", {"persistent": "true"})])
    subscribe(conn, listener, topic, "d", **durable)
    listener.expect_silence(0.5, "a message sent while the durable subscription was deleted")
    conn.unsubscribe("d", headers=dict(durable, receipt="unsub2"))
    listener.wait_receipts(["unsub2"])
    close(conn, listener)
    return {"deleted": True}


SCENARIOS = {
    "groups": groups,
    "groups-send": groups_send,
    "groups-drain": groups_drain,
    "exclusive": exclusive,
    "priority": priority,
    "selector-queue": selector_queue,
    "selector-topic": selector_topic,
    "selector-bad": selector_bad,
    "durable-delete": durable_delete,
    "durable-selector-subscribe": durable_selector_subscribe,
    "durable-selector-send": durable_selector_send,
    "durable-selector-drain": durable_selector_drain,
}

if __name__ == "__main__":
    import os
    import sys
    code = base.main(SCENARIOS)
    sys.stdout.flush()
    os._exit(code)
