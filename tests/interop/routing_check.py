#!/usr/bin/python3
"""Checks ActiveMQ's destination features of a STOMP broker with stomp.py (Debian's python3-stomp).

Usage: /usr/bin/python3 routing_check.py HOST PORT SCENARIO
Scenarios: wildcard_topic, wildcard_queue, composite, virtual_topic, advisory.

Prints one JSON line and exits 0 when the broker behaved as ActiveMQ does, 1 when it did not, 2 on bad usage,
3 when the run took too long. Absence is checked without sleeping: a marker sent after what must not arrive
has to be the next message on the same subscription.
"""
import json
import os
import sys
import uuid

from stomp_py_check import check, close, open_connection, WAIT_S  # noqa: E402


def tag():
    return uuid.uuid4().hex[:8]


def subscribe(conn, listener, destination, sub_id, ack="auto"):
    receipt = f"sub-{sub_id}"
    conn.subscribe(destination, id=sub_id, ack=ack, headers={"receipt": receipt})
    listener.wait_receipts([receipt])


def send(conn, listener, destination, body, **headers):
    receipt = "send-" + tag()
    conn.send(destination, body, headers=dict(headers, receipt=receipt))
    listener.wait_receipts([receipt])


def receive(listener, count, what):
    return [listener.next_message(f"{what} ({i + 1} of {count})") for i in range(count)]


def expect_refused_send(host, port, destination):
    conn, listener = open_connection(host, port)
    conn.send(destination, "must be refused", headers={"receipt": "refused"})
    check(listener.disconnected.wait(WAIT_S), f"SEND to {destination} was not refused")
    check(listener.errors, f"SEND to {destination}: the connection closed without an ERROR")
    return listener.errors[0].headers.get("message")


def wildcard_topic(host, port):
    base = f"interop.price.{tag()}"
    conn, listener = open_connection(host, port)
    send(conn, listener, f"/topic/{base}.stock.existing", "topic existed before the subscription")
    subscribe(conn, listener, f"/topic/{base}.stock.>", "w")
    sends = [
        (f"/topic/{base}.bond.x", "other branch", False),
        (f"/topic/{base}.stock.existing", "existing topic", True),
        (f"/topic/{base}.stocks.x", "another element", False),
        (f"/topic/{base}.stock", "the parent: '>' matches no element too (ActiveMQ 5.17)", True),
        (f"/topic/{base}.stock.nyse.ibm", "topic created after the subscription", True),
        (f"/topic/{base}.stock.end", "end marker", True),
    ]
    for destination, body, _ in sends:
        send(conn, listener, destination, body)
    want = [(d, b) for d, b, matches in sends if matches]
    frames = receive(listener, len(want), "the matching topics' messages")
    got = [(f.headers.get("destination"), f.body) for f in frames]
    check(got == want, f"the wildcard subscription received {got}, expected {want}")
    close(conn, listener)
    refusal = expect_refused_send(host, port, f"/topic/{base}.>")
    return {"received": len(got), "send_to_wildcard": refusal}


def wildcard_queue(host, port):
    base = f"interop.orders.{tag()}"
    conn, listener = open_connection(host, port)
    send(conn, listener, f"/queue/{base}.eu", "waiting in an existing queue", persistent="true")
    send(conn, listener, f"/queue/{base}.eu.paris", "too deep for '*'", persistent="true")
    subscribe(conn, listener, f"/queue/{base}.*", "w", ack="client-individual")
    first = listener.next_message("the message of the existing queue")
    check(first.body == "waiting in an existing queue", f"first delivery {first.body!r} from {first.headers.get('destination')}")
    send(conn, listener, f"/queue/{base}.us", "sent to a queue created later", persistent="true")
    second = listener.next_message("the message of the new queue")
    check(second.headers.get("destination") == f"/queue/{base}.us", f"second delivery came from {second.headers.get('destination')}")
    conn.ack(first.headers["ack"])
    conn.nack(second.headers["ack"])
    again = listener.next_message("the NACKed message again")
    check(again.body == second.body and again.headers.get("redelivered") == "true", f"after NACK: {again.headers} {again.body!r}")
    conn.ack(again.headers["ack"], receipt="acked")
    listener.wait_receipts(["acked"])
    close(conn, listener)

    # Both were acknowledged in their own queues: a new wildcard consumer gets only the marker sent now.
    conn, listener = open_connection(host, port)
    subscribe(conn, listener, f"/queue/{base}.*", "again", ack="client-individual")
    send(conn, listener, f"/queue/{base}.eu", "end marker")
    frame = listener.next_message("the end marker")
    check(frame.body == "end marker", f"an acknowledged message came back: {frame.body!r} from {frame.headers.get('destination')}")
    conn.ack(frame.headers["ack"])
    close(conn, listener)
    return {"queues": 2}


def composite(host, port):
    base = f"interop.comp.{tag()}"
    queue, topic, queue2, topic2 = f"/queue/{base}.a", f"/topic/{base}.b", f"/queue/{base}.c", f"/topic/{base}.c"
    conn, listener = open_connection(host, port)
    subscribe(conn, listener, queue, "q", ack="client-individual")
    subscribe(conn, listener, topic, "t1")
    subscribe(conn, listener, queue2, "q2")
    subscribe(conn, listener, topic2, "t2")
    # One SEND, one RECEIPT; 'base.c' has no prefix: a queue, whatever comes before it (as ActiveMQ 5.17 does).
    send(conn, listener, f"{queue},{topic},{base}.c", "to all three", persistent="true")
    send(conn, listener, topic2, "marker: nothing went to the topic base.c")
    frames = receive(listener, 4, "a copy per destination and the marker")
    by_sub = {f.headers.get("subscription"): f for f in frames}
    check(set(by_sub) == {"q", "t1", "q2", "t2"}, f"copies went to subscriptions {sorted(by_sub)}")
    check(by_sub["t2"].body.startswith("marker"), f"the unprefixed element went to {topic2}: {by_sub['t2'].body!r}")
    for sub, destination in (("q", queue), ("t1", topic), ("q2", queue2)):
        check(by_sub[sub].headers.get("destination") == destination, f"{sub}: destination {by_sub[sub].headers.get('destination')}")
        check(by_sub[sub].body == "to all three", f"{sub}: body {by_sub[sub].body!r}")
    conn.ack(by_sub["q"].headers["ack"])

    conn.begin("tx")
    conn.send(f"{queue},{topic}", "in a transaction", transaction="tx")
    conn.commit("tx", headers={"receipt": "commit"})
    listener.wait_receipts(["commit"])
    frames = receive(listener, 2, "the committed copies")
    check(sorted(f.headers.get("subscription") for f in frames) == ["q", "t1"], f"committed copies: {[f.headers for f in frames]}")
    conn.ack(next(f for f in frames if f.headers.get("subscription") == "q").headers["ack"])
    check(not listener.errors, f"ERROR frames: {listener.error_text()}")
    close(conn, listener)
    return {"copies": 3}


def virtual_topic(host, port):
    name = f"VirtualTopic.interop{tag()}"
    conn, listener = open_connection(host, port)
    send(conn, listener, f"/topic/{name}", "before any consumer queue exists")
    subscribe(conn, listener, f"/queue/Consumer.A.{name}", "a", ack="client-individual")
    subscribe(conn, listener, f"/queue/Consumer.B.{name}", "b", ack="client-individual")
    for i in range(3):
        send(conn, listener, f"/topic/{name}", f"order {i}", persistent="true")
    frames = receive(listener, 6, "a copy per consumer queue")
    for sub in ("a", "b"):
        mine = [f for f in frames if f.headers.get("subscription") == sub]
        check([f.body for f in mine] == [f"order {i}" for i in range(3)], f"consumer queue {sub} got {[f.body for f in mine]}")
        for f in mine:
            check(f.headers.get("destination") == f"/queue/Consumer.{sub.upper()}.{name}", f"{sub}: destination {f.headers.get('destination')}")
            check(f.headers.get("original-destination") == f"/topic/{name}", f"{sub}: original-destination {f.headers.get('original-destination')}")
            check(f.headers.get("persistent") == "true", f"{sub}: not persistent: {f.headers}")
            conn.ack(f.headers["ack"])
    close(conn, listener)
    return {"consumer_queues": 2, "messages": 3}


def advisory(host, port):
    queue = f"interop.adv.{tag()}"
    watcher, events = open_connection(host, port)
    subscribe(watcher, events, "/topic/ActiveMQ.Advisory.Connection", "conn")
    subscribe(watcher, events, f"/topic/ActiveMQ.Advisory.Consumer.Queue.{queue}", "cons")
    subscribe(watcher, events, f"/topic/ActiveMQ.Advisory.Producer.Queue.{queue}", "prod")

    conn, listener = open_connection(host, port, headers={"client-id": "adv-" + queue})
    opened = events.next_message("ConnectionOpened")
    body = json.loads(opened.body)
    check(opened.headers.get("type") == "ConnectionOpened" and body.get("type") == "ConnectionOpened", f"first advisory: {opened.headers} {opened.body}")
    check(body.get("clientId") == "adv-" + queue and body.get("user") == "admin", f"ConnectionOpened body {body}")
    connection_id = body.get("connectionId")

    subscribe(conn, listener, f"/queue/{queue}", "s", ack="client-individual")
    added = events.next_message("ConsumerAdded")
    body = json.loads(added.body)
    check(added.headers.get("type") == "ConsumerAdded", f"consumer advisory: {added.headers}")
    check(body.get("consumerCount") == 1 and body.get("destination") == f"/queue/{queue}", f"ConsumerAdded body {body}")
    check(body.get("connectionId") == connection_id, f"ConsumerAdded names connection {body.get('connectionId')}, opened {connection_id}")

    send(conn, listener, f"/queue/{queue}", "first send makes a producer")
    send(conn, listener, f"/queue/{queue}", "the second does not")
    produced = events.next_message("ProducerAdded")
    body = json.loads(produced.body)
    check(produced.headers.get("type") == "ProducerAdded" and body.get("producerCount") == 1, f"producer advisory: {produced.headers} {body}")

    close(conn, listener)
    frames = receive(events, 3, "ConsumerRemoved, ProducerRemoved and ConnectionClosed")
    types = sorted(f.headers.get("type") for f in frames)
    check(types == ["ConnectionClosed", "ConsumerRemoved", "ProducerRemoved"], f"on close: {types}")
    removed = json.loads(next(f for f in frames if f.headers.get("type") == "ConsumerRemoved").body)
    check(removed.get("consumerCount") == 0, f"ConsumerRemoved body {removed}")
    gone = json.loads(next(f for f in frames if f.headers.get("type") == "ProducerRemoved").body)
    check(gone.get("producerCount") == 0, f"ProducerRemoved body {gone}")
    close(watcher, events)
    return {"advisories": 6}


SCENARIOS = {
    "wildcard_topic": wildcard_topic,
    "wildcard_queue": wildcard_queue,
    "composite": composite,
    "virtual_topic": virtual_topic,
    "advisory": advisory,
}


if __name__ == "__main__":
    import stomp_py_check
    code = stomp_py_check.main(SCENARIOS)
    sys.stdout.flush()
    os._exit(code)  # stomp.py's receiver and heartbeat threads must not keep us alive
