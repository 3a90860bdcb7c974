/**
 * Bundle-size budgets, checked by test/integration/deploy/bundleBudget.test.ts on every `npm test`
 * (sizes are deterministic, unlike timings). The one place to change when a bundle legitimately
 * grows: measure it with `npm run bench -- --analyze`, say why in the commit, set the new figure.
 *
 * How the slack budget was set (2026-11-23, esbuild 0.28.2, @slack/bolt 5.1.0): the production
 * build of handlers/slack.ts (settings read from serverless.yml: Bolt's unused receivers and the
 * OAuth install flow they run, @slack/oauth and jsonwebtoken, aliased to a stub; zod left to
 * notify and the worker, which validate the events, jobs and routing rules) measured 705,979 bytes, down from 2,619,110
 * before those changes; the budget is that plus about 5 % headroom, rounded, so the gain cannot
 * silently erode (e.g. a new import that pulls Express or zod back in fails this test).
 * Lowered the same day: the SDK's default credential chain replaced by the part a function uses
 * (src/adapters/aws/lambdaCredentials.ts) measured 578,392 bytes; the budget is that plus 5 %.
 */
export const SLACK_BUNDLE_BUDGET_BYTES = 607_000;
