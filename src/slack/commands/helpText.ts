import { escapeMrkdwn } from '../mrkdwn';

/** What `/guardduty help` lists: exactly what this deployment can do. */
export const HELP_LINES: readonly string[] = [
  '*GuardDuty responder*: every GuardDuty finding arrives in this channel as one card that updates in place (count, last seen, latest actor). During a storm, Low and Medium findings are gathered into one digest per minute; High and Critical always get their own card.',
  '`/guardduty finding <finding-id>`: the current state of a finding, with a link to its card or digest. Example: `/guardduty finding 8cc4f1f7b2a64e0f9d1b3a5c7e9f0a12`',
  '`/guardduty help`: this list.',
];

/** The help answer, optionally preceded by what was wrong with the command. */
export const helpText = (problem?: string): string =>
  [...(problem === undefined ? [] : [`:warning: ${escapeMrkdwn(problem)}`]), ...HELP_LINES].join(
    '\n'
  );
