import * as net from 'node:net';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { createWorkQueue, decodeMessage, encodeMessage, validateQueueName, type WorkQueue } from '../lib/storage/queue';
import { startAzurite } from '../emulator/azurite';
import { useAzurite } from './helpers/azurite';

const azurite = useAzurite();
let n = 0;
async function queue(): Promise<WorkQueue> {
  n += 1;
  const q = createWorkQueue({ connectionString: azurite().connectionString, name: `remediate-vm-${n}` });
  await q.ensure();
  return q;
}

/** A plain SDK client on the same queue, to see and place messages as other producers do. */
function rawClient(name: string): QueueClient {
  return QueueServiceClient.fromConnectionString(azurite().connectionString).getQueueClient(name);
}

const VM = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web1';

test('send, receive, delete: a message is delivered once and gone after delete', async () => {
  const q = await queue();
  await q.send({ vmId: VM, jobId: 'j1', runId: 'r1' });
  const [m, ...rest] = await q.receive(10, 30);
  expect(rest).toEqual([]);
  expect(m.body).toEqual({ vmId: VM, jobId: 'j1', runId: 'r1' });
  expect(m.dequeueCount).toBe(1);
  expect(m.malformed).toBeUndefined();
  // Invisible while being worked on.
  expect(await q.receive(10)).toEqual([]);
  await q.delete(m);
  expect(await q.count()).toBe(0);
});

test('messages are base64 JSON on the wire, as the Functions host decodes them', async () => {
  const q = await queue();
  await q.send({ vmId: VM });
  const peeked = await rawClient(q.name).peekMessages();
  const text = peeked.peekedMessageItems[0].messageText;
  expect(text).toBe(Buffer.from(JSON.stringify({ vmId: VM })).toString('base64'));
});

test('a message not received back in time becomes visible again with a higher dequeue count', async () => {
  const q = await queue();
  await q.send({ vmId: VM });
  const [first] = await q.receive(1, 1);
  expect(first.dequeueCount).toBe(1);
  await new Promise((r) => setTimeout(r, 1500));
  const [second] = await q.receive(1, 30);
  expect(second.id).toBe(first.id);
  expect(second.dequeueCount).toBe(2);
  // The stale pop receipt no longer deletes it.
  await expect(q.delete(first)).rejects.toThrow(new RegExp(`queue delete failed on queue ${q.name}`));
  await q.delete(second);
});

test('receive drains more than 32 messages across batches, each exactly once', async () => {
  const q = await queue();
  await Promise.all(Array.from({ length: 70 }, (_, i) => q.send({ i })));
  const got = await q.receive(100, 60);
  expect(got.map((m) => (m.body as { i: number }).i).sort((a, b) => a - b)).toEqual(Array.from({ length: 70 }, (_, i) => i));
  expect(await q.receive(5)).toEqual([]);
});

test('moveToPoison puts the message, unchanged, on <name>-poison and removes it from the work queue', async () => {
  const q = await queue();
  expect(q.poison.name).toBe(`${q.name}-poison`);
  await q.send({ vmId: VM, attempt: 1 });
  const [m] = await q.receive(1);
  await q.moveToPoison(m);
  expect(await q.count()).toBe(0);
  const poisoned = await q.poison.receive(5);
  expect(poisoned.map((p) => p.body)).toEqual([{ vmId: VM, attempt: 1 }]);
  await q.poison.delete(poisoned[0]);
  expect(await q.poison.count()).toBe(0);
});

test('a hand-written or broken message is flagged, not thrown', async () => {
  const q = await queue();
  const raw = rawClient(q.name);
  await raw.sendMessage(JSON.stringify({ vmId: VM }));
  await raw.sendMessage('not json at all');
  const got = await q.receive(5);
  const byMalformed = new Map(got.map((m) => [Boolean(m.malformed), m.body]));
  expect(byMalformed.get(false)).toEqual({ vmId: VM });
  expect(byMalformed.get(true)).toEqual({ raw: 'not json at all' });
});

test('encoding rules and limits', () => {
  expect(decodeMessage(encodeMessage({ a: 1 }))).toEqual({ body: { a: 1 } });
  expect(decodeMessage('WzEsMl0=').malformed).toMatch(/not a JSON object/); // base64 of [1,2]
  expect(() => encodeMessage({ big: 'x'.repeat(60_000) })).toThrow(/over the 65536-byte limit/);
  expect(validateQueueName('remediate-vm')).toBe('remediate-vm');
  for (const bad of ['Remediate', 'a', 'a--b', '-ab', 'ab-', 'x'.repeat(57), 'q_1']) {
    expect(() => validateQueueName(bad)).toThrow(/REMEDIATION_QUEUE/);
  }
  expect(() => createWorkQueue({ name: 'remediate-vm' })).toThrow(/AzureWebJobsStorage/);
});

describe('startAzurite', () => {
  test('two instances at once get their own ports; stop frees them', async () => {
    const [a, b] = await Promise.all([startAzurite({ silent: true }), startAzurite({ silent: true })]);
    const port = (url: string) => Number(new URL(url).port);
    expect(a.connectionString).toMatch(
      /^DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=[^;]+;BlobEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;QueueEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;TableEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;$/,
    );
    const ports = [a.tableEndpoint, a.queueEndpoint, b.tableEndpoint, b.queueEndpoint].map(port);
    expect(new Set(ports).size).toBe(4);
    const connects = (p: number) =>
      new Promise<boolean>((resolve) => {
        const s = net.connect(p, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      });
    expect(await connects(port(a.tableEndpoint))).toBe(true);
    await a.stop();
    expect(await connects(port(a.tableEndpoint))).toBe(false);
    expect(await connects(port(b.queueEndpoint))).toBe(true);
    await b.stop();
    await a.stop(); // idempotent
  }, 120000);
});
