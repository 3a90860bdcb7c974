import { ipVersion, normalizeIp } from './investigation';

/**
 * Parsing and aggregation of sshd authentication lines (`/var/log/secure`, `auth.log`, the
 * journal), to answer "was the brute force successful, and as whom". Pure: no clock, no I/O.
 *
 * sshd writes (openssh-portable `auth.c`):
 * - `Invalid user <user> from <ip> port <port>`
 * - `Failed <method> for [invalid user ]<user> from <ip> port <port> ssh2`
 * - `Accepted <method> for <user> from <ip> port <port> ssh2[: <key type> <fingerprint>]`
 *
 * Lines may carry a traditional syslog header (`Mar  1 10:02:03 host sshd[1234]: …`, single-digit
 * days padded with a second space), a high-precision ISO one (`2025-03-01T10:02:03.123456+00:00
 * host sshd[1234]: …`), none at all (journald `MESSAGE`), or be rsyslog's `message repeated N
 * times: [ … ]`. The user name is attacker-controlled and may itself contain ` from 1.2.3.4 port 1`:
 * the source is always taken from the last `from … port …` of the line, which sshd writes itself.
 */

/** What an sshd line says happened. */
export type SshEventKind = 'invalid_user' | 'failed' | 'accepted';

/** One parsed sshd authentication line. */
export interface SshAuthEvent {
  kind: SshEventKind;
  /** `password`, `publickey`, `keyboard-interactive/pam`, `none`… (absent for `invalid_user`). */
  method?: string;
  /** The user name as sshd logged it (untrusted, at most 100 characters). */
  user: string;
  /** True when sshd said the account does not exist. */
  invalidUser: boolean;
  /** The source address, normalized (IPv6 compressed, IPv4-mapped IPv6 as IPv4). */
  sourceIp: string;
  port?: number;
  /** Epoch milliseconds, when known. */
  time?: number;
  host?: string;
  /** How many identical lines this stands for (rsyslog's `message repeated N times`). */
  repeat: number;
}

/** Where a line came from: its text and, for CloudWatch Logs events, the event timestamp. */
export interface SshLogEntry {
  message: string;
  /** Epoch milliseconds of the log event, when the transport knows it. */
  timestamp?: number;
}

/** Options of {@link parseSshLine}. */
export interface SshParseOptions {
  /**
   * Epoch milliseconds near the line's time, to give a year to syslog timestamps (which have
   * none): the latest year that does not put the line more than a day after this time.
   */
  referenceTime?: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;
const MAX_LINE = 8192;
const MAX_USER = 100;

const SYSLOG_HEADER =
  /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)? (\S+) (.*)$/;
const ISO_HEADER =
  /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?) (\S+) (.*)$/;
const PROGRAM = /^([\w./-]+)(?:\[(\d+)\])?: (.*)$/;
const SSHD = /^(?:\/usr\/sbin\/)?sshd(?:-session|-auth)?$/;
const REPEATED = /^message repeated (\d{1,9}) times: \[ ?(.*?) ?\]$/;
const INVALID_USER = /^Invalid user (.*) from (\S+?)(?: port (\d{1,5}))?$/;
const AUTH =
  /^(Accepted|Failed) ([\w/-]+) for (invalid user )?(.*) from (\S+?) port (\d{1,5})(?: ssh2)?(?:: .*)?$/;
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$/;

const syslogTime = (
  match: RegExpExecArray,
  referenceTime: number | undefined
): number | undefined => {
  if (referenceTime === undefined) return undefined;
  const [, mon = '', day = '', hh = '', mm = '', ss = ''] = match;
  const month = MONTHS.indexOf(mon);
  let year = new Date(referenceTime).getUTCFullYear();
  const at = (y: number) => Date.UTC(y, month, Number(day), Number(hh), Number(mm), Number(ss));
  if (at(year) > referenceTime + DAY_MS) year -= 1;
  const time = at(year);
  return Number.isNaN(time) ? undefined : time;
};

const isoTime = (text: string): number | undefined => {
  // Date.parse wants a "T" and at most milliseconds; rsyslog's high precision has microseconds.
  const normalized = text
    .replace(' ', 'T')
    .replace(',', '.')
    .replace(/(\.\d{3})\d+/, '$1')
    .replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const time = Date.parse(normalized);
  return Number.isNaN(time) ? undefined : time;
};

const sourceOf = (text: string): string | undefined => {
  if (ipVersion(text) !== undefined) return normalizeIp(text);
  // sshd logs a host name instead when UseDNS is on.
  return HOSTNAME.test(text) && !/^[\d.]+$/.test(text) ? text.toLowerCase() : undefined;
};

const portOf = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const port = Number(text);
  return port >= 0 && port <= 65_535 ? port : undefined;
};

/**
 * Parses one line. Returns undefined for anything that is not an sshd authentication line
 * (other programs, other sshd messages, garbage).
 */
export const parseSshLine = (
  line: string,
  options: SshParseOptions & { timestamp?: number } = {}
): SshAuthEvent | undefined => {
  if (line.length > MAX_LINE) return undefined;
  const text = line.replace(/[\r\n]+$/, '').trim();
  let rest = text;
  let host: string | undefined;
  let headerTime: number | undefined;
  const iso = ISO_HEADER.exec(text);
  const syslog = iso ? null : SYSLOG_HEADER.exec(text);
  if (iso) {
    headerTime = isoTime(iso[1] ?? '');
    host = iso[2];
    rest = iso[3] ?? '';
  } else if (syslog) {
    host = syslog[6];
    rest = syslog[7] ?? '';
  }
  const program = PROGRAM.exec(rest);
  if (program) {
    if (!SSHD.test(program[1] ?? '')) return undefined;
    rest = program[3] ?? '';
  } else if (iso || syslog) {
    return undefined;
  }
  // The event timestamp is exact; a syslog header has neither year nor zone, so it comes last.
  const time =
    headerTime ??
    options.timestamp ??
    (syslog ? syslogTime(syslog, options.referenceTime) : undefined);

  let repeat = 1;
  const repeated = REPEATED.exec(rest);
  if (repeated) {
    repeat = Math.max(1, Number(repeated[1]));
    rest = repeated[2] ?? '';
  }
  rest = rest.trimEnd();

  const auth = AUTH.exec(rest);
  if (auth) {
    const sourceIp = sourceOf(auth[5] ?? '');
    if (sourceIp === undefined) return undefined;
    return {
      kind: auth[1] === 'Accepted' ? 'accepted' : 'failed',
      method: auth[2] ?? '',
      user: (auth[4] ?? '').slice(0, MAX_USER),
      invalidUser: auth[3] !== undefined,
      sourceIp,
      ...withDefined('port', portOf(auth[6])),
      ...withDefined('time', time),
      ...withDefined('host', host),
      repeat,
    };
  }
  const invalid = INVALID_USER.exec(rest);
  if (invalid) {
    const sourceIp = sourceOf(invalid[2] ?? '');
    if (sourceIp === undefined) return undefined;
    return {
      kind: 'invalid_user',
      user: (invalid[1] ?? '').slice(0, MAX_USER),
      invalidUser: true,
      sourceIp,
      ...withDefined('port', portOf(invalid[3])),
      ...withDefined('time', time),
      ...withDefined('host', host),
      repeat,
    };
  }
  return undefined;
};

const withDefined = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

// ---------------------------------------------------------------------------------------------
// Aggregation

/** Failures and successes of one source address. */
export interface SshSourceStats {
  ip: string;
  /** Failed authentications, plus connections refused for an unknown user without one. */
  failedAttempts: number;
  invalidUserLines: number;
  failedPasswordLines: number;
  accepted: number;
  /** ISO-8601. */
  firstSeen?: string;
  lastSeen?: string;
}

/** How often a user name was tried. */
export interface SshUserStats {
  user: string;
  failedAttempts: number;
  accepted: number;
  /** True when sshd said the account does not exist. */
  invalid: boolean;
}

/** Successful logins of one user, from one address, with one method. */
export interface SshAcceptedLogin {
  user: string;
  ip: string;
  method: string;
  count: number;
  /** ISO-8601. */
  firstSeen?: string;
  lastSeen?: string;
  /** Failed attempts from the same address before the first success. */
  failedBefore: number;
}

/** The answer to "was the brute force successful, and as whom". */
export interface SshAnalysis {
  linesRead: number;
  /** sshd authentication lines among them. */
  linesMatched: number;
  invalidUserLines: number;
  failedPasswordLines: number;
  /** `Failed publickey`, `Failed keyboard-interactive/pam`, `Failed none`… */
  failedOtherLines: number;
  /**
   * Failed authentications plus connections refused for an unknown user that never reached a
   * password (one hydra try logs both `Invalid user` and `Failed password for invalid user`).
   */
  failedAttempts: number;
  acceptedLogins: number;
  distinctSourceIps: number;
  /** Sources with at least one failed attempt. */
  failingSourceIps: number;
  /** Most active sources first. */
  topSourceIps: SshSourceStats[];
  distinctUsernames: number;
  /** Most tried user names first. */
  usernamesTried: SshUserStats[];
  /** Every successful login, oldest first (capped). */
  accepted: SshAcceptedLogin[];
  /** The actor the analysis was asked about, normalized. */
  actorIp?: string;
  /** Successful logins from the actor, oldest first: who the attacker became. */
  acceptedFromActor: SshAcceptedLogin[];
  actorFailedAttempts: number;
  /** ISO-8601 bounds of the matched lines with a known time. */
  firstSeen?: string;
  lastSeen?: string;
}

/** Options of {@link analyzeSshLog}. */
export interface SshAnalysisOptions extends SshParseOptions {
  /** The finding's remote IP: its accepted logins are reported apart. */
  actorIp?: string;
  /** How many sources and user names to keep. @default 5 sources, 10 user names */
  topSources?: number;
  topUsers?: number;
  /** How many accepted-login groups to keep. @default 50 */
  maxAccepted?: number;
}

const iso = (time: number | undefined): string | undefined =>
  time === undefined ? undefined : new Date(time).toISOString();

interface MutableSource {
  ip: string;
  attempts: number;
  invalidUserLines: number;
  failedPasswordLines: number;
  accepted: number;
  first?: number;
  last?: number;
}

interface MutableAccepted {
  user: string;
  ip: string;
  method: string;
  count: number;
  first?: number;
  last?: number;
  order: number;
  failedBefore: number;
}

const widen = (target: { first?: number; last?: number }, time: number | undefined): void => {
  if (time === undefined) return;
  if (target.first === undefined || time < target.first) target.first = time;
  if (target.last === undefined || time > target.last) target.last = time;
};

/**
 * Aggregates sshd lines: counts, top sources, user names tried, and the accounts accepted from the
 * actor IP. Lines are taken in time order when their times are known (CloudWatch Logs returns
 * them sorted already), so "failed before the first success" is meaningful.
 */
export const analyzeSshLog = (
  entries: Iterable<SshLogEntry | string>,
  options: SshAnalysisOptions = {}
): SshAnalysis => {
  const actorIp = options.actorIp === undefined ? undefined : normalizeIp(options.actorIp);
  const events: SshAuthEvent[] = [];
  let linesRead = 0;
  for (const entry of entries) {
    linesRead += 1;
    const message = typeof entry === 'string' ? entry : entry.message;
    const timestamp = typeof entry === 'string' ? undefined : entry.timestamp;
    const event = parseSshLine(message, {
      ...(timestamp === undefined ? {} : { timestamp }),
      ...(options.referenceTime === undefined ? {} : { referenceTime: options.referenceTime }),
    });
    if (event) events.push(event);
  }
  // Stable sort by time; lines without a time keep their place relative to each other.
  const ordered = events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => (a.event.time ?? 0) - (b.event.time ?? 0) || a.index - b.index)
    .map(({ event }) => event);

  const sources = new Map<string, MutableSource>();
  const users = new Map<string, SshUserStats>();
  const accepted = new Map<string, MutableAccepted>();
  const failedConnections = new Set<string>();
  // Connections refused for an unknown user count as one attempt until a failed authentication
  // on the same connection replaces them (hydra's tries log both lines).
  const provisional = new Map<string, { user: string; count: number }>();
  let invalidUserLines = 0;
  let failedPasswordLines = 0;
  let failedOtherLines = 0;
  let acceptedLogins = 0;
  const span: { first?: number; last?: number } = {};

  const source = (ip: string): MutableSource => {
    let stats = sources.get(ip);
    if (!stats) {
      stats = { ip, attempts: 0, invalidUserLines: 0, failedPasswordLines: 0, accepted: 0 };
      sources.set(ip, stats);
    }
    return stats;
  };
  const user = (name: string, invalid: boolean): SshUserStats => {
    let stats = users.get(name);
    if (!stats) {
      stats = { user: name, failedAttempts: 0, accepted: 0, invalid };
      users.set(name, stats);
    }
    if (invalid) stats.invalid = true;
    return stats;
  };

  ordered.forEach((event, index) => {
    widen(span, event.time);
    const from = source(event.sourceIp);
    widen(from, event.time);
    // A connection is one source address and port; lines without a port stand alone.
    const connection = `${event.sourceIp}|${event.port ?? `#${index}`}`;
    switch (event.kind) {
      case 'invalid_user': {
        invalidUserLines += event.repeat;
        from.invalidUserLines += event.repeat;
        const stats = user(event.user, true);
        if (failedConnections.has(connection)) break;
        const pending = provisional.get(connection);
        if (pending) pending.count += event.repeat;
        else provisional.set(connection, { user: event.user, count: event.repeat });
        from.attempts += event.repeat;
        stats.failedAttempts += event.repeat;
        break;
      }
      case 'failed': {
        if (event.method === 'password') {
          failedPasswordLines += event.repeat;
          from.failedPasswordLines += event.repeat;
        } else {
          failedOtherLines += event.repeat;
        }
        const pending = provisional.get(connection);
        if (pending) {
          from.attempts -= pending.count;
          user(pending.user, true).failedAttempts -= pending.count;
          provisional.delete(connection);
        }
        from.attempts += event.repeat;
        failedConnections.add(connection);
        user(event.user, event.invalidUser).failedAttempts += event.repeat;
        break;
      }
      case 'accepted': {
        acceptedLogins += event.repeat;
        from.accepted += event.repeat;
        user(event.user, false).accepted += event.repeat;
        const key = `${event.user}\u0000${event.sourceIp}\u0000${event.method ?? ''}`;
        let login = accepted.get(key);
        if (!login) {
          login = {
            user: event.user,
            ip: event.sourceIp,
            method: event.method ?? '',
            count: 0,
            order: accepted.size,
            failedBefore: from.attempts,
          };
          accepted.set(key, login);
        }
        login.count += event.repeat;
        widen(login, event.time);
        break;
      }
    }
  });

  const sourceStats: SshSourceStats[] = [...sources.values()]
    .map((s) => ({
      ip: s.ip,
      failedAttempts: s.attempts,
      invalidUserLines: s.invalidUserLines,
      failedPasswordLines: s.failedPasswordLines,
      accepted: s.accepted,
      ...withDefined('firstSeen', iso(s.first)),
      ...withDefined('lastSeen', iso(s.last)),
    }))
    .sort(
      (a, b) =>
        b.failedAttempts + b.accepted - (a.failedAttempts + a.accepted) || a.ip.localeCompare(b.ip)
    );
  const failedAttempts = sourceStats.reduce((sum, s) => sum + s.failedAttempts, 0);
  const userStats = [...users.values()]
    .filter((u) => u.failedAttempts > 0 || u.accepted > 0)
    .sort(
      (a, b) =>
        b.failedAttempts + b.accepted - (a.failedAttempts + a.accepted) ||
        a.user.localeCompare(b.user)
    );
  const acceptedList: SshAcceptedLogin[] = [...accepted.values()]
    .sort((a, b) => (a.first ?? 0) - (b.first ?? 0) || a.order - b.order)
    .map((login) => ({
      user: login.user,
      ip: login.ip,
      method: login.method,
      count: login.count,
      failedBefore: login.failedBefore,
      ...withDefined('firstSeen', iso(login.first)),
      ...withDefined('lastSeen', iso(login.last)),
    }));
  const actor = actorIp === undefined ? undefined : sources.get(actorIp);

  return {
    linesRead,
    linesMatched: events.length,
    invalidUserLines,
    failedPasswordLines,
    failedOtherLines,
    failedAttempts,
    acceptedLogins,
    distinctSourceIps: sources.size,
    failingSourceIps: sourceStats.filter((s) => s.failedAttempts > 0).length,
    topSourceIps: sourceStats.slice(0, options.topSources ?? 5),
    distinctUsernames: userStats.length,
    usernamesTried: userStats.slice(0, options.topUsers ?? 10),
    accepted: acceptedList.slice(0, options.maxAccepted ?? 50),
    ...withDefined('actorIp', actorIp),
    acceptedFromActor:
      actorIp === undefined ? [] : acceptedList.filter((login) => login.ip === actorIp),
    actorFailedAttempts: actor?.attempts ?? 0,
    ...withDefined('firstSeen', iso(span.first)),
    ...withDefined('lastSeen', iso(span.last)),
  };
};
