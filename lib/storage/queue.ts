// The work queue the timer fans out to (one VM per message) and its poison queue. Messages are
// base64-encoded JSON because that is what the Functions host's queue trigger decodes by default.
import type { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import type { TokenCredential } from '@azure/core-auth';

export interface WorkQueueOptions {
  connectionString?: string;
  /** Identity-based access: `https://<account>.queue.core.windows.net` with `credential`. */
  queueEndpoint?: string;
  credential?: TokenCredential;
  /** Queue name (REMEDIATION_QUEUE); the poison queue is `<name>-poison`, as the Functions host names it. */
  name: string;
}

export interface QueueMessage<T extends object = Record<string, unknown>> {
  id: string;
  popReceipt: string;
  dequeueCount: number;
  body: T;
  insertedOn?: Date;
  /** Set when the message text was not base64 JSON (nor plain JSON): body is then `{ raw }`. */
  malformed?: string;
}

export interface MessageQueue {
  readonly name: string;
  send(msg: object, opts?: { visibilityTimeoutS?: number; timeToLiveS?: number }): Promise<void>;
  /** Up to `max` messages, invisible to others for `visibilityTimeoutS` (default 30 s). */
  receive(max: number, visibilityTimeoutS?: number): Promise<QueueMessage[]>;
  delete(m: Pick<QueueMessage, 'id' | 'popReceipt'>): Promise<void>;
  /** Approximate number of messages (visible or not). */
  count(): Promise<number>;
}

export interface WorkQueue extends MessageQueue {
  poison: MessageQueue;
  /** Creates the queue and its poison queue if absent. */
  ensure(): Promise<void>;
  /** Moves a message to the poison queue unchanged (as the host does after maxDequeueCount). */
  moveToPoison(m: QueueMessage<object>): Promise<void>;
}

export class QueueError extends Error {
  constructor(message: string, readonly queue: string, readonly statusCode: number | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueueError';
  }
}

/** Azure limit on message text; base64 makes the JSON 4/3 larger. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Azure returns at most 32 messages per receive call. */
const RECEIVE_BATCH = 32;
const QUEUE_NAME = /^[a-z0-9](?:[a-z0-9]|-(?!-)){1,54}[a-z0-9]$/;

export function validateQueueName(name: string): string {
  if (typeof name !== 'string' || !QUEUE_NAME.test(name)) {
    throw new Error(
      `Invalid queue name ${JSON.stringify(name)} (REMEDIATION_QUEUE): 3-56 lower-case letters, digits and single hyphens, starting and ending with a letter or digit`,
    );
  }
  return name;
}

export function encodeMessage(msg: object): string {
  const text = Buffer.from(JSON.stringify(msg), 'utf8').toString('base64');
  if (Buffer.byteLength(text) > MAX_MESSAGE_BYTES) {
    throw new Error(`queue message is ${Buffer.byteLength(text)} bytes encoded, over the ${MAX_MESSAGE_BYTES}-byte limit`);
  }
  return text;
}

/** Base64 JSON, or plain JSON (a message a human put there by hand); anything else is flagged. */
export function decodeMessage(text: string): { body: Record<string, unknown>; malformed?: string } {
  const asObject = (s: string): Record<string, unknown> | undefined => {
    try {
      const v: unknown = JSON.parse(s);
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const trimmed = text.trim();
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) && trimmed.length % 4 === 0) {
    const body = asObject(Buffer.from(trimmed, 'base64').toString('utf8'));
    if (body) return { body };
  }
  const plain = asObject(trimmed);
  if (plain) return { body: plain };
  return { body: { raw: text }, malformed: 'message is not a JSON object (base64-encoded or plain)' };
}

function statusOf(e: unknown): number | undefined {
  const s = (e as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

function messageQueue(client: QueueClient): MessageQueue {
  const name = client.name;
  const call = async <T>(op: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      const status = statusOf(e);
      const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
      throw new QueueError(`queue ${op} failed on queue ${name}${status ? ` (HTTP ${status})` : ''}: ${why}`, name, status, { cause: e });
    }
  };
  return {
    name,
    async send(msg, opts = {}) {
      const text = encodeMessage(msg);
      await call('send', () =>
        client.sendMessage(text, {
          ...(opts.visibilityTimeoutS !== undefined ? { visibilityTimeout: opts.visibilityTimeoutS } : {}),
          ...(opts.timeToLiveS !== undefined ? { messageTimeToLive: opts.timeToLiveS } : {}),
        }),
      );
    },
    async receive(max, visibilityTimeoutS = 30) {
      if (!Number.isInteger(max) || max < 1) throw new RangeError('queue receive: max must be a positive integer');
      const out: QueueMessage[] = [];
      while (out.length < max) {
        const want = Math.min(RECEIVE_BATCH, max - out.length);
        const res = await call('receive', () => client.receiveMessages({ numberOfMessages: want, visibilityTimeout: visibilityTimeoutS }));
        for (const m of res.receivedMessageItems) {
          const decoded = decodeMessage(m.messageText);
          out.push({
            id: m.messageId,
            popReceipt: m.popReceipt,
            dequeueCount: m.dequeueCount,
            body: decoded.body,
            insertedOn: m.insertedOn,
            ...(decoded.malformed ? { malformed: decoded.malformed } : {}),
          });
        }
        if (res.receivedMessageItems.length < want) break;
      }
      return out;
    },
    async delete(m) {
      await call('delete', () => client.deleteMessage(m.id, m.popReceipt));
    },
    async count() {
      const props = await call('get properties', () => client.getProperties());
      return props.approximateMessagesCount ?? 0;
    },
  };
}

function serviceClient(opts: WorkQueueOptions): QueueServiceClient {
  // Loaded at the first queue, not at app load (cold start, bench/cold-load.ts).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { QueueServiceClient } = require('@azure/storage-queue') as typeof import('@azure/storage-queue');
  if (opts.connectionString) return QueueServiceClient.fromConnectionString(opts.connectionString);
  if (opts.queueEndpoint && opts.credential) return new QueueServiceClient(opts.queueEndpoint, opts.credential);
  throw new Error(
    'Work queue storage is not configured: pass a connection string (AzureWebJobsStorage) or a queue endpoint with a credential (AzureWebJobsStorage__accountName)',
  );
}

export function createWorkQueue(opts: WorkQueueOptions): WorkQueue {
  const name = validateQueueName(opts.name);
  const service = serviceClient(opts);
  const mainClient = service.getQueueClient(name);
  const poisonClient = service.getQueueClient(`${name}-poison`);
  const main = messageQueue(mainClient);
  const poison = messageQueue(poisonClient);
  return {
    ...main,
    poison,
    async ensure() {
      for (const c of [mainClient, poisonClient]) {
        try {
          await c.createIfNotExists();
        } catch (e) {
          throw new QueueError(`queue create failed on queue ${c.name}: ${(e as Error).message}`, c.name, statusOf(e), { cause: e });
        }
      }
    },
    async moveToPoison(m) {
      // Poison first, then delete: a crash in between duplicates into poison rather than losing it.
      await poison.send(m.body);
      await main.delete(m);
    },
  };
}
