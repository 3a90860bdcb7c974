import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runDemo } from '../../../demo/run';

/** Runs the demo in-process against the run's DynamoDB Local and returns its exit code and transcript. */
const demo = async (argv: string[]): Promise<{ code: number; transcript: string }> => {
  let transcript = '';
  const code = await runDemo({
    argv,
    dynamoEndpoint: inject('dynamoEndpoint'),
    out: {
      write: (chunk: string) => {
        transcript += chunk;
        return true;
      },
    },
  });
  return { code, transcript };
};

describe('npm run demo', () => {
  it('replays the workshop incident with the responders’ taps and ends with the after-action report', async () => {
    // Act
    const { code, transcript } = await demo([]);

    // Assess
    expect(code, transcript).toBe(0);
    expect(transcript).toContain('🔒 Isolated by @alice');
    expect(transcript).toContain('== 🔓 Instance released ==');
    expect(transcript).toContain('🔓 Released by @bob');
    expect(transcript).toContain('ec2-user from 203.0.113.45 (password)');
    expect(transcript).toContain('Accepted password for ec2-user from 203.0.113.45');
    expect(transcript).toContain(
      'Instance i-0a1b2c3d4e5f60718 is configured to support password authentication over SSH'
    );
    expect(transcript).toContain('🗑️ Dismissed by @alice: Expected activity');
    expect(transcript).toContain(
      '│ # After-action report: UnauthorizedAccess:EC2/MaliciousIPCaller.Custom'
    );
    expect(transcript).not.toContain('✗');
    expect(transcript).toContain('All demo invariants hold.');
  }, 60_000);

  it('replays only the given events, without clicks, with --event', async () => {
    // Act
    const { code, transcript } = await demo([
      '--event',
      join(import.meta.dirname, '../../fixtures/events/02-ec2-maliciousipcaller-custom.json'),
    ]);

    // Assess
    expect(code, transcript).toBe(0);
    expect(transcript).toContain('one card per finding (1 findings, 1 cards posted)');
    expect(transcript).not.toContain('Responders act in Slack');
  }, 30_000);
});
