import { startFakeLambda, startFakeSns, type InvokedFunction } from './fake-aws-endpoints';
import { startFakeSsm, type FakeSsm } from './fake-ssm';
import { LOCAL_AWS_ENV, setEnv, startDynalite, startFakeSageMaker, startS3, type FakeSageMaker, type LocalService } from './local-services';

export type FakeSns = Awaited<ReturnType<typeof startFakeSns>>;
export type FakeLambda = Awaited<ReturnType<typeof startFakeLambda>>;
type Env = Readonly<Record<string, string | undefined>>;

/** How long starting or stopping the local services may take on a loaded machine. */
export const SERVICES_TIMEOUT = 60_000;

/** What a handler's environment holds besides its endpoints: quiet logs, the library's metric namespace, no SDK notices. */
export const QUIET_HANDLER_ENV = {
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_NAMESPACE: 'MLTriggers',
  AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
} as const;

/** The local services a handler talks to. The SageMaker stand-in always runs: every handler may start a run. */
export interface HandlerServiceOptions {
  readonly dynamodb?: boolean;
  readonly s3?: boolean;
  readonly sns?: boolean;
  readonly ssm?: boolean;
  /** The functions the Lambda stand-in runs, by name; without them it does not start. */
  readonly lambda?: Readonly<Record<string, InvokedFunction>>;
  /** The handler's own settings; they override the quiet defaults. */
  readonly env?: Env;
  /** Sets the environment and returns its restorer: a bundled handler needs Node's own process set too. */
  readonly setEnv?: (vars: Env) => () => void;
}

interface OptionalServices {
  readonly dynamo?: LocalService;
  readonly s3?: LocalService;
  readonly sns?: FakeSns;
  readonly ssm?: FakeSsm;
  readonly lambda?: FakeLambda;
}

/**
 * The local services one test file's handler talks to, with the SDK pointed at them through its standard
 * `AWS_ENDPOINT_URL_<SERVICE>` variables until `stop()`.
 */
export class HandlerServices {
  static async start(options: HandlerServiceOptions = {}): Promise<HandlerServices> {
    const [sagemaker, dynamo, s3, sns, ssm, lambda] = await Promise.all([
      startFakeSageMaker(),
      options.dynamodb ? startDynalite() : undefined,
      options.s3 ? startS3() : undefined,
      options.sns ? startFakeSns() : undefined,
      options.ssm ? startFakeSsm() : undefined,
      options.lambda ? startFakeLambda(options.lambda) : undefined,
    ]);
    const restoreEnv = (options.setEnv ?? setEnv)({
      ...LOCAL_AWS_ENV,
      AWS_ENDPOINT_URL_SAGEMAKER: sagemaker.endpoint,
      ...(dynamo ? { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint } : {}),
      ...(s3 ? { AWS_ENDPOINT_URL_S3: s3.endpoint } : {}),
      ...(sns ? { AWS_ENDPOINT_URL_SNS: sns.endpoint } : {}),
      ...(ssm ? { AWS_ENDPOINT_URL_SSM: ssm.endpoint } : {}),
      ...(lambda ? { AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint } : {}),
      ...QUIET_HANDLER_ENV,
      ...options.env,
    });
    return new HandlerServices(sagemaker, { dynamo, s3, sns, ssm, lambda }, restoreEnv);
  }

  private constructor(
    readonly sagemaker: FakeSageMaker,
    private readonly optional: OptionalServices,
    private readonly restoreEnv: () => void,
  ) {}

  get dynamo(): LocalService {
    return this.started('dynamo');
  }

  get s3(): LocalService {
    return this.started('s3');
  }

  get sns(): FakeSns {
    return this.started('sns');
  }

  get ssm(): FakeSsm {
    return this.started('ssm');
  }

  get lambda(): FakeLambda {
    return this.started('lambda');
  }

  async stop(): Promise<void> {
    const running = [this.sagemaker, ...Object.values(this.optional)].filter((service): service is LocalService => service !== undefined);
    await Promise.all(running.map((service) => service.close()));
    this.restoreEnv();
  }

  private started<K extends keyof OptionalServices>(name: K): NonNullable<OptionalServices[K]> {
    const service = this.optional[name];
    if (service === undefined) throw new Error(`${name} was not started: pass it to HandlerServices.start`);
    return service as NonNullable<OptionalServices[K]>;
  }
}

/** The EMF documents among what was written to stdout. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- EMF JSON, read by the assertions of each test
export function emfDocuments(written: readonly string[]): any[] {
  return written.flatMap((chunk) => chunk.split('\n')).filter((line) => line.includes('CloudWatchMetrics')).map((line) => JSON.parse(line));
}

/** Collects what is written to stdout (and keeps it off the console) until the test's mocks are restored. */
export function captureStdout(): string[] {
  const written: string[] = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  return written;
}

/** Keeps what the handler writes to stdout off the console during each test of the enclosing block. */
export function quietStdoutPerTest(): void {
  beforeEach(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));
  afterEach(() => jest.restoreAllMocks());
}

/** Starts `world` before the enclosing block's tests and stops it after them. */
export function running<W extends { start(): Promise<void>; stop(): Promise<void> }>(world: W): W {
  beforeAll(() => world.start(), SERVICES_TIMEOUT);
  afterAll(() => world.stop(), SERVICES_TIMEOUT);
  return world;
}
