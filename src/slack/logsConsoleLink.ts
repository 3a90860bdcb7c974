import { type ConsoleScope, consoleBaseUrl } from './consoleLinks';

/**
 * A deep link to a log group's events in the CloudWatch console, with a filter pattern and a time
 * window. The console reads the part after `#logsV2:` in its own encoding: each value is
 * URI-encoded twice and then every `%` is written `$` (`/` → `$252F`, `?` → `$3F`, `=` → `$3D`,
 * `&` → `$26`). The result is a plain URL, to be wrapped with `link()` from `./mrkdwn`.
 */

/** What the link opens. */
export interface LogsConsoleQuery {
  logGroupName: string;
  filterPattern?: string;
  /** Epoch milliseconds or a Date. */
  start?: number | Date;
  end?: number | Date;
}

const consoleEncode = (value: string): string =>
  encodeURIComponent(encodeURIComponent(value)).replace(/%/g, '$');

const millis = (value: number | Date): string =>
  String(Math.trunc(value instanceof Date ? value.getTime() : value));

/** The log group's events in the CloudWatch console, filtered and windowed. */
export const logsConsoleUrl = (scope: ConsoleScope, query: LogsConsoleQuery): string => {
  const params: string[] = [];
  if (query.filterPattern) params.push(`filterPattern$3D${consoleEncode(query.filterPattern)}`);
  if (query.start !== undefined) params.push(`start$3D${millis(query.start)}`);
  if (query.end !== undefined) params.push(`end$3D${millis(query.end)}`);
  const search = params.length > 0 ? `$3F${params.join('$26')}` : '';
  return `${consoleBaseUrl(scope)}/cloudwatch/home?region=${encodeURIComponent(scope.region)}#logsV2:log-groups/log-group/${consoleEncode(query.logGroupName)}/log-events${search}`;
};
