import { parseSettingsText, type FieldError, type Parsed } from '../../core/result';
import { isRetryable } from './google-rest';
import { parsePushRequest, type PushedMessage } from './pubsub-push';

/** The part of the Functions Framework's (Express) request an HTTP function reads; the body arrives parsed when it is JSON. */
export interface FunctionRequest {
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** The part of the Functions Framework's (Express) response an HTTP function writes. */
export interface FunctionResponse {
  status(code: number): FunctionResponse;
  json(body: unknown): void;
  send(body?: unknown): void;
}

export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';

/**
 * Writes one structured log line to stdout; Cloud Logging reads `severity` and `message` from it and keeps the
 * other fields as jsonPayload. Written last so that a field can never override them.
 */
export function log(severity: Severity, message: string, fields: Readonly<Record<string, unknown>> = {}): void {
  process.stdout.write(`${JSON.stringify({ ...fields, severity, message })}\n`);
}

/** Bad input: answered 200, because any other status makes Pub/Sub redeliver a message that can never succeed. */
export function respondRejected(res: FunctionResponse, error: FieldError, context: Readonly<Record<string, unknown>> = {}): void {
  log('ERROR', `rejected a message: ${error.field} ${error.problem}`, { ...context, field: error.field, problem: error.problem });
  res.status(200).json({ status: 'rejected', error });
}

/**
 * A deployment whose settings do not parse: answered 500 so that Pub/Sub keeps the message and, after its retry
 * policy, moves it to the dead-letter topic, from where it can be replayed once the settings are fixed.
 */
export function respondMisconfigured(res: FunctionResponse, error: FieldError): void {
  log('CRITICAL', `the function's settings are invalid: ${error.field} ${error.problem}`, { field: error.field, problem: error.problem });
  res.status(500).json({ status: 'misconfigured', error });
}

/** Reads and parses the settings an environment variable holds as JSON, naming fields from the variable (`TRIGGER_CONFIG.region`). */
export function settingsFromEnv<T>(name: string, parse: (input: unknown) => Parsed<T>): Parsed<T> {
  return parseSettingsText(name, process.env[name], parse);
}

/**
 * A create that failed. When it may succeed later (429, 5xx, no token, or an error of unknown kind) the answer is 500,
 * so that Pub/Sub redelivers with backoff and finally dead-letters; when it cannot (403, 400...), 200 with status
 * `failed` and an ERROR log, because redelivering it would only repeat the same refusal.
 */
export function respondStartFailed(res: FunctionResponse, error: unknown, context: Readonly<Record<string, unknown>> = {}): void {
  const retryable = isRetryable(error);
  const detail = error instanceof Error ? { name: error.name, message: error.message.slice(0, 500) } : { name: 'UnknownError', message: String(error) };
  const status = error instanceof Error && 'status' in error && typeof error.status === 'string' ? error.status : detail.name;
  log('ERROR', `could not create the pipeline job: ${detail.message}`, { ...context, error: detail, retryable });
  res.status(retryable ? 500 : 200).json({ status: retryable ? 'retry' : 'failed', error: { status, message: detail.message } });
}

/** A pushed message for a function whose settings parsed, what it says, and the fields every log line about it carries. */
export interface ReceivedPush<T, M> {
  readonly trigger: T;
  readonly message: PushedMessage;
  /** The message as the function's own parser read it. */
  readonly content: M;
  readonly context: { readonly triggerId: string; readonly messageId: string; readonly publishTime: string };
}

/**
 * What every push-triggered function does first: parse its settings from the environment variable `settingsName`,
 * then the push request, then the message with `read`. When any is wrong the answer is already written
 * (500 misconfigured, 200 rejected) and the result is undefined.
 */
export function receivePush<T extends { readonly triggerId: string }, M>(
  req: FunctionRequest,
  res: FunctionResponse,
  settingsName: string,
  parse: (input: unknown) => Parsed<T>,
  read: (message: PushedMessage, trigger: T) => Parsed<M>,
): ReceivedPush<T, M> | undefined {
  const settings = settingsFromEnv(settingsName, parse);
  if (!settings.ok) return void respondMisconfigured(res, settings.error);
  const trigger = settings.value;
  const push = parsePushRequest(req.body);
  if (!push.ok) return void respondRejected(res, push.error, { triggerId: trigger.triggerId });
  const message = push.value;
  const context = { triggerId: trigger.triggerId, messageId: message.messageId, publishTime: message.publishTime };
  const content = read(message, trigger);
  if (!content.ok) return void respondRejected(res, content.error, context);
  return { trigger, message, content: content.value, context };
}
