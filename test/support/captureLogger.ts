import { Logger } from '@aws-lambda-powertools/logger';
import { vi } from 'vitest';

/** A silent Powertools logger whose every call is recorded, for assertions on what gets logged. */
export const captureLogger = () => {
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const spies = {
    debug: vi.spyOn(logger, 'debug'),
    info: vi.spyOn(logger, 'info'),
    warn: vi.spyOn(logger, 'warn'),
    error: vi.spyOn(logger, 'error'),
  };
  /** Everything logged so far, serialised, to search for secrets. */
  const everything = (): string =>
    JSON.stringify(Object.values(spies).flatMap((spy) => spy.mock.calls));
  return { logger, spies, everything };
};
