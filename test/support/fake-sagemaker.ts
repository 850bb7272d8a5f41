import { randomBytes } from 'node:crypto';
import { startAwsJsonEndpoint } from './aws-json-endpoint';
import type { LocalService } from './local-services';

/** A failure the fake SageMaker can be told to return instead of serving a request. */
export type FailureKind = 'throttle' | 'internal' | 'accessDenied';

/** Error names the fake SageMaker returns, as the SDK reports them in `error.name`. */
export type SageMakerErrorName = 'ValidationException' | 'ResourceNotFound' | 'ThrottlingException' | 'InternalFailure'
  | 'AccessDeniedException' | 'UnknownOperationException' | 'SerializationException';

/** One request the fake SageMaker received, whatever its outcome. */
export interface RecordedCall {
  /** The `X-Amz-Target` header, e.g. `SageMaker.StartPipelineExecution`. */
  readonly target: string;
  /** Absent when the request did not carry a `PipelineName` string. */
  readonly pipelineName?: string;
  /** Absent when the request did not carry a `ClientRequestToken` string. */
  readonly clientRequestToken?: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly displayName?: string;
  readonly description?: string;
  readonly outcome: 'started' | 'duplicate' | SageMakerErrorName;
}

/** One pipeline execution the fake SageMaker started (one per distinct ClientRequestToken). */
export interface RecordedExecution {
  readonly executionArn: string;
  readonly pipelineName: string;
  readonly clientRequestToken: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly displayName?: string;
  readonly description?: string;
}

/** A SageMaker endpoint that serves StartPipelineExecution over awsJson1_1 and records what it saw. */
export interface FakeSageMaker extends LocalService {
  readonly calls: readonly RecordedCall[];
  readonly executions: readonly RecordedExecution[];
  /** Declares a pipeline; once any is declared, starts of undeclared pipelines fail with ResourceNotFound. */
  registerPipeline(name: string): void;
  /** Fails the next `count` StartPipelineExecution requests with `kind`; calls queue up in order. */
  failNext(count: number, kind: FailureKind): void;
  /** Fails each later StartPipelineExecution request with probability `p` (0 turns it off). */
  failWithProbability(p: number, kind: FailureKind, random?: () => number): void;
  /** Drops queued and random failures, so that the next requests are served. */
  clearFailures(): void;
}

interface ServiceError {
  readonly status: number;
  readonly name: SageMakerErrorName;
  readonly message: string;
}

const INJECTED: Readonly<Record<FailureKind, ServiceError>> = {
  throttle: { status: 400, name: 'ThrottlingException', message: 'Rate exceeded' },
  internal: { status: 500, name: 'InternalFailure', message: 'The request processing has failed.' },
  accessDenied: { status: 400, name: 'AccessDeniedException', message: 'Not authorized: sagemaker:StartPipelineExecution' },
};

const START_TARGET = 'SageMaker.StartPipelineExecution';
const ARN_PREFIX = 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/';

interface Reply {
  readonly status: number;
  readonly body: object;
  readonly error?: SageMakerErrorName;
}

/** The request as recorded, plus the raw parameter list that validation needs. */
interface StartRequest {
  readonly fields: Omit<RecordedCall, 'target' | 'outcome'>;
  readonly parameterList: readonly { readonly name?: string; readonly value?: string }[];
}

/** Starts a fake SageMaker on an OS-assigned loopback port; point `AWS_ENDPOINT_URL_SAGEMAKER` at it. */
export async function startFakeSageMaker(): Promise<FakeSageMaker> {
  const calls: RecordedCall[] = [];
  const executions: RecordedExecution[] = [];
  const byToken = new Map<string, RecordedExecution>();
  const createdAt = new Map<string, number>();
  const pipelines = new Set<string>();
  const queuedFailures: FailureKind[] = [];
  let randomFailure: { p: number; kind: FailureKind; random: () => number } | undefined;

  function nextInjectedFailure(): ServiceError | undefined {
    const queued = queuedFailures.shift();
    if (queued) return INJECTED[queued];
    if (randomFailure && randomFailure.random() < randomFailure.p) return INJECTED[randomFailure.kind];
    return undefined;
  }

  /** ListPipelineExecutions: the pipeline's executions created at or after CreatedAfter (epoch seconds), newest first. */
  function list(rawBody: string): Reply {
    let body: { PipelineName?: unknown; CreatedAfter?: unknown } = {};
    try {
      body = JSON.parse(rawBody) as typeof body;
    } catch {
      return { status: 400, body: { __type: 'SerializationException', message: 'Body is not JSON' }, error: 'SerializationException' };
    }
    const afterMs = typeof body.CreatedAfter === 'number' ? body.CreatedAfter * 1000 : 0;
    const summaries = executions
      .filter((e) => e.pipelineName === body.PipelineName && (createdAt.get(e.executionArn) ?? 0) >= afterMs)
      .reverse()
      .map((e) => ({
        PipelineExecutionArn: e.executionArn,
        StartTime: (createdAt.get(e.executionArn) ?? 0) / 1000,
        PipelineExecutionStatus: 'Executing',
        ...(e.displayName !== undefined ? { PipelineExecutionDisplayName: e.displayName } : {}),
        ...(e.description !== undefined ? { PipelineExecutionDescription: e.description } : {}),
      }));
    return { status: 200, body: { PipelineExecutionSummaries: summaries } };
  }

  function serve(target: string, rawBody: string): Reply {
    if (target === 'SageMaker.ListPipelineExecutions') return list(rawBody);
    const request = parseStartRequest(rawBody);
    const record = (outcome: RecordedCall['outcome']): void => {
      calls.push({ target, ...(request?.fields ?? { parameters: {} }), outcome });
    };
    const rejectWith = (error: ServiceError): Reply => {
      record(error.name);
      return { status: error.status, body: { __type: error.name, message: error.message }, error: error.name };
    };
    if (target !== START_TARGET) {
      return rejectWith({ status: 400, name: 'UnknownOperationException', message: `Unknown operation ${target}` });
    }
    const injected = nextInjectedFailure();
    if (injected) return rejectWith(injected);
    if (!request) return rejectWith({ status: 400, name: 'SerializationException', message: 'Body is not a JSON object' });
    const checked = validate(request, pipelines);
    if ('error' in checked) return rejectWith(checked.error);
    const existing = byToken.get(checked.clientRequestToken);
    if (existing) {
      record('duplicate');
      return { status: 200, body: { PipelineExecutionArn: existing.executionArn } };
    }
    const { displayName, description, parameters } = request.fields;
    const execution: RecordedExecution = {
      ...checked,
      parameters,
      displayName,
      description,
      executionArn: `${ARN_PREFIX}${checked.pipelineName}/execution/${randomBytes(6).toString('hex')}`,
    };
    byToken.set(checked.clientRequestToken, execution);
    executions.push(execution);
    createdAt.set(execution.executionArn, Date.now());
    record('started');
    return { status: 200, body: { PipelineExecutionArn: execution.executionArn } };
  }

  const { endpoint, close } = await startAwsJsonEndpoint(serve);

  return {
    endpoint,
    calls,
    executions,
    close,
    registerPipeline: (name) => void pipelines.add(name),
    failNext: (count, kind) => {
      if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a whole number >= 0, got ${count}`);
      queuedFailures.push(...Array<FailureKind>(count).fill(kind));
    },
    failWithProbability: (p, kind, random = Math.random) => {
      if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be between 0 and 1, got ${p}`);
      randomFailure = p === 0 ? undefined : { p, kind, random };
    },
    clearFailures: () => {
      queuedFailures.length = 0;
      randomFailure = undefined;
    },
  };
}

function parseStartRequest(rawBody: string): StartRequest | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody === '' ? '{}' : rawBody);
  } catch {
    return undefined;
  }
  if (!isObject(parsed)) return undefined;
  const list: unknown[] = Array.isArray(parsed.PipelineParameters) ? parsed.PipelineParameters : [];
  const parameterList = list.map((entry) =>
    isObject(entry) ? { name: stringField(entry, 'Name'), value: stringField(entry, 'Value') } : {},
  );
  const parameters: Record<string, string> = {};
  for (const { name, value } of parameterList) if (name !== undefined && value !== undefined) parameters[name] = value;
  const fields = {
    pipelineName: stringField(parsed, 'PipelineName'),
    clientRequestToken: stringField(parsed, 'ClientRequestToken'),
    parameters,
    displayName: stringField(parsed, 'PipelineExecutionDisplayName'),
    description: stringField(parsed, 'PipelineExecutionDescription'),
  };
  return { fields, parameterList };
}

/** The constraints SageMaker's API reference states for StartPipelineExecution. */
function validate(
  request: StartRequest,
  pipelines: ReadonlySet<string>,
): { readonly error: ServiceError } | { readonly pipelineName: string; readonly clientRequestToken: string } {
  const invalid = (field: string, constraint: string): { error: ServiceError } => {
    const message = `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${constraint}`;
    return { error: { status: 400, name: 'ValidationException', message } };
  };
  const { pipelineName, clientRequestToken: token, displayName, description } = request.fields;
  const { parameterList } = request;
  if (!pipelineName || pipelineName.length > 256) return invalid('pipelineName', 'Member must have length between 1 and 256');
  if (!token || token.length < 32 || token.length > 128) {
    return invalid('clientRequestToken', 'Member must have length between 32 and 128');
  }
  if (parameterList.length > 200) return invalid('pipelineParameters', 'Member must have length <= 200');
  for (const [index, { name, value }] of parameterList.entries()) {
    const member = `pipelineParameters.${index + 1}.member`;
    if (!name || name.length > 256) return invalid(`${member}.name`, 'Member must have length between 1 and 256');
    if (value === undefined) return invalid(`${member}.value`, 'Member must not be null');
    if (value.length > 1024) return invalid(`${member}.value`, 'Member must have length <= 1024');
  }
  if (displayName !== undefined && !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}$/.test(displayName)) {
    return invalid('pipelineExecutionDisplayName', 'Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}');
  }
  if (description !== undefined && description.length > 3072) {
    return invalid('pipelineExecutionDescription', 'Member must have length <= 3072');
  }
  const name = nameOf(pipelineName);
  if (pipelines.size > 0 && !pipelines.has(name)) {
    return { error: { status: 400, name: 'ResourceNotFound', message: `Pipeline '${ARN_PREFIX}${name}' does not exist.` } };
  }
  return { pipelineName: name, clientRequestToken: token };
}

/** PipelineName accepts a name or a pipeline ARN. */
function nameOf(pipelineNameOrArn: string): string {
  return /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:\d{12}:pipeline\/(.+)$/.exec(pipelineNameOrArn)?.[1] ?? pipelineNameOrArn;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(object: Record<string, unknown>, key: string): string | undefined {
  const value = object[key];
  return typeof value === 'string' ? value : undefined;
}
