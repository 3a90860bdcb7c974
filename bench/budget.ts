/**
 * Bundle-size budgets, checked by test/integration/deploy/bundleBudget.test.ts on every `npm test`
 * (sizes are deterministic, unlike timings). The one place to change when a bundle legitimately
 * grows: measure it with `npm run bench -- --analyze`, say why in the commit, set the new figure.
 *
 * How the slack budget was set (2026-11-23, esbuild 0.28.2, @slack/bolt 5.1.0, zod 4.6.7): the
 * production build of handlers/slack.ts (settings read from serverless.yml), with zod imported as
 * a namespace, measured 2,259,741 bytes; the budget is that plus about 5 % headroom, rounded. It is
 * a ceiling, not a target: the benchmark's variants show the bundle can be about 0.85 MB (stub
 * Bolt's unused receivers). Lower the budget when that lands, so the gain cannot silently erode.
 */
export const SLACK_BUNDLE_BUDGET_BYTES = 2_375_000;
