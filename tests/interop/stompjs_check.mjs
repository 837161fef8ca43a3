// Checks a STOMP broker over WebSocket with @stomp/stompjs (an independent client) and the `ws` package.
//
// Usage: node stompjs_check.mjs WS_URL SCENARIO
// Scenarios: roundtrip, binary, receipt, transaction, badlogin.
//
// Prints one JSON line ({"scenario":..., "ok":..., ...}) and exits 0 when the broker behaved as STOMP says,
// 1 with a message when it did not, 2 on bad usage, 3 when the whole run took too long (it never hangs).
import { Client } from '@stomp/stompjs';
import WebSocket from 'ws';
import { randomUUID } from 'node:crypto';

const HARD_TIMEOUT_MS = 20_000;
const WAIT_MS = 8_000;
const SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

const [url, scenario] = process.argv.slice(2);
const started = Date.now();

function finish(code, result) {
  process.stdout.write(JSON.stringify({ scenario, ...result }) + '\n', () => process.exit(code));
}

class CheckFailed extends Error {}

function check(condition, message) {
  if (!condition) {
    throw new CheckFailed(message);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Messages of one subscription, awaited one at a time with a bound. */
class Inbox {
  constructor() {
    this.items = [];
    this.waiters = [];
  }

  push(message) {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(message);
    } else {
      this.items.push(message);
    }
  }

  next(what, timeoutMs = WAIT_MS) {
    if (this.items.length > 0) {
      return Promise.resolve(this.items.shift());
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(onMessage), 1);
        reject(new CheckFailed(`no MESSAGE within ${timeoutMs} ms while waiting for ${what}`));
      }, timeoutMs);
      const onMessage = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
      this.waiters.push(onMessage);
    });
  }

  async expectSilence(ms, what) {
    await sleep(ms);
    if (this.items.length > 0) {
      const m = this.items[0];
      throw new CheckFailed(`unexpected MESSAGE (${what}): headers ${JSON.stringify(m.headers)} body ${JSON.stringify(m.body)}`);
    }
  }
}

/** Connects a stompjs Client; resolves with it once CONNECTED arrives, rejects on ERROR or a closed socket. */
function connect({ login = 'admin', passcode = 'admin' } = {}) {
  const errors = [];
  const client = new Client({
    webSocketFactory: () => new WebSocket(url, SUBPROTOCOLS),
    connectHeaders: { login, passcode },
    heartbeatIncoming: 1000,
    heartbeatOutgoing: 1000,
    reconnectDelay: 0,
    connectionTimeout: WAIT_MS,
    debug: () => {},
  });
  client.errors = errors;
  client.closed = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new CheckFailed(`no CONNECTED within ${WAIT_MS} ms`)), WAIT_MS);
    client.onConnect = (frame) => {
      clearTimeout(timer);
      client.connectedFrame = frame;
      resolve(client);
    };
    client.onStompError = (frame) => {
      errors.push({ headers: frame.headers, body: frame.body });
      clearTimeout(timer);
      reject(Object.assign(new CheckFailed(`ERROR ${frame.headers.message}: ${frame.body}`), { frame, client }));
    };
    client.onWebSocketError = (event) => {
      clearTimeout(timer);
      reject(new CheckFailed(`WebSocket error: ${event?.message ?? event}`));
    };
    client.onWebSocketClose = (event) => {
      client.closed = true;
      clearTimeout(timer);
      reject(Object.assign(new CheckFailed(`WebSocket closed (code ${event.code}) before CONNECTED`), { client }));
    };
    client.activate();
  });
}

function receipt(client, id) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new CheckFailed(`no RECEIPT ${id} within ${WAIT_MS} ms; errors ${JSON.stringify(client.errors)}`)), WAIT_MS);
    client.watchForReceipt(id, (frame) => {
      clearTimeout(timer);
      resolve(frame);
    });
  });
}

function subscribe(client, destination, headers = {}) {
  const inbox = new Inbox();
  const id = 'r-sub-' + randomUUID();
  const subscribed = receipt(client, id);
  client.subscribe(destination, (message) => inbox.push(message), { ack: 'client-individual', receipt: id, ...headers });
  return subscribed.then(() => inbox);
}

const unique = (name) => `/queue/interop.js.${name}.${randomUUID().slice(0, 8)}`;

async function roundtrip() {
  const count = 100;
  const destination = unique('roundtrip');
  const client = await connect();
  const connected = client.connectedFrame.headers;
  check(client.webSocket.protocol === 'v12.stomp', `WebSocket subprotocol ${JSON.stringify(client.webSocket.protocol)}, want v12.stomp`);
  check(connected.version === '1.2', `CONNECTED version ${connected.version}`);
  check((connected['heart-beat'] ?? '0,0') !== '0,0', `we offered heart-beat 1000,1000, the broker answered ${connected['heart-beat']}`);
  const inbox = await subscribe(client, destination);

  const custom = (i) => ({
    'x-index': String(i),
    'x-colon': 'a:b:c',
    'x-escaped': 'line1\nline2\\back',
    'x-unicode': 'h\u00e9llo \u2713',
    'correlation-id': `c-${i}`,
  });
  const receipts = [];
  for (let i = 0; i < count; i++) {
    const id = `send-${i}`;
    receipts.push(receipt(client, id));
    client.publish({
      destination,
      body: `message ${i} \u00e9\u2713`,
      headers: { ...custom(i), 'content-type': 'text/plain; charset=utf-8', receipt: id },
    });
  }
  await Promise.all(receipts);

  for (let i = 0; i < count; i++) {
    const m = await inbox.next(`message ${i} of ${count}`);
    check(m.body === `message ${i} \u00e9\u2713`, `message ${i}: body ${JSON.stringify(m.body)}`);
    for (const [key, value] of Object.entries(custom(i))) {
      check(m.headers[key] === value, `message ${i}: header ${key} is ${JSON.stringify(m.headers[key])}, sent ${JSON.stringify(value)}; all ${JSON.stringify(m.headers)}`);
    }
    check(m.headers['content-type'] === 'text/plain; charset=utf-8', `message ${i}: content-type ${m.headers['content-type']}`);
    check(m.headers.destination === destination, `message ${i}: destination ${m.headers.destination}`);
    check(m.headers.ack, `message ${i}: no ack header on a client-individual MESSAGE: ${JSON.stringify(m.headers)}`);
    m.ack();
  }
  await inbox.expectSilence(300, `more than ${count}`);

  // Idle for more than two heart-beat intervals: beats both ways keep the connection open.
  await sleep(2500);
  check(client.connected && !client.closed, 'the idle connection was closed despite heart-beats');
  check(client.errors.length === 0, `ERROR frames: ${JSON.stringify(client.errors)}`);
  await client.deactivate();

  // All were acknowledged: a new consumer gets nothing.
  const again = await connect();
  const leftovers = await subscribe(again, destination);
  await leftovers.expectSilence(1000, 'every message was acked, yet one came back');
  await again.deactivate();
  return { version: connected.version, subprotocol: 'v12.stomp', heart_beat: connected['heart-beat'], messages: count };
}

async function binary() {
  const destination = unique('binary');
  const payload = new Uint8Array(522);
  for (let i = 0; i < 256; i++) {
    payload[i] = i;
    payload[265 + i] = 255 - i;
  }
  payload.set([0, 0, 109, 105, 100, 0, 0, 0, 0], 256); // NULs in the middle
  payload[521] = 0;
  const client = await connect();
  const inbox = await subscribe(client, destination);
  const sent = receipt(client, 'bin');
  client.publish({ destination, binaryBody: payload, headers: { 'content-type': 'application/octet-stream', receipt: 'bin' } });
  await sent;
  const m = await inbox.next('the binary message');
  const got = m.binaryBody;
  check(got.length === payload.length, `binaryBody has ${got.length} bytes, sent ${payload.length}`);
  const firstDiff = payload.findIndex((b, i) => got[i] !== b);
  check(firstDiff === -1, `binaryBody differs at byte ${firstDiff}: got ${got[firstDiff]}, sent ${payload[firstDiff]}`);
  check(m.headers['content-type'] === 'application/octet-stream', `content-type ${m.headers['content-type']}`);
  check(m.headers['content-length'] === String(payload.length), `content-length ${m.headers['content-length']}`);
  m.ack();
  await client.deactivate();
  return { bytes: payload.length, nuls: payload.filter((b) => b === 0).length };
}

async function receiptScenario() {
  const destination = unique('receipt');
  const client = await connect();
  const inbox = await subscribe(client, destination);
  const id = 'receipt-' + randomUUID();
  const frame = receipt(client, id);
  client.publish({ destination, body: 'with a receipt', headers: { receipt: id } });
  const r = await frame;
  check(r.command === 'RECEIPT', `got ${r.command}`);
  check(r.headers['receipt-id'] === id, `receipt-id ${r.headers['receipt-id']}, want ${id}`);
  const m = await inbox.next('the message sent with a receipt');
  check(m.body === 'with a receipt', `body ${JSON.stringify(m.body)}`);
  check(!('receipt' in m.headers), `the receipt header leaked into the MESSAGE: ${JSON.stringify(m.headers)}`);
  m.ack();
  await client.deactivate();
  return { receipt_id: r.headers['receipt-id'] };
}

async function transaction() {
  const destination = unique('tx');
  const client = await connect();
  const inbox = await subscribe(client, destination);

  const aborted = client.begin();
  client.publish({ destination, body: 'aborted-1', headers: { transaction: aborted.id } });
  client.publish({ destination, body: 'aborted-2', headers: { transaction: aborted.id } });
  await inbox.expectSilence(400, 'a SEND inside an open transaction was delivered');
  aborted.abort();

  const committed = client.begin();
  check(committed.id !== aborted.id, 'stompjs reused a transaction id');
  client.publish({ destination, body: 'committed-1', headers: { transaction: committed.id } });
  client.publish({ destination, body: 'committed-2', headers: { transaction: committed.id } });
  await inbox.expectSilence(400, 'a SEND inside an open transaction was delivered');
  committed.commit();

  const bodies = [];
  for (let i = 0; i < 2; i++) {
    const m = await inbox.next(`committed message ${i + 1}`);
    bodies.push(m.body);
    m.ack();
  }
  check(JSON.stringify(bodies) === JSON.stringify(['committed-1', 'committed-2']), `received ${JSON.stringify(bodies)}`);
  await inbox.expectSilence(400, 'an aborted SEND arrived');
  check(client.errors.length === 0, `ERROR frames: ${JSON.stringify(client.errors)}`);
  await client.deactivate();
  return { received: bodies };
}

async function badlogin() {
  let client;
  try {
    client = await connect({ passcode: 'wrong-admin' });
  } catch (e) {
    if (!(e instanceof CheckFailed) || !e.frame) {
      throw new CheckFailed(`a wrong passcode should give an ERROR frame, got: ${e.message}`);
    }
    const message = e.frame.headers.message;
    check(message, `ERROR without a message header: ${JSON.stringify(e.frame.headers)}`);
    // The broker closes the connection after the ERROR.
    for (let waited = 0; !e.client.closed && waited < WAIT_MS; waited += 50) {
      await sleep(50);
    }
    check(e.client.closed, 'the broker kept the WebSocket open after the ERROR');
    await e.client.deactivate();
    return { broker_message: message };
  }
  await client.deactivate();
  throw new CheckFailed('a wrong passcode was accepted');
}

const SCENARIOS = { roundtrip, binary, receipt: receiptScenario, transaction, badlogin };

if (!url || !SCENARIOS[scenario]) {
  process.stderr.write(`usage: node stompjs_check.mjs WS_URL {${Object.keys(SCENARIOS).join('|')}}\n`);
  process.exit(2);
}

setTimeout(() => finish(3, { ok: false, error: `timed out after ${HARD_TIMEOUT_MS} ms` }), HARD_TIMEOUT_MS);

try {
  const details = await SCENARIOS[scenario]();
  finish(0, { ok: true, client: 'stompjs 7.5.0 + ws 8.23.0', seconds: (Date.now() - started) / 1000, ...details });
} catch (e) {
  finish(1, { ok: false, error: e instanceof CheckFailed ? e.message : `${e?.name}: ${e?.message}` });
}
