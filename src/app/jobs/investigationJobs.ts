import { COMMAND_STREAM, INVESTIGATION } from '../../domain/actions';
import type { Finding } from '../../domain/Finding';
import type {
  HubCommand,
  HubResult,
  InvestigationReport,
  LogSearchResult,
  LogsCommand,
} from '../../domain/investigation';
import type { Clock } from '../../ports/Clock';
import type { FindingStore } from '../../ports/FindingStore';
import type { Job } from '../../ports/JobQueue';
import type { SlackMessage } from '../../ports/SlackGateway';
import { type CardRefresher, findingCardKey } from '../CardRefresher';
import type { JobHandler } from './JobRunner';
import { postInThread, type ReplyDeps, replyToRequester } from './replies';

/** Where commands without a finding search: the home account and default Region. */
export interface HomeTarget {
  accountId: string;
  region: string;
}

/** The investigation engine as the jobs use it (`Investigator`). */
export interface InvestigationEngine {
  investigate(
    finding: Finding,
    target: HomeTarget & { actor?: string }
  ): Promise<InvestigationReport>;
  searchLogs(args: LogsCommand, target: HomeTarget & { actor?: string }): Promise<LogSearchResult>;
  securityHub(args: HubCommand, target: HomeTarget & { actor?: string }): Promise<HubResult>;
}

/** Collaborators of the investigation jobs. */
export interface InvestigationJobsDeps extends ReplyDeps {
  store: FindingStore;
  cards: CardRefresher;
  engine: InvestigationEngine;
  /** Re-parses the command text the Slack path accepted (the worker trusts no pre-parsed arguments). */
  parse(text: string): LogsCommand | HubCommand | undefined;
  render: {
    investigation(report: InvestigationReport): { summary: SlackMessage; details?: SlackMessage };
    logSearch(result: LogSearchResult): SlackMessage;
    hub(result: HubResult): SlackMessage;
  };
  home: HomeTarget;
  clock: Clock;
}

/** What the after-action report needs of an investigation: failures, who got in, counts. */
const investigationSummary = (report: InvestigationReport) => {
  const analysis = report.logs?.ok ? report.logs.value.analysis : undefined;
  return {
    failedLogins: analysis?.failedAttempts ?? 0,
    acceptedLogins: (analysis?.accepted ?? []).slice(0, 20).map((login) => ({
      user: login.user,
      ip: login.ip,
      at: login.firstSeen,
      failedBefore: login.failedBefore,
    })),
    relatedFindings: report.counts.relatedFindings,
    securityHubFindings: report.counts.securityHubFindings,
  };
};

/**
 * The worker side of Investigate and of `/guardduty logs` and `hub`: run the pivots, post the
 * compact summary (and the details) in the card's thread or answer through the response_url, and
 * record who asked what and how many results came back. Investigations are read-only, so a
 * redelivered job simply runs again.
 */
export const investigationJobs = (
  deps: InvestigationJobsDeps
): { investigate: JobHandler; logs: JobHandler; hub: JobHandler } => {
  const investigate: JobHandler = async (job) => {
    const record =
      job.findingId === undefined ? undefined : await deps.store.getFinding(job.findingId);
    const state = record?.actions[INVESTIGATION];
    if (!record || (state?.status !== 'requested' && state?.status !== 'running')) return;
    if (state.status === 'requested') {
      await deps.store.transitionAction(record.finding.id, INVESTIGATION, {
        from: ['requested'],
        to: { ...state, status: 'running', at: deps.clock.now().toISOString() },
      });
      await deps.cards.refresh(record.finding.id, { bestEffort: true });
    }
    const report = await deps.engine.investigate(record.finding, {
      accountId: record.finding.accountId,
      region: record.finding.region,
      actor: job.requestedBy.userId,
    });
    const { summary, details } = deps.render.investigation(report);
    const card = await deps.store.getCard(findingCardKey(record.finding.id));
    const where = {
      channel: card?.channel ?? record.channel,
      ...(card?.ts === undefined ? {} : { threadTs: card.ts }),
    };
    await postInThread(deps, where, summary);
    if (details !== undefined) await postInThread(deps, where, details);
    await deps.store.appendAudit(record.finding.id, {
      at: deps.clock.now().toISOString(),
      kind: 'investigation.completed',
      actor: job.requestedBy.userId,
      dedupeKey: job.id,
      result: 'ok',
      detail: {
        userName: job.requestedBy.userName,
        counts: report.counts,
        truncated: report.truncated,
        summary: investigationSummary(report),
      },
    });
    await deps.store.transitionAction(record.finding.id, INVESTIGATION, {
      from: ['running'],
      to: { status: 'done', at: deps.clock.now().toISOString(), by: job.requestedBy },
    });
    await deps.cards.refresh(record.finding.id);
  };

  const command =
    (kind: 'logs' | 'hub'): JobHandler =>
    async (job) => {
      const text = typeof job.args?.text === 'string' ? job.args.text : '';
      const parsed = deps.parse(text);
      if (parsed?.kind !== kind) {
        await replyToRequester(deps, job, {
          text: 'That command could not be read again.',
          blocks: [],
        });
        return;
      }
      const target = { ...deps.home, actor: job.requestedBy.userId };
      const { message, count } =
        parsed.kind === 'logs'
          ? await deps.engine.searchLogs(parsed, target).then((result) => ({
              message: deps.render.logSearch(result),
              count: result.count,
            }))
          : await deps.engine.securityHub(parsed, target).then((result) => ({
              message: deps.render.hub(result),
              count: result.count,
            }));
      await replyToRequester(deps, job, message);
      await deps.store.appendAudit(COMMAND_STREAM, {
        at: deps.clock.now().toISOString(),
        kind: 'command.run',
        actor: job.requestedBy.userId,
        dedupeKey: job.id,
        result: 'ok',
        detail: {
          userName: job.requestedBy.userName,
          command: `/guardduty ${text.slice(0, 500)}`,
          results: count,
        },
      });
    };

  return { investigate, logs: command('logs'), hub: command('hub') };
};

/** A job that gave up on an investigation: say so on the card. */
export const investigationGiveUp = async (
  deps: Pick<InvestigationJobsDeps, 'store' | 'cards' | 'clock'>,
  job: Job,
  error: unknown
): Promise<void> => {
  if (job.kind !== 'investigate' || job.findingId === undefined) return;
  const moved = await deps.store.transitionAction(job.findingId, INVESTIGATION, {
    from: ['requested', 'running'],
    to: {
      status: 'failed',
      at: deps.clock.now().toISOString(),
      by: job.requestedBy,
      reason: `gave up after repeated failures (${(error as Error).message})`,
    },
  });
  if (moved) await deps.cards.refresh(job.findingId);
};
