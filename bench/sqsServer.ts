import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A message sent to the stand-in and not yet taken by {@link SqsSendMessageServer.takeDue}. */
interface PendingMessage {
  body: string;
  /** When SQS would first deliver it (`DelaySeconds` after it was sent), epoch ms. */
  visibleAt: number;
}

/**
 * A loopback stand-in for SQS's `SendMessage` and nothing else, for the benchmark's child processes
 * (aws-sdk-client-mock cannot reach into another process). It speaks the AWS JSON 1.0 protocol the
 * SQS client uses (`X-Amz-Target: AmazonSQS.SendMessage`), answers with a correct
 * `MD5OfMessageBody` (the SDK checks it) and records the bodies, honouring `DelaySeconds` for
 * whoever plays the worker's event source ({@link takeDue}). Every other operation gets a 400.
 */
export class SqsSendMessageServer {
  /** The message bodies received, in order. */
  readonly messages: string[] = [];
  /** Messages nobody has taken yet, in the order they were sent. */
  readonly #pending: PendingMessage[] = [];
  readonly #server: Server;
  #port = 0;

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const reply = (status: number, body: object): void => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify(body));
        };
        if (target !== 'AmazonSQS.SendMessage') {
          reply(400, { __type: 'com.amazonaws.sqs#InvalidAction', message: target });
          return;
        }
        let input: { MessageBody?: unknown; DelaySeconds?: unknown };
        try {
          input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof input;
        } catch {
          reply(400, { __type: 'com.amazonaws.sqs#InvalidParameterValue', message: 'bad JSON' });
          return;
        }
        const body = typeof input.MessageBody === 'string' ? input.MessageBody : '';
        this.messages.push(body);
        const delaySeconds = typeof input.DelaySeconds === 'number' ? input.DelaySeconds : 0;
        this.#pending.push({ body, visibleAt: Date.now() + delaySeconds * 1000 });
        reply(200, {
          MD5OfMessageBody: createHash('md5').update(body, 'utf8').digest('hex'),
          MessageId: randomUUID(),
        });
      });
    });
  }

  /** Takes the next message whose delay is over, as the worker's event source would receive it. */
  takeDue(now = Date.now()): string | undefined {
    const index = this.#pending.findIndex((message) => message.visibleAt <= now);
    if (index < 0) return undefined;
    return this.#pending.splice(index, 1)[0]?.body;
  }

  /** Messages sent and not taken yet (delayed or due). */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Forgets every pending message (between scenarios). */
  clearPending(): void {
    this.#pending.length = 0;
  }

  /** Listens on a free port of 127.0.0.1. */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => {
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** The endpoint for `AWS_ENDPOINT_URL_SQS`. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** A queue URL on this server (the SQS client sends to the queue URL's host). */
  get queueUrl(): string {
    return `${this.endpoint}/123456789012/guardduty-bot-work`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
