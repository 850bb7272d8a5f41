import type { PipelineStarter } from '../../lambda/aws/adapters/pipeline-starter';
import { LocalAws } from './batcher-env';
import { asDeployed, startFakeSsm, TEST_CONFIG_PATH, type FakeSsm } from './fake-ssm';
import { setEnv, type RecordedExecution } from './local-services';

type Batcher = typeof import('../../lambda/aws/batcher');
/** The function taking one delivery at a time: a rule's `{ triggerId, event }`, or the flush schedule's input. */
export type BatcherHandler = (input: unknown) => Promise<import('../../lambda/aws/batcher').BatcherResult>;
/** The function taking a batch of messages from the arrival queue. */
export type BatcherQueueHandler = (event: unknown) => Promise<import('../../lambda/aws/batcher').QueueBatchResult>;

/** The batcher function over local DynamoDB, S3 and SageMaker, reading its configurations from a local SSM. */
export class BatcherHandlerWorld {
  private running?: {
    readonly local: LocalAws;
    readonly ssm: FakeSsm;
    readonly lambdaHandler: BatcherHandler;
    readonly queueHandler: BatcherQueueHandler;
    readonly restoreEnv: () => void;
  };

  async start(): Promise<void> {
    const [local, ssm] = await Promise.all([LocalAws.start(), startFakeSsm()]);
    const restoreEnv = setEnv({
      POWERTOOLS_LOG_LEVEL: 'INFO',
      AWS_ENDPOINT_URL_SSM: ssm.endpoint,
      TRIGGER_CONFIG_PATH: TEST_CONFIG_PATH,
      TRIGGER_CONFIG_VERSION: 'first-deployment',
    });
    const { handler }: Batcher = await import('../../lambda/aws/batcher');
    this.running = { local, ssm, lambdaHandler: handler as BatcherHandler, queueHandler: handler as BatcherQueueHandler, restoreEnv };
  }

  /** The function as deployed: it receives `{ triggerId, event }` and reads the configuration itself. */
  readonly lambdaHandler: BatcherHandler = (input) => this.started().lambdaHandler(input);
  /** The function as the arrival queue's event source mapping invokes it, with a batch of messages. */
  readonly queueHandler: BatcherQueueHandler = (event) => this.started().queueHandler(event);
  /** The same function, taking `{ trigger, event }`: the configuration is deployed first, then only the id is sent. */
  readonly handler = (input: unknown): ReturnType<BatcherHandler> => asDeployed(this.ssm, this.lambdaHandler)(input);

  get local(): LocalAws {
    return this.started().local;
  }

  get ssm(): FakeSsm {
    return this.started().ssm;
  }

  runsOf(triggerId: string): RecordedExecution[] {
    return runsOf(this.local, triggerId);
  }

  async stop(): Promise<void> {
    this.started().restoreEnv();
    await Promise.all([this.local.stop(), this.ssm.close()]);
  }

  private started() {
    if (!this.running) throw new Error('start() first');
    return this.running;
  }
}

/** Collects what is written to stdout and stderr (keeping it off the console) until the test's mocks are restored. */
export function captureOutput(): string[] {
  const written: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  }
  return written;
}

/** The structured log lines among what was written. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- log JSON, read by the assertions of each test
export function logLines(written: readonly string[]): any[] {
  return written.flatMap((chunk) => chunk.split('\n')).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
}

const realNow = Date.now.bind(Date);
let advancedMs = 0;

/**
 * Moves the clock the function reads on by `ms`: windows close without the test waiting for them. Moves add up
 * until the mocks are restored.
 */
export function advanceClock(ms: number): void {
  advancedMs = jest.isMockFunction(Date.now) ? advancedMs + ms : ms;
  const by = advancedMs;
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + by);
}

/** The runs the trigger started, found by the description every run of a trigger carries. */
export function runsOf(local: LocalAws, triggerId: string): RecordedExecution[] {
  return local.sagemaker.executions.filter((e) => e.description?.includes(`trigger ${triggerId}:`));
}

/** The runs started for a trigger, with their manifests' lines, in the order SageMaker received them. */
export async function startedFor(local: LocalAws, triggerId: string) {
  const executions = runsOf(local, triggerId);
  const manifests = await Promise.all(executions.map((e) => local.manifestLines(e.parameters.ManifestS3Uri)));
  return { executions, manifests };
}

/** The header item of the trigger's first batch. */
export async function batchHeader(local: LocalAws, triggerId: string): Promise<Record<string, unknown> | undefined> {
  return (await local.items()).find((item) => String(item.pk).startsWith(`B#${triggerId}#`) && item.sk === 'H');
}

type Starter = Pick<PipelineStarter, 'start' | 'find'>;

/** Wraps SageMaker's starter so that the replies to its first `lost` starts never arrive, though SageMaker started the runs. */
export function losingReplies(lost: number): (real: Starter) => Starter {
  return (real) => {
    let left = lost;
    return {
      start: async (request) => {
        const arn = await real.start(request);
        if (left-- > 0) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        return arn;
      },
      find: (...args) => real.find(...args),
    };
  };
}

/** When each test of the batcher's guarantees begins. */
export const BATCHER_T0 = Date.parse('2027-03-01T10:00:00Z');

/** Local DynamoDB, S3 and SageMaker for batchers built in the test, and the clock they read, which the test moves. */
export class ClockedBatcherWorld {
  clock = BATCHER_T0;
  readonly now = () => this.clock;
  private running?: LocalAws;

  async start(): Promise<void> {
    this.running = await LocalAws.start();
  }

  get local(): LocalAws {
    if (!this.running) throw new Error('start() first');
    return this.running;
  }

  stop(): Promise<void> {
    return this.local.stop();
  }
}
