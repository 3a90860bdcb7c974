import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findBlockKitViolations, findViewViolations } from './blockKitLimits';

/** A failure to inject with {@link SlackServer.failNext}. */
export type SlackFailure =
  | { status: 429; retryAfter: number }
  | { status: 500 | 503 }
  | { error: string };

/** Token-bucket limits that mimic Slack's (reference/slack-platform.md §1.4). */
export interface SlackRateLimits {
  /** `chat.postMessage` per channel: sustained rate and burst (Slack: about 1/s with short bursts). */
  postMessagePerChannel?: { perSecond: number; burst: number };
  /** `chat.update` per workspace per minute (Tier 3: 50+/min); the bucket holds a minute's worth. */
  updatePerMinute?: number;
}

/** Options for {@link SlackServer}. */
export interface SlackServerOptions {
  /** Bot token the server accepts. Default `xoxb-test-token`. */
  token?: string;
  /** Workspace id the server reports. Default `T0TEST`. */
  teamId?: string;
  /** The bot's user id (`auth.test`, message authors). Default `U0BOT`. */
  botUserId?: string;
  /** The bot id. Default `B0BOT`. */
  botId?: string;
  /** Optional rate limiting; off by default. */
  rateLimits?: SlackRateLimits;
  /** Posts a response_url accepts before answering `used_url`. Default 5 (Slack's limit). */
  responseUrlMaxUses?: number;
  /** Clock for rate limiting and records (ms). Default `Date.now`. */
  now?: () => number;
}

/** One Web API call the server received. */
export interface RecordedCall {
  method: string;
  /** Arguments, with JSON-valued fields (`blocks`, `attachments`, `view`, `files`…) parsed. */
  body: Record<string, unknown>;
  at: number;
  /** HTTP status the server answered with. */
  status: number;
  /** JSON body the server answered with. */
  response: unknown;
  /** True when the Block Kit (or view) validation refused the call. */
  rejected?: boolean;
}

/** One post to a `response_url`. */
export interface RecordedResponse {
  /** The id given to {@link SlackServer.responseUrl}. */
  id: string;
  body: Record<string, unknown>;
  at: number;
  status: number;
  response: unknown;
  rejected?: boolean;
}

/** A file uploaded through `files.uploadV2` (getUploadURLExternal, upload, completeUploadExternal). */
export interface UploadedFile {
  file_id: string;
  filename: string;
  title: string | undefined;
  content: string;
  channel_id: string | undefined;
  thread_ts: string | undefined;
  initial_comment: string | undefined;
}

/** A workspace member as `users.info` describes them. */
export interface SlackUserInfo {
  name: string;
  real_name?: string;
  team_id?: string;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  is_stranger?: boolean;
  is_bot?: boolean;
  deleted?: boolean;
}

/** A message as currently shown in a channel (after any `chat.update` or response_url replacement). */
export interface StoredMessage {
  channel: string;
  ts: string;
  text: string | undefined;
  blocks: unknown;
  attachments: unknown;
  thread_ts: string | undefined;
  /** Number of `chat.update` / replacements applied. */
  edits: number;
}

type Json = Record<string, unknown>;
type Reply = {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  rejected?: boolean;
};

const MAX_BODY_BYTES = 1024 * 1024;
const JSON_FIELDS = new Set([
  'blocks',
  'attachments',
  'view',
  'files',
  'metadata',
  'user_auth_blocks',
]);
const BLOCK_KIT_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral']);
const TS_BASE_SECONDS = 1_731_000_000;

const str = (body: Json, key: string): string | undefined => {
  const value = body[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
};
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A loopback HTTP server that speaks enough of the Slack Web API for the real `@slack/web-api`
 * `WebClient` (point it here with `slackApiUrl: server.apiUrl`), plus `response_url`s and file
 * upload URLs. It records every call, enforces the Block Kit limits, and can answer 429 / 5xx /
 * Slack errors on demand or from Slack-like token buckets.
 *
 * @example
 * const slack = new SlackServer();
 * await slack.start();
 * const client = new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
 */
export class SlackServer {
  /** Every Web API call, in arrival order (including refused and failed ones). */
  readonly calls: RecordedCall[] = [];
  /** Every post to a response_url, in arrival order. */
  readonly responses: RecordedResponse[] = [];
  /** Files completed through `files.completeUploadExternal`. */
  readonly uploadedFiles: UploadedFile[] = [];
  /** How many calls each method had refused with 429 by the rate limiter. */
  readonly rateLimited: Record<string, number> = {};

  private readonly token: string;
  private readonly teamId: string;
  private readonly botUserId: string;
  private readonly botId: string;
  private readonly rateLimits: SlackRateLimits;
  private readonly responseUrlMaxUses: number;
  private readonly now: () => number;
  private readonly server: Server;
  private port = 0;

  private readonly users = new Map<string, SlackUserInfo>();
  private readonly userGroups = new Map<string, string[]>();
  private readonly messages = new Map<string, StoredMessage>();
  private readonly views = new Map<string, Json>();
  private readonly pendingUploads = new Map<
    string,
    { filename: string; length: number; content?: string }
  >();
  private readonly failures = new Map<string, SlackFailure[]>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly responseUrlState = new Map<
    string,
    { uses: number; expired: boolean; target?: { channel: string; ts: string } }
  >();
  private allResponseUrlsExpired = false;
  private sequence = 0;

  constructor(options: SlackServerOptions = {}) {
    this.token = options.token ?? 'xoxb-test-token';
    this.teamId = options.teamId ?? 'T0TEST';
    this.botUserId = options.botUserId ?? 'U0BOT';
    this.botId = options.botId ?? 'B0BOT';
    this.rateLimits = options.rateLimits ?? {};
    this.responseUrlMaxUses = options.responseUrlMaxUses ?? 5;
    this.now = options.now ?? Date.now;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) {
          this.send(res, { status: 500, body: { ok: false, error: 'internal_error' } });
        } else {
          res.destroy(error instanceof Error ? error : undefined);
        }
      });
    });
    this.server.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  /** Listens on a random free port of 127.0.0.1. */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** Stops listening and closes every open connection. */
  async stop(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    });
  }

  /** Base URL for `WebClient`'s `slackApiUrl` (and `SLACK_API_URL`), with the trailing slash. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  /**
   * A response_url on this server. Posts to it are recorded in {@link responses} under `id`. When
   * `target` names a message, `replace_original` / `delete_original` posts change it as Slack would.
   */
  responseUrl(id: string = this.nextId('R'), target?: { channel: string; ts: string }): string {
    const state = this.responseUrlState.get(id) ?? { uses: 0, expired: false };
    if (target !== undefined) state.target = target;
    this.responseUrlState.set(id, state);
    return `${this.baseUrl}/response/${encodeURIComponent(id)}`;
  }

  /**
   * Makes response_urls answer 404 `expired_url` (as after Slack's 30 minutes): the given one, or
   * every one (including those handed out later) when no id is given.
   */
  expireResponseUrls(id?: string): void {
    if (id === undefined) {
      this.allResponseUrlsExpired = true;
      return;
    }
    const state = this.responseUrlState.get(id) ?? { uses: 0, expired: false };
    state.expired = true;
    this.responseUrlState.set(id, state);
  }

  /**
   * Makes the next `times` calls of `method` fail. `method` is a Web API method name, `response_url`
   * (posts to any response_url) or `upload_url` (the file upload POST).
   */
  failNext(method: string, failure: SlackFailure, times = 1): void {
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i += 1) queue.push(failure);
    this.failures.set(method, queue);
  }

  /** Adds or replaces a workspace member for `users.info`. */
  setUser(id: string, user: SlackUserInfo): void {
    this.users.set(id, user);
  }

  /** Sets the members of a user group for `usergroups.users.list`. */
  setUserGroup(id: string, userIds: string[]): void {
    this.userGroups.set(id, [...userIds]);
  }

  /** Web API calls of one method, in arrival order. */
  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Web API calls of one method that Slack would have accepted (`ok: true`). */
  okCallsTo(method: string): RecordedCall[] {
    return this.callsTo(method).filter(
      (call) => isObject(call.response) && call.response.ok === true
    );
  }

  /** Posts to one response_url, in arrival order. */
  responsesTo(id: string): RecordedResponse[] {
    return this.responses.filter((response) => response.id === id);
  }

  /** The message at `channel`/`ts` as it currently reads, or undefined. */
  message(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.get(messageKey(channel, ts));
  }

  /** Messages of a channel (thread replies included), oldest first. */
  messagesIn(channel: string): StoredMessage[] {
    return [...this.messages.values()].filter((message) => message.channel === channel);
  }

  /**
   * Forgets calls, responses, messages, views, files, injected failures, rate-limit state and
   * response_url state. Users, user groups and options are kept.
   */
  reset(): void {
    this.calls.length = 0;
    this.responses.length = 0;
    this.uploadedFiles.length = 0;
    for (const key of Object.keys(this.rateLimited)) delete this.rateLimited[key];
    this.messages.clear();
    this.views.clear();
    this.pendingUploads.clear();
    this.failures.clear();
    this.buckets.clear();
    this.responseUrlState.clear();
    this.allResponseUrlsExpired = false;
  }

  private get baseUrl(): string {
    if (this.port === 0) throw new Error('SlackServer is not started');
    return `http://127.0.0.1:${this.port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    if (raw === undefined) {
      this.send(res, { status: 413, body: { ok: false, error: 'request_too_large' } });
      return;
    }
    const path = url.pathname;
    if (path.startsWith('/api/')) {
      const method = decodeURIComponent(path.slice('/api/'.length));
      this.send(res, await this.webApi(method, req, raw, url.searchParams));
    } else if (path.startsWith('/response/') && req.method === 'POST') {
      this.send(res, await this.responseUrlPost(decodeURIComponent(path.slice(10)), req, raw));
    } else if (path.startsWith('/upload/') && req.method === 'POST') {
      this.send(res, await this.upload(decodeURIComponent(path.slice(8)), req, raw));
    } else {
      this.send(res, { status: 404, body: { ok: false, error: 'not_found' } });
    }
  }

  private async webApi(
    method: string,
    req: IncomingMessage,
    raw: Buffer,
    query: URLSearchParams
  ): Promise<Reply> {
    const at = this.now();
    const parsed = await parseBody(req.headers['content-type'], raw);
    const body: Json = { ...Object.fromEntries(query), ...(parsed ?? {}) };
    const reply = this.webApiReply(method, req, body, parsed === undefined);
    this.calls.push({
      method,
      body,
      at,
      status: reply.status,
      response: reply.body,
      ...(reply.rejected ? { rejected: true } : {}),
    });
    return reply;
  }

  private webApiReply(method: string, req: IncomingMessage, body: Json, badJson: boolean): Reply {
    const failure = this.takeFailure(method);
    if (failure !== undefined) return failureReply(failure);
    if (badJson) return ok200({ ok: false, error: 'invalid_json' });

    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : str(body, 'token');
    if (token === undefined || token === '') return ok200({ ok: false, error: 'not_authed' });
    if (token !== this.token) return ok200({ ok: false, error: 'invalid_auth' });

    const handler = Object.hasOwn(this.handlers, method) ? this.handlers[method] : undefined;
    if (handler === undefined) return ok200({ ok: false, error: 'unknown_method' });

    const retryAfter = this.rateLimit(method, body);
    if (retryAfter !== undefined) {
      this.rateLimited[method] = (this.rateLimited[method] ?? 0) + 1;
      return {
        status: 429,
        body: { ok: false, error: 'ratelimited' },
        headers: { 'retry-after': String(retryAfter) },
      };
    }

    if (BLOCK_KIT_METHODS.has(method)) {
      const errors = findBlockKitViolations(body);
      if (errors.length > 0)
        return { ...ok200({ ok: false, error: 'invalid_blocks', errors }), rejected: true };
    }
    return handler(body);
  }

  private readonly handlers: Record<string, (body: Json) => Reply> = {
    'auth.test': () =>
      ok200({
        ok: true,
        url: 'https://example.slack.com/',
        team: 'Example',
        user: 'guardduty-bot',
        team_id: this.teamId,
        user_id: this.botUserId,
        bot_id: this.botId,
        is_enterprise_install: false,
      }),

    'chat.postMessage': (body) => {
      const channel = str(body, 'channel');
      if (channel === undefined || channel === '')
        return ok200({ ok: false, error: 'channel_not_found' });
      if (body.text === undefined && body.blocks === undefined && body.attachments === undefined) {
        return ok200({ ok: false, error: 'no_text' });
      }
      const ts = this.nextTs();
      const stored: StoredMessage = {
        channel,
        ts,
        text: str(body, 'text'),
        blocks: body.blocks,
        attachments: body.attachments,
        thread_ts: str(body, 'thread_ts'),
        edits: 0,
      };
      this.messages.set(messageKey(channel, ts), stored);
      return ok200({ ok: true, channel, ts, message: this.messagePayload(stored) });
    },

    'chat.update': (body) => {
      const channel = str(body, 'channel') ?? '';
      const ts = str(body, 'ts') ?? '';
      const existing = this.messages.get(messageKey(channel, ts));
      if (existing === undefined) return ok200({ ok: false, error: 'message_not_found' });
      this.replace(existing, body);
      return ok200({
        ok: true,
        channel,
        ts,
        text: existing.text,
        message: this.messagePayload(existing),
      });
    },

    'chat.postEphemeral': (body) => {
      if (str(body, 'channel') === undefined)
        return ok200({ ok: false, error: 'channel_not_found' });
      if (str(body, 'user') === undefined)
        return ok200({ ok: false, error: 'user_not_in_channel' });
      return ok200({ ok: true, message_ts: this.nextTs() });
    },

    'chat.getPermalink': (body) => {
      const channel = str(body, 'channel') ?? '';
      const ts = str(body, 'message_ts') ?? '';
      if (!this.messages.has(messageKey(channel, ts))) {
        return ok200({ ok: false, error: 'message_not_found' });
      }
      return ok200({
        ok: true,
        channel,
        permalink: `https://example.slack.com/archives/${channel}/p${ts.replace('.', '')}`,
      });
    },

    'views.open': (body) => this.openView(body),
    'views.push': (body) => this.openView(body),

    'views.update': (body) => {
      const viewId =
        str(body, 'view_id') ??
        [...this.views.entries()].find(([, v]) => v.external_id === str(body, 'external_id'))?.[0];
      if (viewId === undefined || !this.views.has(viewId))
        return ok200({ ok: false, error: 'not_found' });
      const invalid = this.invalidView(body.view);
      if (invalid !== undefined) return invalid;
      const view = this.storeView(viewId, body.view as Json);
      return ok200({ ok: true, view });
    },

    'users.info': (body) => {
      const id = str(body, 'user') ?? '';
      const user = this.users.get(id);
      if (user === undefined) return ok200({ ok: false, error: 'user_not_found' });
      const teamId = user.team_id ?? this.teamId;
      return ok200({
        ok: true,
        user: {
          id,
          team_id: teamId,
          name: user.name,
          real_name: user.real_name ?? user.name,
          deleted: user.deleted ?? false,
          is_bot: user.is_bot ?? false,
          is_admin: false,
          is_owner: false,
          is_restricted: user.is_restricted ?? false,
          is_ultra_restricted: user.is_ultra_restricted ?? false,
          ...(user.is_stranger === undefined ? {} : { is_stranger: user.is_stranger }),
          is_app_user: false,
          profile: {
            real_name: user.real_name ?? user.name,
            display_name: user.name,
            team: teamId,
          },
        },
      });
    },

    'usergroups.users.list': (body) => {
      const users = this.userGroups.get(str(body, 'usergroup') ?? '');
      if (users === undefined) return ok200({ ok: false, error: 'no_such_subteam' });
      return ok200({ ok: true, users: [...users] });
    },

    'files.getUploadURLExternal': (body) => {
      const filename = str(body, 'filename');
      const length = Number(str(body, 'length'));
      if (filename === undefined || !Number.isInteger(length) || length < 0) {
        return ok200({ ok: false, error: 'invalid_arguments' });
      }
      const fileId = this.nextId('F');
      this.pendingUploads.set(fileId, { filename, length });
      return ok200({
        ok: true,
        upload_url: `${this.baseUrl}/upload/${fileId}`,
        file_id: fileId,
      });
    },

    'files.completeUploadExternal': (body) => {
      const files = body.files;
      if (!Array.isArray(files) || files.length === 0) {
        return ok200({ ok: false, error: 'invalid_arguments' });
      }
      const completed: UploadedFile[] = [];
      for (const file of files) {
        const id = isObject(file) ? str(file, 'id') : undefined;
        const pending = id === undefined ? undefined : this.pendingUploads.get(id);
        if (id === undefined || pending?.content === undefined) {
          return ok200({ ok: false, error: 'file_not_found' });
        }
        completed.push({
          file_id: id,
          filename: pending.filename,
          title: isObject(file) ? str(file, 'title') : undefined,
          content: pending.content,
          channel_id: str(body, 'channel_id'),
          thread_ts: str(body, 'thread_ts'),
          initial_comment: str(body, 'initial_comment'),
        });
      }
      for (const file of completed) this.pendingUploads.delete(file.file_id);
      this.uploadedFiles.push(...completed);
      return ok200({
        ok: true,
        files: completed.map((file) => ({
          id: file.file_id,
          name: file.filename,
          title: file.title ?? file.filename,
          size: Buffer.byteLength(file.content),
        })),
      });
    },
  };

  private openView(body: Json): Reply {
    if (str(body, 'trigger_id') === undefined && str(body, 'interactivity_pointer') === undefined) {
      return ok200({ ok: false, error: 'invalid_arguments' });
    }
    const invalid = this.invalidView(body.view);
    if (invalid !== undefined) return invalid;
    const view = this.storeView(this.nextId('V'), body.view as Json);
    return ok200({ ok: true, view });
  }

  private invalidView(view: unknown): Reply | undefined {
    const errors = findViewViolations(view);
    if (errors.length === 0) return undefined;
    return {
      ...ok200({
        ok: false,
        error: 'invalid_arguments',
        errors,
        response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
      }),
      rejected: true,
    };
  }

  private storeView(id: string, view: Json): Json {
    const stored: Json = {
      ...view,
      id,
      team_id: this.teamId,
      state: { values: {} },
      hash: `${this.now()}.${this.nextId('h')}`,
      private_metadata: view.private_metadata ?? '',
      callback_id: view.callback_id ?? '',
      bot_id: this.botId,
    };
    this.views.set(id, stored);
    return stored;
  }

  private async responseUrlPost(id: string, req: IncomingMessage, raw: Buffer): Promise<Reply> {
    const at = this.now();
    let body = await parseBody(req.headers['content-type'], raw);
    if (typeof body?.payload === 'string') {
      const payload = parseJsonObject(body.payload);
      body = isObject(payload) ? payload : undefined;
    }
    const reply =
      body === undefined
        ? { status: 400, body: { ok: false, error: 'invalid_payload' } }
        : this.responseUrlReply(id, body);
    this.responses.push({
      id,
      body: body ?? {},
      at,
      status: reply.status,
      response: reply.body,
      ...(reply.rejected ? { rejected: true } : {}),
    });
    return reply;
  }

  private responseUrlReply(id: string, body: Json): Reply {
    const failure = this.takeFailure('response_url');
    if (failure !== undefined) {
      return 'error' in failure
        ? { status: 400, body: { ok: false, error: failure.error } }
        : failureReply(failure);
    }
    const state = this.responseUrlState.get(id) ?? { uses: 0, expired: false };
    this.responseUrlState.set(id, state);
    if (this.allResponseUrlsExpired || state.expired) {
      return { status: 404, body: { ok: false, error: 'expired_url' } };
    }
    if (state.uses >= this.responseUrlMaxUses) {
      return { status: 404, body: { ok: false, error: 'used_url' } };
    }
    // Like incoming webhooks, response_urls answer errors with a non-2xx status (Bolt's respond() throws).
    const deletes = body.delete_original === true || body.delete_original === 'true';
    if (
      !deletes &&
      body.text === undefined &&
      body.blocks === undefined &&
      body.attachments === undefined
    ) {
      return { status: 400, body: { ok: false, error: 'no_text' } };
    }
    const errors = findBlockKitViolations(body);
    if (errors.length > 0) {
      return { status: 400, body: { ok: false, error: 'invalid_blocks', errors }, rejected: true };
    }
    state.uses += 1;
    const target =
      state.target && this.messages.get(messageKey(state.target.channel, state.target.ts));
    if (target !== undefined) {
      if (deletes) {
        this.messages.delete(messageKey(target.channel, target.ts));
      } else if (body.replace_original === true || body.replace_original === 'true') {
        this.replace(target, body);
      }
    }
    return { status: 200, body: { ok: true } };
  }

  private async upload(fileId: string, req: IncomingMessage, raw: Buffer): Promise<Reply> {
    const failure = this.takeFailure('upload_url');
    if (failure !== undefined) {
      return 'error' in failure ? { status: 400, body: failure.error } : failureReply(failure);
    }
    const pending = this.pendingUploads.get(fileId);
    if (pending === undefined) return { status: 404, body: 'not_found' };
    const contentType = req.headers['content-type'] ?? '';
    let content = raw.toString('utf8');
    if (contentType.startsWith('multipart/form-data')) {
      const form = await new Response(raw, { headers: { 'content-type': contentType } })
        .formData()
        .catch(() => undefined);
      const part = form === undefined ? undefined : [...form.values()][0];
      if (part === undefined) return { status: 400, body: 'invalid_multipart' };
      content = typeof part === 'string' ? part : await part.text();
    }
    pending.content = content;
    return { status: 200, body: `OK - ${Buffer.byteLength(content)}` };
  }

  /** Applies a `chat.update`-like body: omitting `blocks` while passing `text` removes old blocks. */
  private replace(message: StoredMessage, body: Json): void {
    const hasText = body.text !== undefined;
    message.text = hasText ? str(body, 'text') : message.text;
    message.blocks = body.blocks !== undefined ? body.blocks : hasText ? undefined : message.blocks;
    message.attachments =
      body.attachments !== undefined ? body.attachments : hasText ? undefined : message.attachments;
    message.edits += 1;
  }

  private messagePayload(message: StoredMessage): Json {
    return {
      type: 'message',
      text: message.text ?? '',
      ...(message.blocks === undefined ? {} : { blocks: message.blocks }),
      ...(message.attachments === undefined ? {} : { attachments: message.attachments }),
      ...(message.thread_ts === undefined ? {} : { thread_ts: message.thread_ts }),
      user: this.botUserId,
      bot_id: this.botId,
      team: this.teamId,
      ts: message.ts,
      ...(message.edits > 0 ? { edited: { user: this.botUserId, ts: this.nextTs() } } : {}),
    };
  }

  private takeFailure(method: string): SlackFailure | undefined {
    const queue = this.failures.get(method);
    const failure = queue?.shift();
    if (queue !== undefined && queue.length === 0) this.failures.delete(method);
    return failure;
  }

  /** Undefined when allowed; otherwise the whole seconds to wait (at least 1). */
  private rateLimit(method: string, body: Json): number | undefined {
    const { postMessagePerChannel, updatePerMinute } = this.rateLimits;
    if (method === 'chat.postMessage' && postMessagePerChannel !== undefined) {
      const { perSecond, burst } = postMessagePerChannel;
      return this.take(`post:${str(body, 'channel') ?? ''}`, burst, perSecond);
    }
    if (method === 'chat.update' && updatePerMinute !== undefined) {
      return this.take('update', updatePerMinute, updatePerMinute / 60);
    }
    return undefined;
  }

  private take(key: string, capacity: number, perSecond: number): number | undefined {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  }

  /** Unique, increasing message timestamps such as `1731000000.000100`. */
  private nextTs(): string {
    this.sequence += 1;
    const seconds = TS_BASE_SECONDS + Math.floor(this.sequence / 10_000);
    const micros = (this.sequence % 10_000) * 100;
    return `${seconds}.${String(micros).padStart(6, '0')}`;
  }

  private nextId(prefix: string): string {
    this.sequence += 1;
    return `${prefix}${String(this.sequence).padStart(8, '0')}`;
  }

  private send(res: ServerResponse, reply: Reply): void {
    const isText = typeof reply.body === 'string';
    const payload = isText ? (reply.body as string) : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      ...reply.headers,
    });
    res.end(payload);
  }
}

function messageKey(channel: string, ts: string): string {
  return `${channel}|${ts}`;
}

function ok200(body: Json): Reply {
  return { status: 200, body };
}

function failureReply(failure: SlackFailure): Reply {
  if ('error' in failure) return ok200({ ok: false, error: failure.error });
  if (failure.status === 429) {
    return {
      status: 429,
      body: { ok: false, error: 'ratelimited' },
      headers: { 'retry-after': String(failure.retryAfter) },
    };
  }
  return { status: failure.status, body: { ok: false, error: 'internal_error' } };
}

/** Reads the whole body; undefined when it exceeds {@link MAX_BODY_BYTES} (the rest is discarded). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Parses a Web API body: JSON, url-encoded (JSON-valued fields such as `blocks` arrive as JSON
 * strings) or multipart. Undefined when a JSON body is malformed.
 */
async function parseBody(contentType: string | undefined, raw: Buffer): Promise<Json | undefined> {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const text = raw.toString('utf8');
  if (type === 'application/json') {
    if (text.trim() === '') return {};
    const parsed = parseJsonObject(text);
    return isObject(parsed) ? parsed : undefined;
  }
  const fields: Json = {};
  if (type === 'multipart/form-data') {
    const form = await new Response(raw, { headers: { 'content-type': contentType ?? '' } })
      .formData()
      .catch(() => undefined);
    for (const [key, value] of form?.entries() ?? []) {
      fields[key] = typeof value === 'string' ? value : await value.text();
    }
  } else {
    for (const [key, value] of new URLSearchParams(text)) fields[key] = value;
  }
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (JSON_FIELDS.has(key) && typeof value === 'string') {
      const parsed = parseJsonObject(value);
      if (parsed !== undefined) fields[key] = parsed;
    }
  }
  return fields;
}

function parseJsonObject(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
