import { GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { parseBatchTriggerConfig, type BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { TriggerConfigs, type TriggerConfigSource } from '../../lambda/aws/adapters/trigger-configs';

export const PATH = '/cdk-ml-triggers/unit-stack/';

export function deployedConfig(triggerId: string): BatchTriggerConfig {
  return {
    triggerId,
    pipelineName: 'training-pipeline',
    source: { bucket: 'mlops-data-prod', prefix: 'labels/' },
    batchSize: 3,
    batchWindowSeconds: 3600,
    manifestBucket: 'mlops-data-prod',
    manifestPrefix: 'ml-triggers/manifests/',
    manifestParameterName: 'ManifestS3Uri',
    countParameterName: 'ObjectCount',
    parameters: { TrainingMode: 'data-arrival' },
    maxStartAttempts: 3,
  };
}

/** One GetParametersByPath request, as `send` received it. */
interface PathRead {
  readonly path: string;
  readonly recursive: boolean | undefined;
  readonly maxResults: number | undefined;
  readonly nextToken: string | undefined;
}

export const throttling = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

/**
 * Parameter Store as the function sees it through `send`: GetParametersByPath over what the test stored,
 * the direct children of `Path` in name order, `MaxResults` (at most 10) per page with a `NextToken` while
 * more remain, as the API answers; and the error the test queued instead of an answer. The clock and the
 * deployment's source are the test's.
 */
export function fixture() {
  const parameters = new Map<string, string>();
  const reads: PathRead[] = [];
  const failures: (Error | undefined)[] = [];
  let nowMs = Date.parse('2027-03-01T10:00:00Z');
  let source: TriggerConfigSource = { path: PATH, version: 'deployment-1' };
  const send = async (command: unknown) => {
    if (!(command instanceof GetParametersByPathCommand)) throw new Error('only GetParametersByPath is expected');
    const { Path: path = '', Recursive: recursive, MaxResults: maxResults, NextToken: nextToken } = command.input;
    reads.push({ path, recursive, maxResults, nextToken });
    // An answer arrives later than the call, as over the network: concurrent callers interleave.
    await new Promise((resolve) => setImmediate(resolve));
    const failure = failures.shift();
    if (failure) throw failure;
    const max = maxResults ?? 10;
    if (!path.startsWith('/') || path.endsWith('/') || max < 1 || max > 10) {
      throw Object.assign(new Error('Path must name a hierarchy; MaxResults is 1-10'), { name: 'ValidationException' });
    }
    const children = [...parameters.keys()].filter((name) => name.startsWith(`${path}/`) && (recursive === true || !name.slice(path.length + 1).includes('/'))).sort();
    const from = nextToken === undefined ? 0 : Number(nextToken);
    return {
      Parameters: children.slice(from, from + max).map((name) => ({ Name: name, Type: 'String', Value: parameters.get(name) })),
      NextToken: from + max < children.length ? String(from + max) : undefined,
    };
  };
  const configs = new TriggerConfigs<BatchTriggerConfig>({ send } as unknown as Pick<SSMClient, 'send'>, () => source, parseBatchTriggerConfig, () => nowMs);
  return {
    configs,
    reads,
    /** The loads made: a load's first page is asked for without a token. */
    loads: () => reads.filter((read) => read.nextToken === undefined).length,
    /** Writes one trigger's configuration text as the deployment packs it: `{ "<id>": <configuration> }`. */
    store: (triggerId: string, value: string) => parameters.set(`${PATH}${triggerId}`, `{${JSON.stringify(triggerId)}:${value}}`),
    storeAt: (name: string, value: string) => parameters.set(name, value),
    /** Queues an error as the answer to the next call not yet given one. */
    failNext: (error: Error) => failures.push(error),
    /** Queues a served answer, so that a failure queued after it hits a later call. */
    serveNext: () => failures.push(undefined),
    advance: (ms: number) => (nowMs += ms),
    deploy: (next: Partial<TriggerConfigSource>) => (source = { ...source, ...next }),
    /** Asks for `triggerId` while the load is throttled, which must throw and cache nothing; answers the call after it. */
    getAfterThrottledLoad: async (triggerId: string) => {
      failures.push(throttling());
      await expect(configs.get(triggerId)).rejects.toThrow('Rate exceeded');
      return configs.get(triggerId);
    },
  };
}

/** The fixture with the `labels` trigger deployed; `loaded`, once read, as a warm function holds it. */
export async function withLabels({ loaded }: { readonly loaded: boolean }) {
  const ssm = fixture();
  ssm.store('labels', JSON.stringify(deployedConfig('labels')));
  if (loaded) await ssm.configs.get('labels');
  return ssm;
}
