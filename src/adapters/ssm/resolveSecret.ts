import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { SecretSource } from '../../config';
import { ConfigError } from '../../domain/errors';

/**
 * Returns a secret given directly, or reads the named SecureString parameter (decrypted).
 * Called once per container at cold start; the value is never logged.
 *
 * @param variable - the configuration variable the secret belongs to, for error messages
 */
export const resolveSecret = async (
  source: SecretSource,
  variable: string,
  ssm: () => SSMClient
): Promise<string> => {
  if ('value' in source) return source.value;
  let value: string | undefined;
  try {
    const result = await ssm().send(
      new GetParameterCommand({ Name: source.ssmParameter, WithDecryption: true })
    );
    value = result.Parameter?.Value;
  } catch (error) {
    const reason = error instanceof Error ? error.name : 'error';
    throw new ConfigError(
      `${variable}_PARAM`,
      `could not read SSM parameter ${source.ssmParameter} (${reason})`,
      { cause: error }
    );
  }
  if (!value)
    throw new ConfigError(`${variable}_PARAM`, `SSM parameter ${source.ssmParameter} is empty`);
  return value;
};
