import { CONFIG_TTL_MS, RELOAD_RETRY_MS, configSourceFromEnv } from '../../lambda/aws/adapters/trigger-configs';
import { deployedConfig, fixture, PATH, throttling, withLabels } from '../support/handler-trigger-configs';

describe("TriggerConfigs: each trigger's deployed configuration, read from Parameter Store", () => {
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
      const ssm = await withLabels({ loaded: true });
      ssm.advance(CONFIG_TTL_MS);

      const results = await Promise.all(Array.from({ length: 20 }, () => ssm.configs.get('labels')));

      expect(results).toEqual(Array(20).fill({ ok: true, value: deployedConfig('labels') }));
      expect(ssm.loads()).toBe(2);
    });
  });

  describe("Parameter Store's own failures", () => {
    test('a failing first load throws and is not cached: the next call loads again', async () => {
      // Prepare
      const ssm = await withLabels({ loaded: false });

      // Act
      const retried = await ssm.getAfterThrottledLoad('labels');

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
      const ssm = await withLabels({ loaded: true });
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
      const ssm = await withLabels({ loaded: true });
      ssm.deploy({ version: 'deployment-2' });

      // Act
      const retried = await ssm.getAfterThrottledLoad('labels');

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
