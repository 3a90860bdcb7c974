import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { CredentialsProviderError, chain, memoize } from '@smithy/core/config';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (serverless.yml's esbuild
 * `alias`): every SDK client takes its default credentials from it.
 *
 * Lambda hands a function its execution role's credentials in environment variables, which is
 * where the SDK's default chain looks first, so on Lambda this gives what that chain gives. What
 * the chain tries next (SSO, profiles, credential processes, web identity tokens, instance
 * metadata) needs its own STS and SSO clients and never applies to a function: bundling it cost
 * each function about 130 KB (the worker 100 KB) and the slack function about 10 ms of every cold
 * start. The container endpoint (`AWS_CONTAINER_CREDENTIALS_*`), the other way a runtime hands out
 * role credentials, is kept. Like the SDK's chain, the result is kept until it is about to expire
 * (the SDK's clients rely on their default provider for that).
 *
 * Only the bundles use this: tests, the demo and the CLIs run the SDK's whole chain.
 */

type CredentialProvider = ReturnType<typeof fromEnv>;
type Credentials = Awaited<ReturnType<CredentialProvider>>;
type ProviderInit = Parameters<typeof fromEnv>[0] & Parameters<typeof fromHttp>[0];

/** As the SDK's chain answers it: credentials with an expiry are refreshed before it. */
const credentialsWillNeedRefresh = (credentials: Credentials): boolean =>
  credentials.expiration !== undefined;

/** As the SDK's chain answers it: within five minutes of their expiry, credentials are stale. */
const credentialsTreatedAsExpired = (credentials: Credentials): boolean =>
  credentials.expiration !== undefined &&
  credentials.expiration.getTime() - Date.now() < 5 * 60_000;

/** The credential provider every client of the bundle uses unless it is given credentials. */
export const defaultProvider = (init: ProviderInit = {}): CredentialProvider =>
  memoize(
    chain(
      fromEnv(init),
      // fromHttp refuses at once (and the chain goes on) when the runtime names no endpoint.
      async () => fromHttp(init)(),
      async () => {
        throw new CredentialsProviderError(
          'No credentials: this bundle takes a Lambda function’s role credentials from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or a container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI), and found neither.',
          { tryNextLink: false, logger: init.logger }
        );
      }
    ),
    credentialsTreatedAsExpired,
    credentialsWillNeedRefresh
  );
