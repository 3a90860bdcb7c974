import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for SQS's `SendMessage` and nothing else, for the benchmark's child processes
 * (aws-sdk-client-mock cannot reach into another process). It speaks the AWS JSON 1.0 protocol the
 * SQS client uses (`X-Amz-Target: AmazonSQS.SendMessage`), answers with a correct
 * `MD5OfMessageBody` (the SDK checks it) and records the bodies. Every other operation gets a 400.
 */
export class SqsSendMessageServer {
  /** The message bodies received, in order. */
  readonly messages: string[] = [];
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
        let input: { MessageBody?: unknown };
        try {
          input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { MessageBody?: unknown };
        } catch {
          reply(400, { __type: 'com.amazonaws.sqs#InvalidParameterValue', message: 'bad JSON' });
          return;
        }
        const body = typeof input.MessageBody === 'string' ? input.MessageBody : '';
        this.messages.push(body);
        reply(200, {
          MD5OfMessageBody: createHash('md5').update(body, 'utf8').digest('hex'),
          MessageId: randomUUID(),
        });
      });
    });
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
