import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../../../../src/adapters/aws/lambdaCredentials';

const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
];

/**
 * A container credentials endpoint on loopback, recording the headers it was asked with; the
 * credentials it hands out expire `lifetimeMs` after each request.
 */
const startContainerEndpoint = async (
  lifetimeMs = 60 * 60_000
): Promise<{
  server: Server;
  url: string;
  requests: IncomingHttpHeaders[];
}> => {
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    requests.push(request.headers);
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({
        AccessKeyId: 'ASIACONTAINER',
        SecretAccessKey: 'container-secret',
        Token: 'container-token',
        Expiration: new Date(Date.now() + lifetimeMs).toISOString(),
      })
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/credentials`, requests };
};

describe('Module: lambdaCredentials', () => {
  beforeEach(() => {
    for (const name of CREDENTIAL_VARIABLES) vi.stubEnv(name, undefined);
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('takes the execution role’s credentials from the environment, as Lambda hands them over', async () => {
    // Prepare
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAFUNCTION');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'function-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'function-token');

    // Act
    const credentials = await defaultProvider()();

    // Assess
    expect(credentials).toMatchObject({
      accessKeyId: 'ASIAFUNCTION',
      secretAccessKey: 'function-secret',
      sessionToken: 'function-token',
    });
  });

  it('asks the container endpoint, with its token, when the runtime provides one instead', async () => {
    // Prepare
    const endpoint = await startContainerEndpoint();
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', endpoint.url);
    vi.stubEnv('AWS_CONTAINER_AUTHORIZATION_TOKEN', 'container-auth');

    try {
      // Act
      const credentials = await defaultProvider()();

      // Assess
      expect(credentials).toMatchObject({
        accessKeyId: 'ASIACONTAINER',
        secretAccessKey: 'container-secret',
        sessionToken: 'container-token',
      });
      expect(credentials.expiration).toBeInstanceOf(Date);
      expect(endpoint.requests.map((headers) => headers.authorization)).toStrictEqual([
        'container-auth',
      ]);
    } finally {
      endpoint.server.close();
    }
  });

  it('prefers the environment to the container endpoint, as the SDK’s chain does', async () => {
    // Prepare
    const endpoint = await startContainerEndpoint();
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', endpoint.url);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAFUNCTION');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'function-secret');

    try {
      // Act
      const credentials = await defaultProvider()();

      // Assess
      expect(credentials.accessKeyId).toBe('ASIAFUNCTION');
      expect(endpoint.requests).toHaveLength(0);
    } finally {
      endpoint.server.close();
    }
  });

  it('fails with the provider’s error when the runtime provides no credentials', async () => {
    // Act
    const resolving = defaultProvider()();

    // Assess
    await expect(resolving).rejects.toMatchObject({
      name: 'CredentialsProviderError',
      message: expect.stringContaining('found neither'),
    });
  });

  it('keeps the credentials it got while they last, as the SDK’s chain does', async () => {
    // Prepare
    const endpoint = await startContainerEndpoint();
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', endpoint.url);
    const provider = defaultProvider();

    try {
      // Act
      const answers = [await provider(), await provider(), await provider()];

      // Assess
      expect(answers.map((answer) => answer.accessKeyId)).toStrictEqual([
        'ASIACONTAINER',
        'ASIACONTAINER',
        'ASIACONTAINER',
      ]);
      expect(endpoint.requests).toHaveLength(1);
    } finally {
      endpoint.server.close();
    }
  });

  it('asks again while the credentials it gets are within five minutes of their expiry', async () => {
    // Prepare
    const endpoint = await startContainerEndpoint(4 * 60_000);
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', endpoint.url);
    const provider = defaultProvider();

    try {
      // Act
      await provider();
      const afterFirst = endpoint.requests.length;
      await provider();

      // Assess
      expect(endpoint.requests.length).toBeGreaterThan(afterFirst);
    } finally {
      endpoint.server.close();
    }
  });
});
