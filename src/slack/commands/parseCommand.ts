import {
  type CommandDuration,
  type HubCommand,
  type HubSubject,
  ipVersion,
  LOG_PRESETS,
  type LogPreset,
  type LogsCommand,
  type LogsFilter,
  type LogsTarget,
} from '../../domain/investigation';

export type { HubCommand, LogsCommand } from '../../domain/investigation';

/** A parsed `/guardduty` command. */
export type GuardDutyCommand =
  | { kind: 'help' }
  | { kind: 'finding'; findingId: string }
  | { kind: 'report'; findingId: string }
  | { kind: 'suppressions' }
  | LogsCommand
  | HubCommand
  | { kind: 'usage'; problem: string };

/** GuardDuty ids are 32 hex chars; Security Hub ids are ARNs or product-specific strings. */
const FINDING_ID = /^[A-Za-z0-9][A-Za-z0-9:/._-]{0,511}$/;

/** `i-` and 8 or 17 hex digits. */
const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/i;
/** CloudWatch Logs' own rule for log group names. */
const LOG_GROUP = /^[.\-_/#A-Za-z0-9]{1,512}$/;
/** `arn:partition:service:region:account:resource`. */
const ARN =
  /^arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:[a-z0-9-]{1,63}:[a-z0-9-]{0,63}:(?:\d{12}|aws)?:[A-Za-z0-9/:._+=,@*#-]{1,1024}$/;
const ACCESS_KEY_ID = /^(?:AKIA|ASIA)[A-Z0-9]{16}$/;
const DURATION = /^(\d{1,6})([mhd])$/;
const DURATION_UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MAX_SINCE_MS = 30 * DURATION_UNIT_MS.d;
const DEFAULT_SINCE: CommandDuration = { text: '24h', ms: DURATION_UNIT_MS.h * 24 };
const MAX_PATTERN = 1024;
const MAX_ARGUMENTS = 2048;

/** C0/C1 controls, lone surrogates and the bidirectional overrides that make text lie about itself. */
const FORBIDDEN = /[\p{Cc}\p{Cs}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** The usage line of each subcommand, appended to its problems. */
export const USAGE = {
  logs: '`/guardduty logs <instance-id|log-group> [ssh|ssh-failed|ssh-accepted|<filter pattern>] [--since 24h] [--share]`',
  hub: '`/guardduty hub <instance-id|arn|access-key-id|ip>`',
} as const;

const usage = (problem: string, topic?: keyof typeof USAGE): GuardDutyCommand => ({
  kind: 'usage',
  problem: topic === undefined ? problem : `${problem} Usage: ${USAGE[topic]}`,
});

/**
 * A fragment of the user's input, safe to quote inside `…` in a problem: shortened, one line,
 * no backticks. (The help answer escapes `&`, `<` and `>` as well.)
 */
const quote = (text: string, max = 40): string => {
  const clean = [...text]
    .map((char) => (FORBIDDEN.test(char) || /\s/.test(char) ? ' ' : char === '`' ? "'" : char))
    .join('');
  const chars = [...clean];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : clean;
};

/**
 * Slack sends `&`, `<` and `>` typed by the user as `&amp;`, `&lt;` and `&gt;`; a raw `<` is one
 * of Slack's own tokens (a mention, a channel, a link).
 */
const decodeSlackText = (text: string): string =>
  text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** Curly double quotes (phones and macOS type them) become straight ones. */
const normalizeTypography = (text: string): string =>
  text.replace(/[\u201c\u201d\u201e\u201f\u2033]/g, '"');

interface Token {
  text: string;
  start: number;
  end: number;
}

type Tokenized = { ok: true; tokens: Token[] } | { ok: false; problem: string };

const CLOSERS: Record<string, string> = { ']': '[', '}': '{', ')': '(' };

/** Where in the arguments a problem is: the text from there, shortened. */
const near = (text: string, at: number): string => `at \`${quote(text.slice(at, at + 24), 24)}\``;

/**
 * Splits on whitespace, except inside double quotes (backslash escapes the next character there)
 * and inside `[…]`, `{…}` and `(…)`, which must be balanced and properly nested.
 */
const tokenize = (text: string): Tokenized => {
  const tokens: Token[] = [];
  const stack: { char: string; at: number }[] = [];
  let inQuote = false;
  let quoteAt = -1;
  let start = -1;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] ?? '';
    if (inQuote) {
      if (char === '\\') i += 1;
      else if (char === '"') inQuote = false;
      continue;
    }
    if (/\s/.test(char)) {
      if (start >= 0 && stack.length === 0) {
        tokens.push({ text: text.slice(start, i), start, end: i });
        start = -1;
      }
      continue;
    }
    if (start < 0) start = i;
    if (char === '"') {
      inQuote = true;
      quoteAt = i;
    } else if (char === '[' || char === '{' || char === '(') {
      stack.push({ char, at: i });
    } else if (char in CLOSERS) {
      const open = stack.pop();
      if (!open || open.char !== CLOSERS[char]) {
        return { ok: false, problem: `Unbalanced \`${char}\` ${near(text, i)}.` };
      }
    }
  }
  if (inQuote) {
    return { ok: false, problem: `Unclosed \`"\` ${near(text, quoteAt)}.` };
  }
  const open = stack.pop();
  if (open) {
    return { ok: false, problem: `Unclosed \`${open.char}\` ${near(text, open.at)}.` };
  }
  if (start >= 0) tokens.push({ text: text.slice(start), start, end: text.length });
  return { ok: true, tokens };
};

/** Flags: a token starting with `--` (or a dash that autocorrect made of it). */
const flagName = (token: string): string | undefined => {
  const match = /^(?:--|[\u2013\u2014])([A-Za-z][\w-]*)(?:=(.*))?$/s.exec(token);
  return match ? (match[1] ?? '').toLowerCase() : undefined;
};

const flagValue = (token: string): string | undefined => {
  const index = token.indexOf('=');
  return index < 0 ? undefined : token.slice(index + 1);
};

/** Parses `30m`, `24h`, `7d` (1 minute to 30 days). */
export const parseDuration = (text: string): CommandDuration | string => {
  if (text.startsWith('-')) return `\`--since\` must be positive, not \`${quote(text)}\`.`;
  const match = DURATION.exec(text);
  if (!match) {
    return `\`--since\` takes a whole number and a unit (m, h or d), like 30m, 24h or 7d; got \`${quote(text)}\`.`;
  }
  const amount = Number(match[1]);
  const unit = match[2] as keyof typeof DURATION_UNIT_MS;
  const ms = amount * DURATION_UNIT_MS[unit];
  if (ms < DURATION_UNIT_MS.m) return '`--since` must be at least 1m.';
  if (ms > MAX_SINCE_MS) return `\`--since\` is at most 30d; got \`${quote(text)}\`.`;
  return { text: `${amount}${unit}`, ms };
};

/** Checks a raw CloudWatch Logs filter pattern (balance was checked by the tokenizer). */
const patternProblem = (pattern: string): string | undefined => {
  if (pattern.length > MAX_PATTERN) {
    return `The filter pattern is ${pattern.length} characters long; CloudWatch Logs allows ${MAX_PATTERN}.`;
  }
  if (pattern.trim() === '') return 'The filter pattern is empty.';
  return undefined;
};

interface Arguments {
  positional: Token[];
  flags: Map<string, string | undefined>;
}

/** Separates flags (`allowed` names; `withValue` ones take the next token or `=value`). */
const splitArguments = (
  tokens: Token[],
  allowed: readonly string[],
  withValue: readonly string[]
): Arguments | string => {
  const positional: Token[] = [];
  const flags = new Map<string, string | undefined>();
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as Token;
    const name = flagName(token.text);
    if (name === undefined) {
      if (/^(?:--|[\u2013\u2014])/.test(token.text)) {
        return `\`${quote(token.text)}\` is not a flag this command knows.`;
      }
      positional.push(token);
      continue;
    }
    if (!allowed.includes(name)) {
      const known = allowed.map((flag) => `--${flag}`).join(', ');
      return `Unknown flag \`--${quote(name, 30)}\`.${known ? ` Flags: ${known}.` : ' This command takes no flags.'}`;
    }
    if (flags.has(name)) return `\`--${name}\` is given twice.`;
    let value = flagValue(token.text);
    if (withValue.includes(name)) {
      if (value === undefined) {
        const next = tokens[i + 1];
        if (next === undefined || (flagName(next.text) !== undefined && !/^-\d/.test(next.text))) {
          return `\`--${name}\` needs a value, like \`--${name} 24h\`.`;
        }
        value = next.text;
        i += 1;
      }
      flags.set(name, value);
    } else {
      if (value !== undefined) return `\`--${name}\` takes no value.`;
      flags.set(name, undefined);
    }
  }
  return { positional, flags };
};

/** Checks the text after the subcommand and returns it decoded, or the problem. */
const cleanArguments = (raw: string): { text: string } | { problem: string } => {
  if (raw.length > MAX_ARGUMENTS) {
    return {
      problem: `The command is too long (${raw.length} characters; at most ${MAX_ARGUMENTS}).`,
    };
  }
  if (FORBIDDEN.test(raw.trim())) {
    return {
      problem: 'Control characters (line breaks, tabs, direction overrides) are not allowed.',
    };
  }
  if (raw.includes('<')) {
    return { problem: 'Mentions, channels and links are not allowed in arguments.' };
  }
  return { text: normalizeTypography(decodeSlackText(raw)).trim() };
};

const parseLogsTarget = (text: string): LogsTarget | string => {
  if (/^i-/i.test(text)) {
    if (!INSTANCE_ID.test(text)) {
      return `\`${quote(text)}\` is not a valid instance id (\`i-\` and 8 or 17 hex digits).`;
    }
    return { type: 'instance', instanceId: text.toLowerCase() };
  }
  if (text.startsWith('arn:')) {
    return 'Give the log group by name (e.g. `/var/log/secure`), not by ARN.';
  }
  if (!LOG_GROUP.test(text)) {
    return `\`${quote(text)}\` is neither an instance id nor a log group name (letters, digits and \`._-/#\`, at most 512).`;
  }
  return { type: 'logGroup', logGroupName: text };
};

const parseLogs = (raw: string): GuardDutyCommand => {
  const cleaned = cleanArguments(raw);
  if ('problem' in cleaned) return usage(cleaned.problem, 'logs');
  const tokenized = tokenize(cleaned.text);
  if (!tokenized.ok) return usage(tokenized.problem, 'logs');
  const args = splitArguments(tokenized.tokens, ['since', 'share'], ['since']);
  if (typeof args === 'string') return usage(args, 'logs');
  const [first, ...patternTokens] = args.positional;
  if (first === undefined) return usage('`logs` needs an instance id or a log group.', 'logs');
  const target = parseLogsTarget(first.text);
  if (typeof target === 'string') return usage(target, 'logs');

  let filter: LogsFilter = { type: 'preset', preset: 'ssh' };
  if (patternTokens.length > 0) {
    const firstToken = patternTokens[0] as Token;
    const lastToken = patternTokens[patternTokens.length - 1] as Token;
    const between = tokenized.tokens.slice(
      tokenized.tokens.indexOf(firstToken),
      tokenized.tokens.indexOf(lastToken) + 1
    );
    if (between.length !== patternTokens.length) {
      return usage('Put the flags after the filter pattern, not inside it.', 'logs');
    }
    const pattern = cleaned.text.slice(firstToken.start, lastToken.end);
    if (Object.hasOwn(LOG_PRESETS, pattern)) {
      filter = { type: 'preset', preset: pattern as LogPreset };
    } else {
      const problem = patternProblem(pattern);
      if (problem) return usage(problem, 'logs');
      filter = { type: 'pattern', pattern };
    }
  }

  let since = DEFAULT_SINCE;
  const sinceText = args.flags.get('since');
  if (args.flags.has('since')) {
    const parsed = parseDuration(sinceText ?? '');
    if (typeof parsed === 'string') return usage(parsed, 'logs');
    since = parsed;
  }
  return { kind: 'logs', target, filter, since, share: args.flags.has('share') };
};

const parseHubSubject = (text: string): HubSubject | string => {
  if (/^i-/i.test(text)) {
    if (!INSTANCE_ID.test(text)) {
      return `\`${quote(text)}\` is not a valid instance id (\`i-\` and 8 or 17 hex digits).`;
    }
    return { type: 'instance', instanceId: text.toLowerCase() };
  }
  if (/^arn:/i.test(text)) {
    if (!ARN.test(text)) {
      return `\`${quote(text)}\` is not a valid ARN (\`arn:<partition>:<service>:<region>:<account>:<resource>\`).`;
    }
    return { type: 'arn', arn: text };
  }
  if (/^A[KS]IA/.test(text)) {
    if (!ACCESS_KEY_ID.test(text)) {
      return `\`${quote(text)}\` is not a valid access key id (AKIA or ASIA and 16 more capitals or digits).`;
    }
    return { type: 'accessKey', accessKeyId: text };
  }
  if (/^[0-9A-Fa-f:.]+\/\d{1,3}$/.test(text)) return 'Give a single IP address, not a CIDR range.';
  if (/^[\d.]+$/.test(text)) {
    return ipVersion(text) === 4
      ? { type: 'ip', ip: text, version: 4 }
      : `\`${quote(text)}\` is not a valid IPv4 address.`;
  }
  if (text.includes(':') && /^[0-9A-Fa-f:.]+$/.test(text)) {
    return ipVersion(text) === 6
      ? { type: 'ip', ip: text.toLowerCase(), version: 6 }
      : `\`${quote(text)}\` is not a valid IPv6 address.`;
  }
  return `\`${quote(text)}\` is not an instance id, ARN, access key id or IP address.`;
};

const parseHub = (raw: string): GuardDutyCommand => {
  const cleaned = cleanArguments(raw);
  if ('problem' in cleaned) return usage(cleaned.problem, 'hub');
  const tokenized = tokenize(cleaned.text);
  if (!tokenized.ok) return usage(tokenized.problem, 'hub');
  const args = splitArguments(tokenized.tokens, [], []);
  if (typeof args === 'string') return usage(args, 'hub');
  if (args.positional.length !== 1) {
    return usage('`hub` takes exactly one instance id, ARN, access key id or IP address.', 'hub');
  }
  const subject = parseHubSubject((args.positional[0] as Token).text);
  if (typeof subject === 'string') return usage(subject, 'hub');
  return { kind: 'hub', subject };
};

const parseFindingId = (verb: 'finding' | 'report', rest: string[]): GuardDutyCommand => {
  if (rest.length !== 1) {
    return { kind: 'usage', problem: `\`${verb}\` takes exactly one finding id.` };
  }
  const [findingId = ''] = rest;
  if (!FINDING_ID.test(findingId)) {
    return {
      kind: 'usage',
      problem: 'That does not look like a finding id (letters, digits and `:/._-`, at most 512).',
    };
  }
  return { kind: verb, findingId };
};

/**
 * Parses the text after `/guardduty`. Strict: anything unexpected becomes a `usage` answer naming
 * the problem (with the subcommand's usage line), never an exception. Problems quote at most a
 * short, one-line, backtick-free fragment of the input; `helpText` escapes them for mrkdwn.
 */
export const parseCommand = (text: string): GuardDutyCommand => {
  const words = text
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  const [verb, ...rest] = words;
  if (verb === undefined || verb.toLowerCase() === 'help') return { kind: 'help' };
  switch (verb.toLowerCase()) {
    case 'finding':
      return parseFindingId('finding', rest);
    case 'report':
      return parseFindingId('report', rest);
    case 'logs':
      return parseLogs(text.trim().slice(verb.length));
    case 'hub':
      return parseHub(text.trim().slice(verb.length));
    case 'suppressions':
      return rest.length === 0
        ? { kind: 'suppressions' }
        : { kind: 'usage', problem: '`suppressions` takes no arguments.' };
    default:
      return { kind: 'usage', problem: `Unknown subcommand \`${quote(verb.slice(0, 30), 30)}\`.` };
  }
};
