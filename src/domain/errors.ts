/**
 * Every error the bot raises on purpose extends {@link BotError}: it carries a stable `code`
 * (for logs, alarms and the user-facing message mappers) and keeps the original `cause`.
 */
export class BotError extends Error {
  /** Stable, machine-readable code, e.g. `INVALID_EVENT`. */
  public readonly code: string;

  public constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BotError';
    this.code = code;
  }
}

/** A configuration variable is missing or malformed. The message names the variable. */
export class ConfigError extends BotError {
  public readonly variable: string;

  public constructor(variable: string, message: string, options?: ErrorOptions) {
    super('CONFIG', `${variable}: ${message}`, options);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** An incoming event does not match the schema we accept. `path` points at the first bad field. */
export class InvalidEventError extends BotError {
  public readonly path: string;

  public constructor(path: string, message: string, options?: ErrorOptions) {
    super('INVALID_EVENT', `invalid event at ${path || '(root)'}: ${message}`, options);
    this.name = 'InvalidEventError';
    this.path = path;
  }
}

/** Slack refused or failed a Web API call after the client's own retries. */
export class SlackCallError extends BotError {
  public readonly method: string;
  public readonly slackError: string;

  public constructor(method: string, slackError: string, options?: ErrorOptions) {
    super('SLACK_CALL', `Slack ${method} failed: ${slackError}`, options);
    this.name = 'SlackCallError';
    this.method = method;
    this.slackError = slackError;
  }
}

/** A storage operation failed for a reason other than a lost race. */
export class StoreError extends BotError {
  public constructor(message: string, options?: ErrorOptions) {
    super('STORE', message, options);
    this.name = 'StoreError';
  }
}
