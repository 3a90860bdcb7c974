import { escapeMrkdwn } from '../mrkdwn';

/** What `/guardduty help` lists: exactly what this deployment can do. */
export const HELP_LINES: readonly string[] = [
  '*GuardDuty responder*: every GuardDuty finding arrives in this channel as one card that updates in place (count, last seen, latest actor). During a storm, Low and Medium findings are gathered into one digest per minute; High and Critical always get their own card.',
  '`/guardduty finding &lt;finding-id&gt;`: the current state of a finding, with a link to its card or digest. Example: `/guardduty finding 8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12`',
  '`/guardduty logs &lt;instance-id|log-group&gt; [ssh|ssh-failed|ssh-accepted|&lt;filter pattern&gt;] [--since 24h] [--share]`: searches CloudWatch Logs. An instance id searches the secure-log groups (streams named after the instance); a log group must be on the allow-list. `ssh` (the default) finds every sshd login line, `ssh-failed` the `Invalid user` and `Failed password` lines, `ssh-accepted` the `Accepted password|publickey` lines; or give your own pattern, up to 1024 characters. `--since` goes from 1m to 30d (default 24h); `--share` answers in the channel instead of only to you. Examples: `/guardduty logs i-0a1b2c3d4e5f60718 ssh-accepted --since 7d`, `/guardduty logs /var/log/secure "Failed password" --since 30m`',
  '`/guardduty hub &lt;instance-id|arn|access-key-id|ip&gt;`: Security Hub findings about a resource or an address (IPv4 or IPv6), by product, active first. Examples: `/guardduty hub i-0a1b2c3d4e5f60718`, `/guardduty hub 203.0.113.45`',
  '`/guardduty report &lt;finding-id&gt;`: the after-action report of a finding, from its recorded history. Example: `/guardduty report 8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12`',
  '`/guardduty suppressions`: the GuardDuty suppression rules this bot created (from Dismiss → "Also suppress similar findings"), each with a Delete button.',
  'On a card: *Isolate* cuts the instance off the network after a confirmation (a second approver confirms when the two-person rule applies) and *Release* restores it; *Investigate* posts the pivots in the thread; *Dismiss* archives with a reason; *Report* uploads the after-action report.',
  '`/guardduty help`: this list.',
];

/** The help answer, optionally preceded by what was wrong with the command. */
export const helpText = (problem?: string): string =>
  [...(problem === undefined ? [] : [`:warning: ${escapeMrkdwn(problem)}`]), ...HELP_LINES].join(
    '\n'
  );
