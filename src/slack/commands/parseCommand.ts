/** A parsed `/guardduty` command. */
export type GuardDutyCommand =
  | { kind: 'help' }
  | { kind: 'finding'; findingId: string }
  | { kind: 'usage'; problem: string };

/** GuardDuty ids are 32 hex chars; Security Hub ids are ARNs or product-specific strings. */
const FINDING_ID = /^[A-Za-z0-9][A-Za-z0-9:/._-]{0,511}$/;

/**
 * Parses the text after `/guardduty`. Strict: anything unexpected becomes a `usage` answer naming
 * the problem, never an exception.
 */
export const parseCommand = (text: string): GuardDutyCommand => {
  const words = text
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  const [verb, ...rest] = words;
  if (verb === undefined || verb.toLowerCase() === 'help') return { kind: 'help' };
  switch (verb.toLowerCase()) {
    case 'finding': {
      if (rest.length !== 1) {
        return { kind: 'usage', problem: '`finding` takes exactly one finding id.' };
      }
      const [findingId = ''] = rest;
      if (!FINDING_ID.test(findingId)) {
        return {
          kind: 'usage',
          problem:
            'That does not look like a finding id (letters, digits and `:/._-`, at most 512).',
        };
      }
      return { kind: 'finding', findingId };
    }
    default:
      return { kind: 'usage', problem: `Unknown subcommand \`${verb.slice(0, 30)}\`.` };
  }
};
