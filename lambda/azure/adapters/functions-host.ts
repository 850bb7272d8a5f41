import { parseSettingsText, type FieldError, type Parsed } from '../../core/result';

export type Level = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

/**
 * Writes one structured log line (JSON) to stdout, which the Functions host forwards to Application Insights as the
 * invocation's trace: `level` and `message` are written last, so that no field can override them. Every decision a
 * function makes is one such line with `triggerId`, `correlationId` (the Event Grid event's id or the alert's id, also
 * sent to Azure ML as `x-ms-correlation-request-id`), `decision` and its `reason`.
 */
export function log(level: Level, message: string, fields: Readonly<Record<string, unknown>> = {}): void {
  process.stdout.write(`${JSON.stringify({ ...fields, level, message })}\n`);
}

/** Reads and parses the settings an app setting holds as JSON, naming fields from it (`TRIGGER_SETTINGS.workspace`). */
export function settingsFromEnv<T>(name: string, parse: (input: unknown) => Parsed<T>): Parsed<T> {
  return parseSettingsText(name, process.env[name], parse);
}

/**
 * What a handler decided about one delivery. `retry` and `misconfigured` are failures the delivery must come back for
 * (Event Grid retries with backoff and then dead-letters; an action group retries its call); every other status is
 * final, including `rejected` (bad input, never retried: it names the field) and `failed` (Azure ML refused for good).
 */
export interface Outcome {
  readonly status: string;
  readonly error?: FieldError | { readonly status: string; readonly message: string };
  readonly [detail: string]: unknown;
}

/** Whether the delivery must come back: the function then fails the invocation instead of answering. */
export function mustRedeliver(outcome: Outcome): boolean {
  return outcome.status === 'retry' || outcome.status === 'misconfigured';
}

/** A failed invocation that carries the outcome, so that the host's log of the failure says what happened. */
export class RedeliveryRequested extends Error {
  constructor(readonly outcome: Outcome) {
    super(`the delivery must be retried: ${JSON.stringify(outcome).slice(0, 500)}`);
    this.name = 'RedeliveryRequested';
  }
}

/** For Event Grid and timer triggers: answers the outcome, or fails the invocation when the delivery must come back. */
export function settle(outcome: Outcome): Outcome {
  if (mustRedeliver(outcome)) throw new RedeliveryRequested(outcome);
  return outcome;
}

/** For HTTP triggers: 500 for a delivery that must come back, 200 with the outcome otherwise. */
export function httpAnswer(outcome: Outcome): { readonly status: number; readonly jsonBody: Outcome } {
  return { status: mustRedeliver(outcome) ? 500 : 200, jsonBody: outcome };
}

/** Bad input: logged with the field it names, answered as final. */
export function rejected(error: FieldError, context: Readonly<Record<string, unknown>> = {}): Outcome {
  log('ERROR', `rejected a delivery: ${error.field} ${error.problem}`, { ...context, decision: 'rejected', field: error.field, problem: error.problem });
  return { status: 'rejected', error };
}

/** Settings that do not parse: the deployment's fault, so the delivery comes back (and is dead-lettered in the end). */
export function misconfigured(error: FieldError): Outcome {
  log('CRITICAL', `the function's settings are invalid: ${error.field} ${error.problem}`, { decision: 'misconfigured', field: error.field, problem: error.problem });
  return { status: 'misconfigured', error };
}

/**
 * A submission that failed: `retry` when it may pass later (429, 5xx, no answer, no token, or an error of unknown
 * kind), `failed` when it cannot (400, 403...), which is final, as a redelivery would only repeat the refusal.
 */
export function submissionFailed(error: unknown, context: Readonly<Record<string, unknown>> = {}): Outcome {
  const retryable = !(error instanceof Error && 'retryable' in error && error.retryable === false);
  const message = error instanceof Error ? error.message.slice(0, 500) : String(error);
  const status = error instanceof Error && 'status' in error && typeof error.status === 'string' ? error.status : error instanceof Error ? error.name : 'UnknownError';
  log('ERROR', `could not submit the pipeline job: ${message}`, { ...context, decision: retryable ? 'retry' : 'failed', error: { status, message }, retryable });
  return { status: retryable ? 'retry' : 'failed', error: { status, message } };
}
