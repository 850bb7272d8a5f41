import { randomUUID } from 'node:crypto';
import { startAwsJsonEndpoint } from './aws-json-endpoint';
import type { LocalService } from './local-services';

/** A PutEvents entry as the fake received it (awsJson1_1 sends `Time` as epoch seconds; recorded as ISO 8601). */
export interface ReceivedEntry {
  readonly eventBusName?: string;
  readonly source?: string;
  readonly detailType?: string;
  /** The `Detail` string exactly as sent. */
  readonly detail?: string;
  readonly time?: string;
  readonly resources: readonly string[];
}

/** An entry the fake accepted, with the id it answered. */
export interface AcceptedEntry extends ReceivedEntry {
  readonly eventId: string;
}

/** One PutEvents request: the entries it carried and how the fake answered each (event id or error code). */
export interface ReceivedCall {
  readonly entries: readonly ReceivedEntry[];
  readonly outcome: 'answered' | WholeCallError;
  readonly answers: readonly string[];
}

export type WholeCallError = 'ThrottlingException' | 'InternalException' | 'ValidationException'
  | 'SerializationException' | 'UnknownOperationException';

/** EventBridge's PutEvents over awsJson1_1 on 127.0.0.1; point `AWS_ENDPOINT_URL_EVENTBRIDGE` at `endpoint`. */
export interface FakeEventBridge extends LocalService {
  readonly accepted: readonly AcceptedEntry[];
  readonly calls: readonly ReceivedCall[];
  /** Answers the next `times` entries matching `predicate` with `errorCode` (in a 200 answer, as PutEvents does). */
  failEntries(predicate: (entry: ReceivedEntry) => boolean, errorCode: string, times?: number): void;
  /** Fails the next `count` whole PutEvents calls: HTTP 400 ThrottlingException or HTTP 500 InternalException. */
  failCalls(count: number, kind: 'throttle' | 'internal'): void;
  /** Forgets recorded calls and pending failures. */
  reset(): void;
}

interface EntryRule {
  readonly predicate: (entry: ReceivedEntry) => boolean;
  readonly errorCode: string;
  remaining: number;
}

interface Reply {
  readonly status: number;
  readonly body: object;
  readonly error?: WholeCallError;
}

const ERROR_MESSAGES: Readonly<Record<string, string>> = {
  ThrottlingException: 'Rate exceeded',
  InternalFailure: 'The request processing has failed because of an unknown error, exception or failure.',
  MalformedDetail: 'Detail is malformed.',
  InvalidArgument: 'Parameter(s) is not valid.',
};

/** Starts the fake on an OS-assigned loopback port. */
export async function startFakeEventBridge(): Promise<FakeEventBridge> {
  const accepted: AcceptedEntry[] = [];
  const calls: ReceivedCall[] = [];
  let entryRules: EntryRule[] = [];
  let callFailures: Array<'throttle' | 'internal'> = [];

  function answerEntry(entry: ReceivedEntry): { EventId: string } | { ErrorCode: string; ErrorMessage: string } {
    const fail = (code: string): { ErrorCode: string; ErrorMessage: string } => ({ ErrorCode: code, ErrorMessage: ERROR_MESSAGES[code] ?? code });
    if (!entry.source || !entry.detailType) return fail('InvalidArgument');
    if (!isJsonObject(entry.detail)) return fail('MalformedDetail');
    const rule = entryRules.find((candidate) => candidate.remaining > 0 && candidate.predicate(entry));
    if (rule) {
      rule.remaining -= 1;
      return fail(rule.errorCode);
    }
    const eventId = randomUUID();
    accepted.push({ ...entry, eventId });
    return { EventId: eventId };
  }

  function serve(target: string, rawBody: string): Reply {
    const reject = (status: number, error: WholeCallError, message: string, entries: ReceivedEntry[] = []): Reply => {
      calls.push({ entries, outcome: error, answers: [] });
      return { status, body: { __type: error, message }, error };
    };
    if (target !== 'AWSEvents.PutEvents') return reject(400, 'UnknownOperationException', `Unknown operation ${target}`);
    const entries = parseEntries(rawBody);
    if (!entries) return reject(400, 'SerializationException', 'Body is not a PutEvents request');
    const failure = callFailures.shift();
    if (failure === 'throttle') return reject(400, 'ThrottlingException', 'Rate exceeded', entries);
    if (failure === 'internal') return reject(500, 'InternalException', 'An internal error occurred', entries);
    if (entries.length < 1 || entries.length > 10) {
      const message = "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10";
      return reject(400, 'ValidationException', message, entries);
    }
    const results = entries.map(answerEntry);
    calls.push({ entries, outcome: 'answered', answers: results.map((result) => ('EventId' in result ? result.EventId : result.ErrorCode)) });
    return { status: 200, body: { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results } };
  }

  const { endpoint, close } = await startAwsJsonEndpoint(serve);

  return {
    endpoint,
    accepted,
    calls,
    close,
    failEntries: (predicate, errorCode, times = 1) => {
      if (!Number.isInteger(times) || times < 1) throw new RangeError(`times must be a whole number >= 1, got ${times}`);
      entryRules.push({ predicate, errorCode, remaining: times });
    },
    failCalls: (count, kind) => {
      if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a whole number >= 0, got ${count}`);
      callFailures.push(...Array<'throttle' | 'internal'>(count).fill(kind));
    },
    reset: () => {
      accepted.length = 0;
      calls.length = 0;
      entryRules = [];
      callFailures = [];
    },
  };
}

function parseEntries(rawBody: string): ReceivedEntry[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || !Array.isArray(parsed.Entries)) return undefined;
  return parsed.Entries.map((raw: unknown): ReceivedEntry => {
    const entry = isObject(raw) ? raw : {};
    const text = (key: string): string | undefined => {
      const value = entry[key];
      return typeof value === 'string' ? value : undefined;
    };
    const time = entry.Time;
    return {
      eventBusName: text('EventBusName'),
      source: text('Source'),
      detailType: text('DetailType'),
      detail: text('Detail'),
      time: typeof time === 'number' ? new Date(time * 1000).toISOString() : undefined,
      resources: Array.isArray(entry.Resources) ? entry.Resources.filter((item): item is string => typeof item === 'string') : [],
    };
  });
}

function isJsonObject(text: string | undefined): boolean {
  if (text === undefined) return false;
  try {
    return isObject(JSON.parse(text));
  } catch {
    return false;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
