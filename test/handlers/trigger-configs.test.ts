import { GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { parseBatchTriggerConfig, type BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { CONFIG_TTL_MS, RELOAD_RETRY_MS, configSourceFromEnv, TriggerConfigs, type TriggerConfigSource } from '../../lambda/aws/adapters/trigger-configs';

const PATH = '/cdk-ml-triggers/unit-stack/';

function deployedConfig(triggerId: string): BatchTriggerConfig {
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

const throttling = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

/**
 * Parameter Store as the function sees it through `send`: GetParametersByPath over what the test stored,
 * the direct children of `Path` in name order, `MaxResults` (at most 10) per page with a `NextToken` while
 * more remain, as the API answers; and the error the test queued instead of an answer. The clock and the
 * deployment's source are the test's.
 */
function fixture() {
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
  };
}

describe("TriggerConfigs: each trigger's deployed configuration, read from Parameter Store", () => {
  describe('one load of every configuration under the path, kept for 10 minutes or until the version changes', () => {
    test('one load serves every trigger and every call until 10 minutes passed, then the path is read again', async () => {
      // Prepare: three triggers deployed.
      const ssm = fixture();
      for (const id of ['labels', 'features', 'drift']) ssm.store(id, JSON.stringify(deployedConfig(id)));

      // Act: each id asked for many times within the TTL, then once at its end.
      const within: unknown[] = [];
      for (let i = 0; i < 10; i++) for (const id of ['labels', 'features', 'drift']) within.push(await ssm.configs.get(id));
      ssm.advance(CONFIG_TTL_MS - 1);
      const justBefore = await ssm.configs.get('labels');
      const readsBeforeExpiry = ssm.reads.length;
      ssm.store('labels', JSON.stringify({ ...deployedConfig('labels'), batchSize: 9 }));
      ssm.advance(1);
      const atExpiry = await ssm.configs.get('labels');

      // Assess
      expect(CONFIG_TTL_MS).toBe(10 * 60_000);
      expect(within).toEqual(Array.from({ length: 10 }, () => ['labels', 'features', 'drift'].map((id) => ({ ok: true, value: deployedConfig(id) }))).flat());
      expect(justBefore).toEqual({ ok: true, value: deployedConfig('labels') });
      expect(readsBeforeExpiry).toBe(1);
      expect(atExpiry).toMatchObject({ ok: true, value: { batchSize: 9 } });
      expect(ssm.reads).toHaveLength(2);
    });

    test('reads the path without its trailing slash, not recursively, ten at a time', async () => {
      const ssm = fixture();
      ssm.store('labels', JSON.stringify(deployedConfig('labels')));

      await ssm.configs.get('labels');

      expect(ssm.reads).toEqual([{ path: PATH.slice(0, -1), recursive: false, maxResults: 10, nextToken: undefined }]);
    });

    test('a new deployment version reloads before the TTL: changed and added configurations are found', async () => {
      // Prepare
      const ssm = fixture();
      ssm.store('labels', JSON.stringify(deployedConfig('labels')));
      await ssm.configs.get('labels');
      const addedBefore = await ssm.configs.get('added');

      // Act: the next deployment changes a configuration and adds a trigger; a minute has passed.
      ssm.store('labels', JSON.stringify({ ...deployedConfig('labels'), batchSize: 7 }));
      ssm.store('added', JSON.stringify(deployedConfig('added')));
      ssm.advance(60_000);
      ssm.deploy({ version: 'deployment-2' });
      const changed = await ssm.configs.get('labels');
      const added = await ssm.configs.get('added');

      // Assess
      expect(addedBefore).toEqual({ ok: false, error: { field: 'triggerId', problem: expect.stringContaining('added') } });
      expect(changed).toMatchObject({ ok: true, value: { batchSize: 7 } });
      expect(added).toEqual({ ok: true, value: deployedConfig('added') });
      expect(ssm.loads()).toBe(2);
      expect(ssm.reads).toHaveLength(2);
    });

    test('a configuration written without a new version is not seen until the TTL passed', async () => {
      // Prepare
      const ssm = fixture();
      ssm.store('labels', JSON.stringify(deployedConfig('labels')));
      await ssm.configs.get('labels');

      // Act
      ssm.store('later', JSON.stringify(deployedConfig('later')));
      ssm.advance(CONFIG_TTL_MS - 1);
      const beforeExpiry = await ssm.configs.get('later');
      ssm.advance(1);
      const afterExpiry = await ssm.configs.get('later');

      // Assess
      expect(beforeExpiry).toEqual({ ok: false, error: { field: 'triggerId', problem: expect.stringContaining('later') } });
      expect(afterExpiry).toEqual({ ok: true, value: deployedConfig('later') });
      expect(ssm.reads).toHaveLength(2);
    });
  });

  describe('ids that name no trigger', () => {
    test('1,000 distinct unknown ids are rejected naming triggerId and cost no call', async () => {
      // Prepare: the deployment's configurations are loaded.
      const ssm = fixture();
      ssm.store('labels', JSON.stringify(deployedConfig('labels')));
      await ssm.configs.get('labels');
      const readsBefore = ssm.reads.length;

      // Act
      const ids = Array.from({ length: 1000 }, (_, i) => `forged-${i}`);
      const results = await Promise.all(ids.map((id) => ssm.configs.get(id)));

      // Assess
      expect(results).toEqual(ids.map((id) => ({ ok: false, error: { field: 'triggerId', problem: expect.stringContaining(`'${id}'`) } })));
      expect(ssm.reads.length - readsBefore).toBe(0);
    });

    test('an unknown id on a cold start costs the one load every later id is answered from', async () => {
      const ssm = fixture();
      ssm.store('labels', JSON.stringify(deployedConfig('labels')));

      const unknown = await ssm.configs.get('unknown');
      const known = await ssm.configs.get('labels');

      expect(unknown).toEqual({ ok: false, error: { field: 'triggerId', problem: expect.stringContaining('unknown') } });
      expect(known).toEqual({ ok: true, value: deployedConfig('labels') });
      expect(ssm.reads).toHaveLength(1);
    });

    test.each<[string, unknown]>([
      ['a path', 'a/../b'],
      ['a nested name', 'team/labels'],
      ['65 characters', 'x'.repeat(65)],
      ['an empty string', ''],
      ['a number', 42],
      ['no id at all', undefined],
    ])('an id that is %s is rejected naming triggerId before any load', async (_what, triggerId) => {
      const ssm = fixture();
      ssm.store('labels', JSON.stringify(deployedConfig('labels')));

      const result = await ssm.configs.get(triggerId);

      expect(result).toEqual({ ok: false, error: { field: 'triggerId', problem: expect.any(String) } });
      expect(ssm.reads).toEqual([]);
    });

    test('an id of 64 characters is found', async () => {
      const ssm = fixture();
      const longest = 'x'.repeat(64);
      ssm.store(longest, JSON.stringify(deployedConfig(longest)));

      const result = await ssm.configs.get(longest);

      expect(result).toMatchObject({ ok: true, value: { triggerId: longest } });
    });
  });

  describe('what a load reads', () => {
    test('25 configurations are read across 3 pages in one load, and every one is found', async () => {
      // Prepare
      const ssm = fixture();
      const ids = Array.from({ length: 25 }, (_, i) => `trigger-${String(i).padStart(2, '0')}`);
      for (const id of ids) ssm.store(id, JSON.stringify(deployedConfig(id)));

      // Act
      const results = [];
      for (const id of ids) results.push(await ssm.configs.get(id));

      // Assess: the pages are asked for in turn, each with the token of the one before.
      expect(results).toEqual(ids.map((id) => ({ ok: true, value: deployedConfig(id) })));
      expect(ssm.reads.map((read) => read.nextToken)).toEqual([undefined, '10', '20']);
      expect(ssm.loads()).toBe(1);
    });

    test('a parameter nested deeper than the path, or under a sibling path, is not a trigger', async () => {
      // Prepare: valid configurations, but not directly under the path.
      const ssm = fixture();
      ssm.store('labels', JSON.stringify(deployedConfig('labels')));
      ssm.storeAt(`${PATH}team/nested`, JSON.stringify(deployedConfig('nested')));
      ssm.storeAt(`${PATH.slice(0, -1)}-other/sibling`, JSON.stringify(deployedConfig('sibling')));
      ssm.storeAt('/elsewhere/outside', JSON.stringify(deployedConfig('outside')));

      // Act
      const results = await Promise.all(['nested', 'sibling', 'outside', 'labels'].map((id) => ssm.configs.get(id)));

      // Assess
      expect(results.slice(0, 3)).toEqual(['nested', 'sibling', 'outside'].map((id) => ({ ok: false, error: { field: 'triggerId', problem: expect.stringContaining(id) } })));
      expect(results[3]).toEqual({ ok: true, value: deployedConfig('labels') });
    });

    test("a configuration of another trigger stored under an id is rejected naming trigger.triggerId", async () => {
      // Prepare: the parameter of 'victim' holds the configuration of 'attacker'.
      const ssm = fixture();
      ssm.store('victim', JSON.stringify(deployedConfig('attacker')));

      // Act
      const victim = await ssm.configs.get('victim');
      const attacker = await ssm.configs.get('attacker');

      // Assess
      expect(victim).toEqual({ ok: false, error: { field: 'trigger.triggerId', problem: expect.stringContaining('attacker') } });
      expect(attacker).toEqual({ ok: false, error: { field: 'triggerId', problem: expect.stringContaining('attacker') } });
    });

    test('a parameter that is not a JSON object of configurations is named for an id not found; the other parameters\' configurations are found', async () => {
      const ssm = fixture();
      ssm.storeAt(`${PATH}configs-1`, '{"broken": {"triggerId": "broken",');
      ssm.storeAt(`${PATH}configs-2`, '["not", "an", "object"]');
      ssm.store('labels', JSON.stringify(deployedConfig('labels')));

      const broken = await ssm.configs.get('broken');
      const labels = await ssm.configs.get('labels');

      expect(broken).toEqual({ ok: false, error: { field: 'trigger', problem: expect.stringContaining(`${PATH}configs-1, ${PATH}configs-2 is not a JSON object of configurations`) } });
      expect(labels).toEqual({ ok: true, value: deployedConfig('labels') });
    });

    test('one parameter holds several configurations, and an id configured in two parameters is rejected', async () => {
      const ssm = fixture();
      ssm.storeAt(`${PATH}configs-1`, JSON.stringify({ labels: deployedConfig('labels'), clicks: deployedConfig('clicks') }));
      ssm.storeAt(`${PATH}configs-2`, JSON.stringify({ clicks: deployedConfig('clicks') }));

      const [labels, clicks] = await Promise.all([ssm.configs.get('labels'), ssm.configs.get('clicks')]);

      expect(labels).toEqual({ ok: true, value: deployedConfig('labels') });
      expect(clicks).toEqual({ ok: false, error: { field: 'trigger.triggerId', problem: "'clicks' is configured twice under the path" } });
      expect(ssm.loads()).toBe(1);
    });

    test('a stored configuration that does not parse is rejected naming its field', async () => {
      const ssm = fixture();
      ssm.store('no-source', JSON.stringify({ ...deployedConfig('no-source'), source: { prefix: 'labels/' } }));

      const result = await ssm.configs.get('no-source');

      expect(result).toEqual({ ok: false, error: { field: 'trigger.source.bucket', problem: expect.any(String) } });
    });
  });

  describe('concurrent calls', () => {
    test('20 concurrent first calls share one load of three pages', async () => {
      // Prepare
      const ssm = fixture();
      const ids = Array.from({ length: 25 }, (_, i) => `trigger-${String(i).padStart(2, '0')}`);
      for (const id of ids) ssm.store(id, JSON.stringify(deployedConfig(id)));

      // Act
      const results = await Promise.all(ids.slice(0, 20).map((id) => ssm.configs.get(id)));

      // Assess
      expect(results).toEqual(ids.slice(0, 20).map((id) => ({ ok: true, value: deployedConfig(id) })));
      expect(ssm.loads()).toBe(1);
      expect(ssm.reads).toHaveLength(3);
    });

    test('concurrent calls at the end of the TTL share one reload', async () => {
      const ssm = fixture();
      ssm.store('labels', JSON.stringify(deployedConfig('labels')));
      await ssm.configs.get('labels');
      ssm.advance(CONFIG_TTL_MS);

      const results = await Promise.all(Array.from({ length: 20 }, () => ssm.configs.get('labels')));

      expect(results).toEqual(Array(20).fill({ ok: true, value: deployedConfig('labels') }));
      expect(ssm.loads()).toBe(2);
    });
  });

  describe("Parameter Store's own failures", () => {
    test('a failing first load throws and is not cached: the next call loads again', async () => {
      // Prepare
      const ssm = fixture();
      ssm.store('labels', JSON.stringify(deployedConfig('labels')));
      ssm.failNext(throttling());

      // Act
      const failed = ssm.configs.get('labels');
      await expect(failed).rejects.toThrow('Rate exceeded');
      const retried = await ssm.configs.get('labels');

      // Assess
      expect(retried).toEqual({ ok: true, value: deployedConfig('labels') });
      expect(ssm.loads()).toBe(2);
    });

    test('a first load failing on its second page throws for every waiting call; nothing of its first page is served', async () => {
      // Prepare: 15 configurations, two pages; the second page is throttled.
      const ssm = fixture();
      const ids = Array.from({ length: 15 }, (_, i) => `trigger-${String(i).padStart(2, '0')}`);
      for (const id of ids) ssm.store(id, JSON.stringify(deployedConfig(id)));
      ssm.serveNext();
      ssm.failNext(throttling());

      // Act: concurrent calls, of an id on the first page and one on the second.
      const settled = await Promise.allSettled([ssm.configs.get('trigger-00'), ssm.configs.get('trigger-14')]);
      const retried = await ssm.configs.get('trigger-00');

      // Assess
      expect(settled).toEqual([
        { status: 'rejected', reason: expect.objectContaining({ name: 'ThrottlingException' }) },
        { status: 'rejected', reason: expect.objectContaining({ name: 'ThrottlingException' }) },
      ]);
      expect(retried).toEqual({ ok: true, value: deployedConfig('trigger-00') });
      expect(ssm.reads.map((read) => read.nextToken)).toEqual([undefined, '10', undefined, '10']);
    });

    test('a failing reload after the TTL serves the previous configurations of the same version for 30 s, then reloads', async () => {
      // Prepare
      const ssm = fixture();
      ssm.store('labels', JSON.stringify(deployedConfig('labels')));
      await ssm.configs.get('labels');
      ssm.store('labels', JSON.stringify({ ...deployedConfig('labels'), batchSize: 5 }));
      ssm.advance(CONFIG_TTL_MS);
      ssm.failNext(throttling());

      // Act
      const duringFailure = await ssm.configs.get('labels');
      const withinBackoff = await ssm.configs.get('labels');
      const loadsWithinBackoff = ssm.loads();
      ssm.advance(RELOAD_RETRY_MS);
      const afterBackoff = await ssm.configs.get('labels');
      const cached = await ssm.configs.get('labels');

      // Assess: the failed reload kept the old map, without another try for 30 s; then a read kept the new one.
      expect(duringFailure).toEqual({ ok: true, value: deployedConfig('labels') });
      expect(withinBackoff).toEqual(duringFailure);
      expect(loadsWithinBackoff).toBe(2);
      expect(afterBackoff).toMatchObject({ ok: true, value: { batchSize: 5 } });
      expect(cached).toEqual(afterBackoff);
      expect(ssm.loads()).toBe(3);
    });

    test('a failing reload after a version change throws: the previous deployment is not served', async () => {
      // Prepare
      const ssm = fixture();
      ssm.store('labels', JSON.stringify(deployedConfig('labels')));
      await ssm.configs.get('labels');
      ssm.deploy({ version: 'deployment-2' });
      ssm.failNext(throttling());

      // Act
      const failed = ssm.configs.get('labels');
      await expect(failed).rejects.toThrow('Rate exceeded');
      const retried = await ssm.configs.get('labels');

      // Assess
      expect(retried).toEqual({ ok: true, value: deployedConfig('labels') });
      expect(ssm.loads()).toBe(3);
    });
  });

  describe('the source', () => {
    test.each<[string, NodeJS.ProcessEnv]>([
      ['missing', { TRIGGER_CONFIG_VERSION: 'deployment-1' }],
      ['not a parameter path', { TRIGGER_CONFIG_PATH: 'cdk-ml-triggers/stack/', TRIGGER_CONFIG_VERSION: 'deployment-1' }],
      ['without its trailing slash', { TRIGGER_CONFIG_PATH: '/cdk-ml-triggers/stack', TRIGGER_CONFIG_VERSION: 'deployment-1' }],
    ])('a TRIGGER_CONFIG_PATH that is %s throws, without a call', async (_what, env) => {
      const ssm = fixture();
      ssm.deploy(configSourceFromEnv(env));

      await expect(ssm.configs.get('labels')).rejects.toThrow('TRIGGER_CONFIG_PATH');
      expect(ssm.reads).toEqual([]);
    });

    test('the source is read from TRIGGER_CONFIG_PATH and TRIGGER_CONFIG_VERSION', () => {
      expect(configSourceFromEnv({ TRIGGER_CONFIG_PATH: PATH, TRIGGER_CONFIG_VERSION: 'abc' })).toEqual({ path: PATH, version: 'abc' });
      expect(configSourceFromEnv({})).toEqual({ path: '', version: '' });
    });
  });
});
