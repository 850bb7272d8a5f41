import type { LocalEndpoint } from '../../lib/simulator/endpoints/loopback';

/** A local stand-in for an AWS service, reachable at `endpoint` until `close()` resolves. */
export type LocalService = LocalEndpoint;

/** Dummy credentials and region for local services; s3rver's signature check knows exactly this key pair. */
export const LOCAL_AWS_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'eu-west-1' } as const;

/** Sets (or, for `undefined`, deletes) environment variables and returns a function that restores them. */
export function setEnv(vars: Readonly<Record<string, string | undefined>>): () => void {
  const previous = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  applyEnv(vars);
  return () => applyEnv(previous);
}

function applyEnv(vars: Readonly<Record<string, string | undefined>>): void {
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

// dynalite and s3rver are started as the simulator starts them.
export { startDynalite, startS3rver as startS3 } from '../../lib/simulator/endpoints/stores';

// The fake SageMaker and the AWS JSON endpoint it is built on live in their own modules; they are re-exported here,
// where the handler tests and benchmarks find every local service.
export { startAwsJsonEndpoint, type AwsJsonReply } from './aws-json-endpoint';
export {
  startFakeSageMaker, type FailureKind, type FakeSageMaker, type RecordedCall, type RecordedExecution, type SageMakerErrorName,
} from './fake-sagemaker';

/** How long a test against local services, or their start and close around it, may take on a loaded machine. */
export const LOCAL_SERVICE_TIMEOUT = 60_000;

/**
 * A fresh local service for each test of the surrounding describe: started with the local credentials and
 * `endpointVariable` pointing at it, then closed and the environment restored.
 */
export function serviceForEachTest<S extends LocalService>(start: () => Promise<S>, endpointVariable: string): { readonly service: S } {
  let current: { service: S; restoreEnv: () => void } | undefined;
  beforeEach(async () => {
    const service = await start();
    current = { service, restoreEnv: setEnv({ ...LOCAL_AWS_ENV, [endpointVariable]: service.endpoint }) };
  }, LOCAL_SERVICE_TIMEOUT);
  afterEach(async () => {
    current?.restoreEnv();
    await current?.service.close();
    current = undefined;
  }, LOCAL_SERVICE_TIMEOUT);
  return {
    get service(): S {
      if (!current) throw new Error('the local service is started before each test');
      return current.service;
    },
  };
}
