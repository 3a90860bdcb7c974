import { createHmac, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** Defaults shared by the body builders: one workspace, one incident channel, one responder. */
export const TEST_SLACK_IDS = {
  teamId: 'T0TEST',
  teamDomain: 'example',
  channelId: 'C0INCIDENTS',
  channelName: 'incidents',
  userId: 'U0ALICE',
  userName: 'alice',
  appId: 'A0GUARDDUTY',
  botUserId: 'U0BOT',
  botId: 'B0BOT',
} as const;

/** Options for {@link signedSlackEvent}. */
export interface SignedSlackEventOptions {
  /** The signing secret to sign with. */
  secret: string;
  /** Unix seconds put in `x-slack-request-timestamp` and the signature. Default: now. */
  timestamp?: number;
  /** Deliver the body base64-encoded as HTTP API does (`isBase64Encoded: true`). Default true. */
  base64?: boolean;
  /** Use this `x-slack-signature` instead of the correct one (to forge a request). */
  signature?: string;
  /** Content type header. Default exactly `application/x-www-form-urlencoded`. */
  contentType?: string;
}

/** `v0=` + HMAC-SHA256(secret, `v0:{timestamp}:{body}`) as hex: Slack's request signature. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/**
 * An API Gateway HTTP API (payload v2) event for `POST /slack/events` carrying `body`, signed the
 * way Slack signs its requests.
 */
export function signedSlackEvent(
  body: string,
  options: SignedSlackEventOptions
): APIGatewayProxyEventV2 {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const base64 = options.base64 ?? true;
  const now = new Date();
  const userAgent = 'Slackbot 1.0 (+https://api.slack.com/robots)';
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey: 'POST /slack/events',
    rawPath: '/slack/events',
    rawQueryString: '',
    headers: {
      accept: 'application/json,*/*',
      'accept-encoding': 'gzip,deflate',
      'content-length': String(Buffer.byteLength(body)),
      'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      'user-agent': userAgent,
      'x-amzn-trace-id': `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${requestId.replaceAll('-', '').slice(0, 24)}`,
      'x-forwarded-for': '54.209.0.1',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? slackSignature(options.secret, timestamp, body),
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method: 'POST',
        path: '/slack/events',
        protocol: 'HTTP/1.1',
        sourceIp: '54.209.0.1',
        userAgent,
      },
      requestId,
      routeKey: 'POST /slack/events',
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    body: base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
    isBase64Encoded: base64,
  };
}

/** Fields of a slash command; omitted ones take {@link TEST_SLACK_IDS} defaults. */
export interface SlashCommandFields {
  text: string;
  user_id?: string;
  user_name?: string;
  channel_id?: string;
  channel_name?: string;
  team_id?: string;
  response_url?: string;
  trigger_id?: string;
  command?: string;
}

/** The url-encoded body Slack sends for a slash command (default `/guardduty`). */
export function slashCommandBody(fields: SlashCommandFields): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: fields.team_id ?? TEST_SLACK_IDS.teamId,
    team_domain: TEST_SLACK_IDS.teamDomain,
    channel_id: fields.channel_id ?? TEST_SLACK_IDS.channelId,
    channel_name: fields.channel_name ?? TEST_SLACK_IDS.channelName,
    user_id: fields.user_id ?? TEST_SLACK_IDS.userId,
    user_name: fields.user_name ?? TEST_SLACK_IDS.userName,
    command: fields.command ?? '/guardduty',
    text: fields.text,
    api_app_id: TEST_SLACK_IDS.appId,
    is_enterprise_install: 'false',
    response_url:
      fields.response_url ?? `https://hooks.slack.com/commands/${TEST_SLACK_IDS.teamId}/1/unused`,
    trigger_id: fields.trigger_id ?? triggerId(),
  }).toString();
}

/** The url-encoded body Slack sends for an interaction: `payload=<url-encoded JSON>`. */
export function blockActionsBody(payload: object): string {
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** Options for {@link blockActionPayload}. */
export interface BlockActionPayloadOptions {
  actionId: string;
  value: string;
  userId: string;
  channelId: string;
  /** `ts` of the message that carries the button. */
  messageTs: string;
  teamId?: string;
  userName?: string;
  responseUrl?: string;
  triggerId?: string;
  /** `block_id` of the actions block. Default `actions`. */
  blockId?: string;
  /** The message as the user saw it (Slack sends it back). Default: a minimal bot message. */
  message?: Record<string, unknown>;
}

/** A `block_actions` payload for one button click, shaped like the ones Slack sends. */
export function blockActionPayload(options: BlockActionPayloadOptions): object {
  const teamId = options.teamId ?? TEST_SLACK_IDS.teamId;
  const userName = options.userName ?? TEST_SLACK_IDS.userName;
  const blockId = options.blockId ?? 'actions';
  const actionTs = (Date.now() / 1000).toFixed(6);
  return {
    type: 'block_actions',
    user: { id: options.userId, username: userName, name: userName, team_id: teamId },
    api_app_id: TEST_SLACK_IDS.appId,
    token: 'deprecated-verification-token',
    container: {
      type: 'message',
      message_ts: options.messageTs,
      channel_id: options.channelId,
      is_ephemeral: false,
    },
    trigger_id: options.triggerId ?? triggerId(),
    team: { id: teamId, domain: TEST_SLACK_IDS.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: options.channelId, name: TEST_SLACK_IDS.channelName },
    message: options.message ?? {
      type: 'message',
      subtype: 'bot_message',
      text: 'GuardDuty finding',
      ts: options.messageTs,
      bot_id: TEST_SLACK_IDS.botId,
      user: TEST_SLACK_IDS.botUserId,
      blocks: [],
    },
    state: { values: {} },
    response_url: options.responseUrl ?? `https://hooks.slack.com/actions/${teamId}/1/unused`,
    actions: [
      {
        type: 'button',
        action_id: options.actionId,
        block_id: blockId,
        text: { type: 'plain_text', text: options.actionId, emoji: true },
        value: options.value,
        action_ts: actionTs,
      },
    ],
  };
}

function triggerId(): string {
  return `${Date.now()}.${TEST_SLACK_IDS.teamId}.${randomUUID().replaceAll('-', '')}`;
}

/** API Gateway's `requestContext.time` format, e.g. `12/Mar/2020:19:03:58 +0000`. */
function apiGatewayTime(date: Date): string {
  const months = [
    'Jan',
    'Feb',
    'Mar',
    'Apr',
    'May',
    'Jun',
    'Jul',
    'Aug',
    'Sep',
    'Oct',
    'Nov',
    'Dec',
  ];
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}
