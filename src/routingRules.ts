import * as z from 'zod/mini';
import { ACCOUNT_ID, CHANNEL_ID, type RoutingRule } from './config';
import { ConfigError } from './domain/errors';
import { SEVERITY_BANDS, type SeverityBand } from './domain/Finding';
import './events/zodMessages';

const routingRuleSchema = z.strictObject({
  channel: z.string().check(z.regex(CHANNEL_ID, 'a Slack channel id such as C0123ABCD')),
  minSeverity: z.optional(z.enum(SEVERITY_BANDS as [SeverityBand, ...SeverityBand[]])),
  typePrefix: z.optional(z.string().check(z.minLength(1))),
  accounts: z.optional(
    z.array(z.string().check(z.regex(ACCOUNT_ID, 'a 12-digit account id'))).check(z.minLength(1))
  ),
});

/**
 * Validates ROUTING_RULES (`Config.routingRulesJson`): notify calls it when it starts, so a
 * malformed rule fails its cold start naming the variable, as any other setting does.
 */
export const parseRoutingRules = (raw: string | undefined): RoutingRule[] => {
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError('ROUTING_RULES', 'is not valid JSON', { cause: error });
  }
  const result = z.array(routingRuleSchema).safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(
      'ROUTING_RULES',
      `rule ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'is malformed'}`
    );
  }
  return result.data;
};
