import { createHash } from 'node:crypto';
import { startAwsJsonEndpoint, type AwsJsonReply } from './aws-json';
import type { LocalEndpoint } from './loopback';
import { EXECUTION_STATUSES, listExecutions, type ListedExecution, type PipelineExecutionStatus } from './sagemaker-list';
import {
  parseStartRequest, validateStart, type PipelineStartRequest, type SageMakerErrorName, type ServiceError,
} from './sagemaker-requests';

export type { PipelineStartRequest, SageMakerErrorName } from './sagemaker-requests';
export type { PipelineExecutionStatus } from './sagemaker-list';

/** An execution that started before the test or simulation, or by other means than this endpoint's StartPipelineExecution. */
export interface PastExecution {
  readonly pipelineName: string;
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
  /** @default 'Succeeded' */
  readonly status?: PipelineExecutionStatus;
  readonly displayName?: string;
  readonly description?: string;
}

/** A failure the local SageMaker can be told to return instead of serving a request. */
export type FailureKind = 'throttle' | 'internal' | 'accessDenied';

/** How one StartPipelineExecution request ends: served as SageMaker would, or failed with a kind of failure. */
export type StartOutcome = 'succeed' | FailureKind;

/** One request the local SageMaker received, whatever its outcome. */
export interface RecordedCall extends PipelineStartRequest {
  /** The `X-Amz-Target` header, e.g. `SageMaker.StartPipelineExecution`. */
  readonly target: string;
  readonly outcome: 'started' | 'duplicate' | SageMakerErrorName;
}

/** One pipeline execution the local SageMaker started (one per distinct ClientRequestToken). */
export interface RecordedExecution {
  readonly executionArn: string;
  readonly pipelineName: string;
  readonly clientRequestToken: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly displayName?: string;
  readonly description?: string;
}

/** An execution and when it started, in the time `now` reads (the virtual clock's, in the simulator). */
export interface StartedRun {
  readonly execution: RecordedExecution;
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
}

export interface LocalSageMakerOptions {
  /** @default 'eu-west-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly account?: string;
  /** The time a run starts at. @default Date.now, which reads the virtual clock while it is installed */
  readonly now?: () => number;
  /** Told of each run as it starts (not of a repeated token), so the caller can later report its completion. */
  readonly onRunStarted?: (run: StartedRun) => void;
  /** Decides each StartPipelineExecution request's outcome before it is served. @default every request succeeds */
  readonly outcome?: (request: PipelineStartRequest) => StartOutcome;
}

/** A SageMaker endpoint that serves StartPipelineExecution and ListPipelineExecutions and records what it saw. */
export interface LocalSageMaker extends LocalEndpoint {
  readonly calls: readonly RecordedCall[];
  readonly executions: readonly RecordedExecution[];
  readonly runs: readonly StartedRun[];
  /** Declares a pipeline; once any is declared, starts of undeclared pipelines fail with ResourceNotFound. */
  registerPipeline(name: string): void;
  /** Fails the next `count` StartPipelineExecution requests with `kind`; calls queue up in order. */
  failNext(count: number, kind: FailureKind): void;
  /** Fails each later StartPipelineExecution request with probability `p` (0 turns it off). */
  failWithProbability(p: number, kind: FailureKind, random?: () => number): void;
  /** Drops queued and random failures, so that the next requests are served. */
  clearFailures(): void;
  /** Records an execution that ListPipelineExecutions lists (and no start counts); returns its ARN. */
  addPastExecution(execution: PastExecution): string;
  /** Sets an execution's status, as its run moving on would: a run this endpoint starts is `Executing` until then. */
  setStatus(executionArn: string, status: PipelineExecutionStatus, failureReason?: string): void;
}

const INJECTED: Readonly<Record<FailureKind, ServiceError>> = {
  throttle: { status: 400, name: 'ThrottlingException', message: 'Rate exceeded' },
  internal: { status: 500, name: 'InternalFailure', message: 'The request processing has failed.' },
  accessDenied: { status: 400, name: 'AccessDeniedException', message: 'Not authorized: sagemaker:StartPipelineExecution' },
};

const START_TARGET = 'SageMaker.StartPipelineExecution';
const LIST_TARGET = 'SageMaker.ListPipelineExecutions';

/**
 * Starts a local SageMaker on an OS-assigned loopback port; point `AWS_ENDPOINT_URL_SAGEMAKER` at it.
 * As SageMaker does, a repeated ClientRequestToken starts nothing and answers the first start's ARN.
 * Execution ARNs are derived from the pipeline and the token, so a replay names the same executions.
 */
export async function startLocalSageMaker(options: LocalSageMakerOptions = {}): Promise<LocalSageMaker> {
  const arnPrefix = `arn:aws:sagemaker:${options.region ?? 'eu-west-1'}:${options.account ?? '123456789012'}:pipeline/`;
  const now = options.now ?? (() => Date.now());
  const calls: RecordedCall[] = [];
  const executions: RecordedExecution[] = [];
  const runs: StartedRun[] = [];
  const byToken = new Map<string, RecordedExecution>();
  const pipelines = new Set<string>();
  const statuses = new Map<string, { readonly status: PipelineExecutionStatus; readonly failureReason?: string }>();
  const past: ListedExecution[] = [];
  const queuedFailures: FailureKind[] = [];
  let randomFailure: { p: number; kind: FailureKind; random: () => number } | undefined;

  function failureFor(request: PipelineStartRequest): ServiceError | undefined {
    const queued = queuedFailures.shift();
    if (queued) return INJECTED[queued];
    if (randomFailure && randomFailure.random() < randomFailure.p) return INJECTED[randomFailure.kind];
    const decided = options.outcome?.(request) ?? 'succeed';
    return decided === 'succeed' ? undefined : INJECTED[decided];
  }

  /** ListPipelineExecutions over the runs started here and the past executions recorded, each with its status. */
  function list(rawBody: string): AwsJsonReply {
    const started = runs.map(({ execution: e, startedAt }): ListedExecution => ({
      executionArn: e.executionArn,
      pipelineName: e.pipelineName,
      startedAt,
      status: 'Executing',
      ...statuses.get(e.executionArn),
      ...(e.displayName !== undefined ? { displayName: e.displayName } : {}),
      ...(e.description !== undefined ? { description: e.description } : {}),
    }));
    return listExecutions(rawBody, [...past, ...started]);
  }

  function serve(target: string, rawBody: string): AwsJsonReply {
    if (target === LIST_TARGET) return list(rawBody);
    const request = parseStartRequest(rawBody);
    const fields = request?.fields ?? { parameters: {} };
    const record = (outcome: RecordedCall['outcome']): void => {
      calls.push({ target, ...fields, outcome });
    };
    const rejectWith = (error: ServiceError): AwsJsonReply => {
      record(error.name);
      return { status: error.status, body: { __type: error.name, message: error.message }, error: error.name };
    };
    if (target !== START_TARGET) {
      return rejectWith({ status: 400, name: 'UnknownOperationException', message: `Unknown operation ${target}` });
    }
    const injected = failureFor(fields);
    if (injected) return rejectWith(injected);
    if (!request) return rejectWith({ status: 400, name: 'SerializationException', message: 'Body is not a JSON object' });
    const checked = validateStart(request, pipelines, arnPrefix);
    if ('error' in checked) return rejectWith(checked.error);
    const existing = byToken.get(checked.clientRequestToken);
    if (existing) {
      record('duplicate');
      return { status: 200, body: { PipelineExecutionArn: existing.executionArn } };
    }
    const { displayName, description, parameters } = fields;
    const id = createHash('sha256').update(`${checked.pipelineName}\n${checked.clientRequestToken}`).digest('hex').slice(0, 12);
    const execution: RecordedExecution = {
      ...checked,
      parameters,
      displayName,
      description,
      executionArn: `${arnPrefix}${checked.pipelineName}/execution/${id}`,
    };
    const run: StartedRun = { execution, startedAt: now() };
    byToken.set(checked.clientRequestToken, execution);
    executions.push(execution);
    runs.push(run);
    record('started');
    options.onRunStarted?.(run);
    return { status: 200, body: { PipelineExecutionArn: execution.executionArn } };
  }

  const { endpoint, close } = await startAwsJsonEndpoint(serve);

  return {
    endpoint,
    calls,
    executions,
    runs,
    close,
    registerPipeline: (name) => void pipelines.add(name),
    addPastExecution: (execution) => {
      const id = createHash('sha256').update(`past\n${execution.pipelineName}\n${past.length}`).digest('hex').slice(0, 12);
      const executionArn = `${arnPrefix}${execution.pipelineName}/execution/${id}`;
      past.push({ ...execution, executionArn, status: execution.status ?? 'Succeeded' });
      return executionArn;
    },
    setStatus: (executionArn, status, failureReason) => {
      if (!EXECUTION_STATUSES.includes(status)) throw new RangeError(`status must be one of ${EXECUTION_STATUSES.join(', ')}, got ${status}`);
      const pastIndex = past.findIndex((execution) => execution.executionArn === executionArn);
      if (pastIndex >= 0) past[pastIndex] = { ...past[pastIndex], status, ...(failureReason !== undefined ? { failureReason } : {}) };
      else if (executions.some((execution) => execution.executionArn === executionArn)) statuses.set(executionArn, { status, ...(failureReason !== undefined ? { failureReason } : {}) });
      else throw new RangeError(`no execution ${executionArn}`);
    },
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
