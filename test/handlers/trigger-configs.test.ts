import { CONFIG_TTL_MS } from '../../lambda/aws/adapters/trigger-configs';
import { deployedConfig, fixture, PATH, withLabels } from '../support/handler-trigger-configs';

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
      const ssm = await withLabels({ loaded: false });

      await ssm.configs.get('labels');

      expect(ssm.reads).toEqual([{ path: PATH.slice(0, -1), recursive: false, maxResults: 10, nextToken: undefined }]);
    });

    test('a new deployment version reloads before the TTL: changed and added configurations are found', async () => {
      // Prepare
      const ssm = await withLabels({ loaded: true });
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
      const ssm = await withLabels({ loaded: true });

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
      const ssm = await withLabels({ loaded: true });
      const readsBefore = ssm.reads.length;

      // Act
      const ids = Array.from({ length: 1000 }, (_, i) => `forged-${i}`);
      const results = await Promise.all(ids.map((id) => ssm.configs.get(id)));

      // Assess
      expect(results).toEqual(ids.map((id) => ({ ok: false, error: { field: 'triggerId', problem: expect.stringContaining(`'${id}'`) } })));
      expect(ssm.reads.length - readsBefore).toBe(0);
    });

    test('an unknown id on a cold start costs the one load every later id is answered from', async () => {
      const ssm = await withLabels({ loaded: false });

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
      const ssm = await withLabels({ loaded: false });

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
      const ssm = await withLabels({ loaded: false });
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
});
