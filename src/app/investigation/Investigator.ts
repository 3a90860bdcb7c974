import { BotError } from '../../domain/errors';
import type { Finding } from '../../domain/Finding';
import { findingInstanceId } from '../../domain/Finding';
import {
  type HubCommand,
  type HubResult,
  type HubSummary,
  type InvestigationReport,
  type InvestigationSubject,
  type InvestigationTarget,
  ipVersion,
  LOG_PRESETS,
  type LogBudget,
  type LogGroupOutcome,
  type LogLine,
  type LogSearchRequest,
  type LogSearchResult,
  type LogSearchSummary,
  type LogsCommand,
  type PivotFailure,
  type RelatedCriterion,
  type RelatedFindingsSummary,
  type Section,
  SSH_ACCEPTED_PATTERN,
  SSH_FAILED_PATTERN,
  summarizeHubFindings,
  summarizeRelatedFindings,
} from '../../domain/investigation';
import { analyzeSshLog } from '../../domain/sshLogAnalysis';
import type { Clock } from '../../ports/Clock';
import type {
  HubResourceFilter,
  InstanceLookup,
  LogQueryResult,
  LogSearch,
  RawLogEvent,
  RelatedFindingsSource,
  SecurityHubQuery,
  SecurityHubSource,
} from '../../ports/Investigation';
import type { Logger } from '../../ports/Logger';

/** Settings of the pivots. Only `secureLogGroups` is required. */
export interface InvestigatorOptions {
  /** Log groups holding instances' `/var/log/secure`, streams named after the instance id. */
  secureLogGroups: string[];
  /** Log groups `/guardduty logs <group>` may search. @default the secure-log groups */
  logGroupAllowList?: string[];
  /** How far back related GuardDuty findings are searched. @default 7 */
  lookbackDays?: number;
  /** The log window starts this long before the finding's first sighting. @default 60 */
  logWindowMarginMinutes?: number;
  /** Per log group and pattern. @default { maxEvents: 10000, maxPages: 20, maxMs: 20000 } */
  logBudget?: LogBudget;
  /** Related GuardDuty findings fetched at most. @default 200 */
  maxRelatedFindings?: number;
  /** Security Hub findings fetched at most. @default 100 */
  maxHubFindings?: number;
  /** Log lines kept for display, newest first. @default 20 */
  recentLines?: number;
}

/** What the {@link Investigator} works with. */
export interface InvestigatorDeps {
  instances: InstanceLookup;
  relatedFindings: RelatedFindingsSource;
  securityHub: SecurityHubSource;
  logs: LogSearch;
  clock: Clock;
  logger: Logger;
  options: InvestigatorOptions;
}

const DEFAULT_BUDGET: LogBudget = { maxEvents: 10_000, maxPages: 20, maxMs: 20_000 };
const MINUTE = 60_000;
const DAY = 86_400_000;
const MAX_MESSAGE = 1000;

type ResolvedOptions = Required<InvestigatorOptions>;

/** The finding's pivots: its instance (directly or via `<roleId>:<instanceId>`), key, principal, actor. */
export const investigationSubject = (finding: Finding): InvestigationSubject => {
  const subject: InvestigationSubject = {};
  const instanceId = findingInstanceId(finding);
  if (instanceId) {
    subject.instanceId = instanceId;
    subject.instanceIdFrom = finding.resource.kind === 'Instance' ? 'resource' : 'principal';
  }
  if (finding.resource.kind === 'AccessKey') {
    const { accessKeyId, principalId, userName } = finding.resource;
    if (accessKeyId) subject.accessKeyId = accessKeyId;
    if (principalId) subject.principalId = principalId;
    if (userName) subject.userName = userName;
  }
  const ip = finding.actor?.ip;
  if (ip && ipVersion(ip) !== undefined) subject.actorIp = ip;
  return subject;
};

const instanceArn = (finding: Finding, instanceId: string): string =>
  `arn:${finding.partition || 'aws'}:ec2:${finding.region}:${finding.accountId}:instance/${instanceId}`;

const shorten = (text: string): string =>
  text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;

/**
 * Runs the Investigate pivots (instance, related GuardDuty findings, Security Hub, sshd logs)
 * concurrently, each failure isolated in its own section, and answers the `/guardduty logs` and
 * `/guardduty hub` commands. Never throws for a pivot's failure: the report says what failed.
 */
export class Investigator {
  readonly #deps: InvestigatorDeps;
  readonly #options: ResolvedOptions;

  public constructor(deps: InvestigatorDeps) {
    this.#deps = deps;
    const { options } = deps;
    this.#options = {
      secureLogGroups: options.secureLogGroups,
      logGroupAllowList: options.logGroupAllowList ?? options.secureLogGroups,
      lookbackDays: options.lookbackDays ?? 7,
      logWindowMarginMinutes: options.logWindowMarginMinutes ?? 60,
      logBudget: options.logBudget ?? DEFAULT_BUDGET,
      maxRelatedFindings: options.maxRelatedFindings ?? 200,
      maxHubFindings: options.maxHubFindings ?? 100,
      recentLines: options.recentLines ?? 20,
    };
  }

  /** Gathers everything about `finding` in `target` (its account and region). */
  public async investigate(
    finding: Finding,
    target: InvestigationTarget
  ): Promise<InvestigationReport> {
    const now = this.#deps.clock.now();
    const subject = investigationSubject(finding);
    const skipped: string[] = [];
    const context = { findingId: finding.id, accountId: target.accountId, region: target.region };

    const { instanceId } = subject;
    const instance = instanceId
      ? this.#settle('instance', context, () => this.#deps.instances.describe(instanceId, target))
      : undefined;

    const criteria = this.#relatedCriteria(subject);
    const since = new Date(now.getTime() - this.#options.lookbackDays * DAY);
    const related =
      criteria.length > 0
        ? this.#settle('relatedFindings', context, async () => {
            const found = await this.#deps.relatedFindings.find(
              {
                criteria,
                updatedSince: since,
                excludeFindingIds: [finding.id],
                maxFindings: this.#options.maxRelatedFindings,
              },
              target
            );
            const findings = found.findings.filter((candidate) => candidate.id !== finding.id);
            const summary: RelatedFindingsSummary = {
              since: since.toISOString(),
              criteria,
              total: findings.length,
              groups: summarizeRelatedFindings(findings),
              truncated: found.truncated,
            };
            return summary;
          })
        : undefined;
    if (criteria.length === 0) {
      skipped.push('Related findings: the finding names no instance, key, principal or IP.');
    }

    const hubQuery = this.#hubQueryFor(finding, subject);
    const hub = hubQuery
      ? this.#settle('securityHub', context, () =>
          this.#hubSummary(hubQuery, target, new Set([finding.id, finding.arn ?? finding.id]))
        )
      : undefined;
    if (!hubQuery) skipped.push('Security Hub: the finding names no instance, key or IP.');

    const logSearch =
      instanceId && this.#options.secureLogGroups.length > 0
        ? this.#logSearchFor(finding, instanceId, now)
        : undefined;
    let logs: Promise<Section<LogSearchSummary>> | undefined;
    if (!instanceId) {
      skipped.push('Logs: the finding names no instance, so no log stream to search.');
    } else if (!logSearch) {
      logs = Promise.resolve(notConfigured());
    } else {
      logs = this.#settle('logs', context, () =>
        this.#searchGroups({
          logGroups: logSearch.logGroups,
          prefix: instanceId,
          patterns: logSearch.filterPatterns,
          acceptedPatternIndex: 0,
          start: new Date(logSearch.start),
          end: now,
          target,
          referenceTime: now.getTime(),
          ...(subject.actorIp === undefined ? {} : { actorIp: subject.actorIp }),
        })
      );
    }

    const [instanceSection, relatedSection, hubSection, logsSection] = await Promise.all([
      instance,
      related,
      hub,
      logs,
    ]);

    const report: InvestigationReport = {
      finding,
      target: { accountId: target.accountId, region: target.region },
      generatedAt: this.#deps.clock.now().toISOString(),
      subject,
      ...(instanceSection === undefined ? {} : { instance: instanceSection }),
      ...(relatedSection === undefined ? {} : { relatedFindings: relatedSection }),
      ...(hubSection === undefined ? {} : { securityHub: hubSection }),
      ...(logsSection === undefined ? {} : { logs: logsSection }),
      ...(logSearch === undefined ? {} : { logSearch }),
      skipped,
      truncated:
        (relatedSection?.ok === true && relatedSection.value.truncated) ||
        (hubSection?.ok === true && hubSection.value.truncated) ||
        (logsSection?.ok === true && logsSection.value.truncated),
      counts: {
        relatedFindings: relatedSection?.ok ? relatedSection.value.total : 0,
        securityHubFindings: hubSection?.ok ? hubSection.value.total : 0,
        logEvents: logsSection?.ok ? logsSection.value.matchedEvents : 0,
      },
    };
    this.#deps.logger.info('investigation finished', {
      ...context,
      counts: report.counts,
      failed: Object.entries({
        instance: instanceSection,
        relatedFindings: relatedSection,
        securityHub: hubSection,
        logs: logsSection,
      }).flatMap(([name, section]) => (section?.ok === false ? [name] : [])),
      truncated: report.truncated,
    });
    return report;
  }

  /**
   * `/guardduty logs`: searches an instance's streams in the secure-log groups, or one
   * allow-listed log group, over the last `since`.
   */
  public async searchLogs(
    args: LogsCommand,
    target: InvestigationTarget
  ): Promise<LogSearchResult> {
    const now = this.#deps.clock.now();
    const filterPattern =
      args.filter.type === 'preset' ? LOG_PRESETS[args.filter.preset].pattern : args.filter.pattern;
    const base = {
      request: args,
      target: { accountId: target.accountId, region: target.region },
      filterPattern,
    };

    let logGroups: string[];
    let prefix: string | undefined;
    if (args.target.type === 'instance') {
      logGroups = this.#options.secureLogGroups;
      prefix = args.target.instanceId;
      if (logGroups.length === 0) {
        return {
          ...base,
          logGroups,
          outcome: notConfigured(),
          count: 0,
        };
      }
    } else {
      const { logGroupName } = args.target;
      logGroups = [logGroupName];
      if (!this.#options.logGroupAllowList.includes(logGroupName)) {
        this.#deps.logger.warn('log group refused: not on the allow-list', {
          accountId: target.accountId,
        });
        return {
          ...base,
          logGroups,
          outcome: {
            ok: false,
            code: 'NOT_ALLOWED',
            message: `Log group ${logGroupName} is not on the allow-list. Allowed: ${
              this.#options.logGroupAllowList.join(', ') || '(none)'
            }.`,
          },
          count: 0,
        };
      }
    }

    const start = new Date(now.getTime() - args.since.ms);
    const outcome = await this.#settle(
      'logs',
      { accountId: target.accountId, region: target.region },
      () =>
        this.#searchGroups({
          logGroups,
          prefix,
          patterns: [filterPattern],
          acceptedPatternIndex:
            args.filter.type === 'preset' && args.filter.preset !== 'ssh-failed' ? 0 : undefined,
          start,
          end: now,
          target,
          referenceTime: now.getTime(),
        })
    );
    return {
      ...base,
      logGroups,
      outcome,
      count: outcome.ok ? outcome.value.matchedEvents : 0,
    };
  }

  /** `/guardduty hub`: Security Hub findings for an instance, ARN, access key or IP. */
  public async securityHub(args: HubCommand, target: InvestigationTarget): Promise<HubResult> {
    const { subject } = args;
    let query: SecurityHubQuery;
    switch (subject.type) {
      case 'instance':
        // No finding says which account the instance is in: match its ARN in any account/region.
        query = this.#hubQuery([
          { value: `:instance/${subject.instanceId}`, comparison: 'CONTAINS' },
        ]);
        break;
      case 'arn':
        query = this.#hubQuery([{ value: subject.arn, comparison: 'EQUALS' }]);
        break;
      case 'accessKey':
        query = this.#hubQuery([
          { value: `AWS::IAM::AccessKey:${subject.accessKeyId}`, comparison: 'EQUALS' },
        ]);
        break;
      case 'ip':
        query = this.#hubQuery([], subject.ip);
        break;
    }
    const outcome = await this.#settle(
      'securityHub',
      { accountId: target.accountId, region: target.region },
      () => this.#hubSummary(query, target, new Set())
    );
    return {
      request: args,
      target: { accountId: target.accountId, region: target.region },
      outcome,
      count: outcome.ok ? outcome.value.total : 0,
    };
  }

  // -------------------------------------------------------------------------------------------

  #relatedCriteria(subject: InvestigationSubject): RelatedCriterion[] {
    const criteria: RelatedCriterion[] = [];
    if (subject.instanceId) criteria.push({ match: 'instance', value: subject.instanceId });
    if (subject.accessKeyId) criteria.push({ match: 'accessKey', value: subject.accessKeyId });
    if (subject.principalId) criteria.push({ match: 'principal', value: subject.principalId });
    if (subject.userName) criteria.push({ match: 'user', value: subject.userName });
    if (subject.actorIp) criteria.push({ match: 'remoteIp', value: subject.actorIp });
    return criteria;
  }

  #hubQuery(resourceIds: HubResourceFilter[], ip?: string): SecurityHubQuery {
    return {
      resourceIds,
      ...(ip === undefined ? {} : { ip }),
      maxFindings: this.#options.maxHubFindings,
    };
  }

  #hubQueryFor(finding: Finding, subject: InvestigationSubject): SecurityHubQuery | undefined {
    const resourceIds: HubResourceFilter[] = [];
    if (subject.instanceId) {
      resourceIds.push({ value: instanceArn(finding, subject.instanceId), comparison: 'EQUALS' });
    }
    if (subject.accessKeyId) {
      resourceIds.push({
        value: `AWS::IAM::AccessKey:${subject.accessKeyId}`,
        comparison: 'EQUALS',
      });
    }
    if (resourceIds.length === 0 && subject.actorIp === undefined) return undefined;
    return this.#hubQuery(resourceIds, subject.actorIp);
  }

  async #hubSummary(
    query: SecurityHubQuery,
    target: InvestigationTarget,
    exclude: Set<string>
  ): Promise<HubSummary> {
    const found = await this.#deps.securityHub.findings(query, target);
    const findings = found.findings.filter((finding) => !exclude.has(finding.id));
    const groups = summarizeHubFindings(findings);
    return {
      resourceIds: query.resourceIds.map((filter) => filter.value),
      ...(query.ip === undefined ? {} : { ip: query.ip }),
      total: findings.length,
      active: groups.reduce((sum, group) => sum + group.active, 0),
      groups,
      truncated: found.truncated,
    };
  }

  /** The window runs from the first sighting minus the margin to now. */
  #logSearchFor(finding: Finding, instanceId: string, now: Date): LogSearchRequest {
    const margin = this.#options.logWindowMarginMinutes * MINUTE;
    const seen = Date.parse(finding.firstSeen ?? finding.createdAt);
    let start = Number.isNaN(seen)
      ? now.getTime() - this.#options.lookbackDays * DAY
      : seen - margin;
    if (start >= now.getTime()) start = now.getTime() - margin;
    return {
      logGroups: this.#options.secureLogGroups,
      // Accepted logins on their own: a flood of failures can never push them out of the budget.
      filterPatterns: [SSH_ACCEPTED_PATTERN, SSH_FAILED_PATTERN],
      logStreamNamePrefix: instanceId,
      start: new Date(start).toISOString(),
      end: now.toISOString(),
    };
  }

  async #searchGroups(search: {
    logGroups: string[];
    prefix: string | undefined;
    patterns: string[];
    /** The pattern whose completeness decides whether "no successful login" may be said. */
    acceptedPatternIndex: number | undefined;
    start: Date;
    end: Date;
    target: InvestigationTarget;
    referenceTime: number;
    actorIp?: string;
  }): Promise<LogSearchSummary> {
    const budget = this.#options.logBudget;
    const runs = await Promise.all(
      search.logGroups.map(async (logGroupName) => {
        const results = await Promise.all(
          search.patterns.map((filterPattern) =>
            this.#deps.logs
              .search(
                {
                  logGroupName,
                  ...(search.prefix === undefined ? {} : { logStreamNamePrefix: search.prefix }),
                  filterPattern,
                  start: search.start,
                  end: search.end,
                  budget,
                },
                search.target
              )
              .then(
                (value): { ok: true; value: LogQueryResult } => ({ ok: true, value }),
                (error: unknown): PivotFailure => this.#failure('logs', error, { logGroupName })
              )
          )
        );
        return { logGroupName, results };
      })
    );

    const outcomes: LogGroupOutcome[] = [];
    const lines: (RawLogEvent & { logGroupName: string })[] = [];
    let acceptedSearchComplete = search.acceptedPatternIndex !== undefined;
    let truncated = false;
    for (const { logGroupName, results } of runs) {
      const failure = results.find((result): result is PivotFailure => !result.ok);
      const done = results.flatMap((result) => (result.ok ? [result.value] : []));
      const seenIds = new Set<string>();
      let events = 0;
      for (const result of done) {
        for (const event of result.events) {
          if (event.eventId !== undefined) {
            if (seenIds.has(event.eventId)) continue;
            seenIds.add(event.eventId);
          }
          events += 1;
          lines.push({ ...event, logGroupName });
        }
      }
      if (search.acceptedPatternIndex !== undefined) {
        const accepted = results[search.acceptedPatternIndex];
        if (!accepted?.ok || accepted.value.truncated !== undefined) acceptedSearchComplete = false;
      }
      const cut = done.find((result) => result.truncated !== undefined)?.truncated;
      if (failure) {
        truncated = true;
        outcomes.push({ ok: false, logGroupName, code: failure.code, message: failure.message });
      } else {
        if (cut) truncated = true;
        outcomes.push({
          ok: true,
          logGroupName,
          events,
          pages: done.reduce((sum, result) => sum + result.pages, 0),
          ...(cut === undefined ? {} : { truncated: cut }),
        });
      }
    }

    const failures = outcomes.filter((outcome) => !outcome.ok);
    if (failures.length === outcomes.length && failures.length > 0) {
      const first = failures[0];
      throw new BotError(
        first && !first.ok ? first.code : 'UNAVAILABLE',
        [...new Set(failures.map((failure) => (failure.ok ? '' : failure.message)))].join(' ')
      );
    }

    lines.sort((a, b) => a.timestamp - b.timestamp);
    const analysis = analyzeSshLog(
      lines.map((line) => ({ message: line.message, timestamp: line.timestamp })),
      {
        referenceTime: search.referenceTime,
        ...(search.actorIp === undefined ? {} : { actorIp: search.actorIp }),
      }
    );
    const recent: LogLine[] = lines
      .slice(-this.#options.recentLines)
      .reverse()
      .map((line) => ({
        timestamp: new Date(line.timestamp).toISOString(),
        logGroupName: line.logGroupName,
        ...(line.logStreamName === undefined ? {} : { logStreamName: line.logStreamName }),
        message: shorten(line.message),
      }));
    return {
      window: { start: search.start.toISOString(), end: search.end.toISOString() },
      filterPatterns: search.patterns,
      ...(search.prefix === undefined ? {} : { logStreamNamePrefix: search.prefix }),
      groups: outcomes,
      matchedEvents: lines.length,
      analysis,
      recent,
      truncated,
      acceptedSearchComplete,
    };
  }

  async #settle<T>(
    pivot: string,
    context: Record<string, unknown>,
    run: () => Promise<T>
  ): Promise<Section<T>> {
    try {
      return { ok: true, value: await run() };
    } catch (error) {
      return this.#failure(pivot, error, context);
    }
  }

  #failure(pivot: string, error: unknown, context: Record<string, unknown>): PivotFailure {
    if (error instanceof BotError) {
      this.#deps.logger.warn('investigation pivot failed', {
        ...context,
        pivot,
        code: error.code,
        reason: error.message,
        cause: error.cause instanceof Error ? error.cause.name : undefined,
      });
      return { ok: false, code: error.code, message: error.message };
    }
    this.#deps.logger.error('investigation pivot failed unexpectedly', {
      ...context,
      pivot,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    return {
      ok: false,
      code: 'UNAVAILABLE',
      message: `The ${pivotLabel(pivot)} could not be read.`,
    };
  }
}

const pivotLabel = (pivot: string): string =>
  ({
    instance: 'instance details',
    relatedFindings: 'related GuardDuty findings',
    securityHub: 'Security Hub findings',
    logs: 'logs',
  })[pivot] ?? pivot;

const notConfigured = (): PivotFailure => ({
  ok: false,
  code: 'NOT_CONFIGURED',
  message: 'No secure-log groups are configured (SECURE_LOG_GROUPS).',
});
