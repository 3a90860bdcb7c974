import { type Finding, isAtLeast, type SeverityBand } from './Finding';

/** One routing rule: every condition it sets must match. */
export interface Route {
  channel: string;
  minSeverity?: SeverityBand;
  typePrefix?: string;
  accounts?: string[];
}

/** Where a finding goes and whether it is posted at all. */
export interface RoutingDecision {
  channel: string;
  /** False when the finding is below the posting threshold: it is recorded, not posted. */
  post: boolean;
}

/** Routing settings (see the README's configuration table). */
export interface RoutingOptions {
  rules: readonly Route[];
  defaultChannel: string;
  minPostSeverity: SeverityBand;
}

const matches = (rule: Route, finding: Finding): boolean =>
  (rule.minSeverity === undefined || isAtLeast(finding.severity, rule.minSeverity)) &&
  (rule.typePrefix === undefined || finding.type.startsWith(rule.typePrefix)) &&
  (rule.accounts === undefined || rule.accounts.includes(finding.accountId));

/** Picks the channel with the first matching rule (else the default) and applies the posting threshold. */
export const routeFinding = (finding: Finding, options: RoutingOptions): RoutingDecision => ({
  channel: options.rules.find((rule) => matches(rule, finding))?.channel ?? options.defaultChannel,
  post: isAtLeast(finding.severity, options.minPostSeverity),
});
