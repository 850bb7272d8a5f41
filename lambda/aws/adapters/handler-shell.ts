import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { defaultDimensions } from '../../core/contracts/metrics';
import type { FieldError, Parsed } from '../../core/result';

/** What a handler answers for input it cannot act on: the field, and what is wrong with it. */
export interface Rejected {
  readonly status: 'rejected';
  readonly error: FieldError;
}

/** How one function logs and counts: its names are public, dashboards and alarms read them. */
export interface HandlerShellOptions {
  /** Powertools' service name, and the `service` dimension of every metric. */
  readonly serviceName: string;
  /**
   * Dimensions added to every metric the function stores.
   * @default - a trigger function's trigger type (the metrics contract's default dimensions of `serviceName`)
   */
  readonly defaultDimensions?: Readonly<Record<string, string>>;
  /** The metric counted once for each rejection, such as `EventsRejected`. */
  readonly rejectionMetric: string;
  /** The message logged, with the field and the problem, for each rejection. */
  readonly rejectionMessage: string;
}

/**
 * A setting of the deployment that cannot be used: not JSON, or refused by its parser. It is thrown,
 * never answered as a rejection, because the fault is the deployment's and not the event's: the
 * invocation fails (the function's `Errors` metric, retries, the dead-letter queue or on-failure
 * destination of an asynchronous caller) instead of dropping an event that a fixed deployment would take.
 */
export class SettingError extends Error {
  constructor(readonly error: FieldError) {
    super(`setting ${error.field} ${error.problem}`);
    this.name = 'SettingError';
  }
}

/**
 * A JSON setting from the function's environment, such as `COORDINATOR_POLICY`. The text is taken when
 * the module loads (a function's environment does not change afterwards), and parsed on first use, so
 * a bad value never fails the function's initialization: {@link HandlerShell.setting} throws it inside
 * an invocation, where it is logged with the setting's name.
 */
export class JsonSetting<T> {
  private readonly text: string | undefined;
  private parsed: Parsed<T> | undefined;

  constructor(
    readonly name: string,
    /** Parses the setting's JSON value, or `undefined` when the setting is absent (a default, or an error). */
    private readonly parse: (value: unknown) => Parsed<T>,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.text = env[name];
  }

  /** The value, or an error whose field is the setting's name or a path under it. */
  read(): Parsed<T> {
    this.parsed ??= this.parseText();
    return this.parsed;
  }

  private parseText(): Parsed<T> {
    let value: unknown;
    if (this.text !== undefined && this.text.trim() !== '') {
      try {
        value = JSON.parse(this.text);
      } catch (error) {
        return { ok: false, error: { field: this.name, problem: `is not JSON: ${(error as Error).message}` } };
      }
    }
    const parsed = this.parse(value);
    if (parsed.ok) return parsed;
    const field = parsed.error.field === this.name || parsed.error.field.startsWith(`${this.name}.`) ? parsed.error.field : `${this.name}.${parsed.error.field}`;
    return { ok: false, error: { field, problem: parsed.error.problem } };
  }
}

/**
 * What every handler does around its own story: Powertools' logger and metrics for one service, the
 * invocation's context in the logs, the stored metrics flushed however the invocation ends, one shape
 * of rejection, unexpected errors logged and thrown again (so Lambda retries as it would without the
 * shell), and the deployment's settings read inside the invocation.
 */
export class HandlerShell {
  readonly logger: Logger;
  readonly metrics: Metrics;

  constructor(private readonly options: HandlerShellOptions) {
    this.logger = new Logger({ serviceName: options.serviceName });
    const dimensions = options.defaultDimensions ?? defaultDimensions(options.serviceName);
    this.metrics = new Metrics({
      serviceName: options.serviceName,
      ...(Object.keys(dimensions).length > 0 ? { defaultDimensions: { ...dimensions } } : {}),
      logger: this.logger,
    });
  }

  /** The Lambda handler: runs `body` with the context added to the logs, and flushes the metrics after. */
  handler<R>(body: (input: unknown, context: Context | undefined) => Promise<R>): (input: unknown, context?: Context) => Promise<R> {
    return async (input, context) => {
      if (context) this.logger.addContext(context);
      try {
        return await body(input, context);
      } catch (error) {
        this.logFailure(error);
        throw error;
      } finally {
        this.metrics.publishStoredMetrics();
      }
    };
  }

  /** Logs the field and the problem, counts the rejection metric, and answers `{ status: 'rejected', error }`. */
  reject(error: FieldError): Rejected {
    this.logger.error(this.options.rejectionMessage, { field: error.field, problem: error.problem });
    this.metrics.addMetric(this.options.rejectionMetric, MetricUnit.Count, 1);
    return { status: 'rejected', error };
  }

  /** The setting's value; a setting that cannot be used is thrown as a {@link SettingError}. */
  setting<T>(setting: JsonSetting<T>): T {
    const read = setting.read();
    if (!read.ok) throw new SettingError(read.error);
    return read.value;
  }

  private logFailure(error: unknown): void {
    if (error instanceof SettingError) {
      this.logger.error('a setting of the deployment cannot be used', { field: error.error.field, problem: error.error.problem });
    } else {
      this.logger.error('the invocation failed', error instanceof Error ? error : String(error));
    }
  }
}
