import { quietStdoutPerTest, running, SERVICES_TIMEOUT } from '../support/handler-harness';
import { BUS_SOURCE, busEvent, EventTriggerWorld, HOUR, trigger } from '../support/handler-event-triggers';

jest.setTimeout(SERVICES_TIMEOUT);

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const KEYED_PATTERN = (events: string[]) => ({ source: [BUS_SOURCE], 'detail-type': events, detail: { data: { model_id: [{ exists: true }] } } });

describe('event trigger function: any-of, N of M, sequences and per-key joins, against DynamoDB (dynalite) and SageMaker', () => {
  const world = running(new EventTriggerWorld());
  quietStdoutPerTest();

  describe('any of several names', () => {
    const anyOf = (triggerId: string) => trigger(triggerId, { mode: 'event', events: ['model.added', 'model.updated'], parameters: { ModelId: '{{ event.model_id }}' } });

    test('each event of any listed name starts a run once, reading it as event', async () => {
      // Prepare
      const added = busEvent('model.added', { event_id: 'ma', data: { model_id: 'm-1' } });
      const updated = busEvent('model.updated', { event_id: 'mu', data: { model_id: 'm-2' } });

      // Act
      const outcomes = [];
      for (const event of [added, updated, updated]) outcomes.push(await world.handler({ trigger: anyOf('any-of'), event }));

      // Assess
      expect(outcomes.map((o) => o.status)).toEqual(['started', 'started', 'started']);
      expect(world.runsOf('any-of').map((e) => e.parameters)).toEqual([{ ModelId: 'm-1' }, { ModelId: 'm-2' }]);
    });
  });

  describe('N of M', () => {
    const twoOfThree = (triggerId: string) =>
      trigger(triggerId, {
        mode: 'join',
        events: ['labels_ready', 'features_ready', 'data_updated'],
        minimum: 2,
        windowSeconds: 6 * 3600,
        parameters: { Labels: "{{ events.labels_ready.uri | default: 'none' }}", FeatureVersion: "{{ events.features_ready.version | default: 'latest' }}" },
      });

    test('starts once two of the three occurred, with defaults for the absent one; a redelivery starts nothing', async () => {
      // Prepare
      const now = Date.now();
      const features = busEvent('features_ready', { event_id: 'nf', data: { version: '9' } }, iso(now - HOUR));
      const data = busEvent('data_updated', { event_id: 'nd', data: { dataset: 's3://d' } }, iso(now));

      // Act
      const first = await world.handler({ trigger: twoOfThree('n-of-m'), event: features });
      const second = await world.handler({ trigger: twoOfThree('n-of-m'), event: data });
      const redelivered = await world.handler({ trigger: twoOfThree('n-of-m'), event: features });

      // Assess
      expect(first).toMatchObject({ status: 'waiting', waitingFor: ['labels_ready', 'data_updated'] });
      expect(second).toMatchObject({ status: 'started' });
      expect(redelivered).toMatchObject({ status: 'unchanged' });
      expect(world.runsOf('n-of-m').map((e) => e.parameters)).toEqual([{ Labels: 'none', FeatureVersion: '9' }]);
    });

    test('a deployed template that reads a possibly absent event without a default is refused, naming the parameter', async () => {
      // Prepare
      const bad = { ...twoOfThree('n-of-m-bad'), parameters: { Labels: '{{ events.labels_ready.uri }}' } };

      // Act
      const outcome = await world.handler({ trigger: bad, event: busEvent('labels_ready', { event_id: 'nl', data: { uri: 's3://l' } }) });

      // Assess
      expect(outcome).toMatchObject({ status: 'rejected', error: { field: 'trigger.parameters.Labels', problem: expect.stringContaining('| default:') } });
      expect(world.runsOf('n-of-m-bad')).toEqual([]);
    });
  });

  describe('sequences', () => {
    const sequence = (triggerId: string) =>
      trigger(triggerId, {
        mode: 'sequence',
        events: ['data_updated', 'features_ready'],
        windowSeconds: 24 * 3600,
        parameters: { Dataset: '{{ events.data_updated.dataset }}', FeatureVersion: '{{ events.features_ready.version }}' },
      });

    test('features_ready before data_updated starts nothing; the features_ready after it starts the run', async () => {
      // Prepare
      const now = Date.now();
      const early = busEvent('features_ready', { event_id: 'sf1', data: { version: '1' } }, iso(now - 2 * HOUR));
      const data = busEvent('data_updated', { event_id: 'sd1', data: { dataset: 's3://d/1' } }, iso(now - HOUR));
      const after = busEvent('features_ready', { event_id: 'sf2', data: { version: '2' } }, iso(now));

      // Act
      const outcomes = [];
      for (const event of [early, data, after, after]) outcomes.push(await world.handler({ trigger: sequence('seq-order'), event }));

      // Assess
      expect(outcomes.map((o) => o.status)).toEqual(['waiting', 'waiting', 'started', 'unchanged']);
      expect(outcomes[1]).toMatchObject({ waitingFor: ['features_ready'] });
      expect(world.runsOf('seq-order').map((e) => e.parameters)).toEqual([{ Dataset: 's3://d/1', FeatureVersion: '2' }]);
    });

    test('steps delivered out of order start the run by their event times', async () => {
      // Prepare
      const now = Date.now();
      const data = busEvent('data_updated', { event_id: 'od', data: { dataset: 's3://o' } }, iso(now - 10 * MINUTE));
      const features = busEvent('features_ready', { event_id: 'of', data: { version: '5' } }, iso(now - 5 * MINUTE));

      // Act
      const late = await world.handler({ trigger: sequence('seq-late'), event: features });
      const completing = await world.handler({ trigger: sequence('seq-late'), event: data });

      // Assess
      expect([late.status, completing.status]).toEqual(['waiting', 'started']);
      expect(world.runsOf('seq-late').map((e) => e.parameters)).toEqual([{ Dataset: 's3://o', FeatureVersion: '5' }]);
    });
  });

  describe('per key', () => {
    const perModel = (triggerId: string, mode = 'join') =>
      trigger(triggerId, {
        mode,
        events: ['data_updated', 'features_ready'],
        forEach: 'model_id',
        windowSeconds: 24 * 3600,
        pattern: KEYED_PATTERN(['data_updated', 'features_ready']),
        parameters: { ModelId: '{{ event.model_id }}', Dataset: '{{ events.data_updated.dataset }}' },
      });
    const event = (name: string, id: string, modelId: unknown, extra: Record<string, unknown> = {}, atMs = Date.now()) =>
      busEvent(name, { event_id: id, data: { model_id: modelId, ...extra } }, iso(atMs));

    test('two keys interleaved join independently: each starts once with its own events, in its own document', async () => {
      // Prepare
      const deliveries = [
        event('data_updated', 'k1d', 'm-1', { dataset: 's3://m1' }),
        event('data_updated', 'k2d', 'm-2', { dataset: 's3://m2' }),
        event('features_ready', 'k2f', 'm-2'),
        event('features_ready', 'k2f', 'm-2'),
        event('features_ready', 'k1f', 'm-1'),
      ];

      // Act
      const outcomes = [];
      for (const delivery of deliveries) outcomes.push(await world.handler({ trigger: perModel('per-key'), event: delivery }));

      // Assess
      expect(outcomes.map((o) => o.status)).toEqual(['waiting', 'waiting', 'started', 'unchanged', 'started']);
      expect(world.runsOf('per-key').map((e) => e.parameters)).toEqual([
        { ModelId: 'm-2', Dataset: 's3://m2' },
        { ModelId: 'm-1', Dataset: 's3://m1' },
      ]);
      const documents = (await world.joinItems()).filter((item) => item.pk.S === 'J#per-key');
      expect(documents.map((item) => item.sk.S)).toEqual([expect.stringMatching(/^KEY#[0-9a-f]{64}$/), expect.stringMatching(/^KEY#[0-9a-f]{64}$/)]);
    });

    test('one key completing leaves the other key waiting with its occurrence', async () => {
      // Prepare
      await world.handler({ trigger: perModel('per-key-untouched'), event: event('data_updated', 'ud1', 'm-1', { dataset: 's3://1' }) });
      await world.handler({ trigger: perModel('per-key-untouched'), event: event('data_updated', 'ud2', 'm-2', { dataset: 's3://2' }) });

      // Act
      const one = await world.handler({ trigger: perModel('per-key-untouched'), event: event('features_ready', 'uf1', 'm-1') });
      const two = await world.handler({ trigger: perModel('per-key-untouched'), event: event('features_ready', 'uf2', 'm-2') });

      // Assess
      expect([one.status, two.status]).toEqual(['started', 'started']);
      expect(world.runsOf('per-key-untouched').map((e) => e.parameters.Dataset)).toEqual(['s3://1', 's3://2']);
    });

    test('the request id holds the key: two keys joining events of the same ids start two runs', async () => {
      // Prepare
      const deliveries = ['m-1', 'm-2'].flatMap((modelId) => [event('data_updated', 'same-d', modelId, { dataset: `s3://${modelId}` }), event('features_ready', 'same-f', modelId)]);

      // Act
      const outcomes = [];
      for (const delivery of deliveries) outcomes.push(await world.handler({ trigger: perModel('per-key-ids'), event: delivery }));

      // Assess
      const requestIds = outcomes.filter((o) => o.status === 'started').map((o) => (o as { requestId: string }).requestId);
      expect(new Set(requestIds).size).toBe(2);
      expect(world.runsOf('per-key-ids').map((e) => e.parameters.ModelId)).toEqual(['m-1', 'm-2']);
    });

    test("the string '7' and the number 7 are different keys", async () => {
      // Act
      await world.handler({ trigger: perModel('per-key-kinds'), event: event('data_updated', 'kd', '7', { dataset: 's3://s' }) });
      const other = await world.handler({ trigger: perModel('per-key-kinds'), event: event('features_ready', 'kf', 7) });

      // Assess
      expect(other).toMatchObject({ status: 'waiting', waitingFor: ['data_updated'] });
    });

    test.each<[string, unknown]>([
      ['too long', 'm'.repeat(257)],
      ['a boolean', true],
    ])('an event whose key is %s is rejected naming the field, and starts nothing', async (_what, modelId) => {
      // Prepare
      const triggerId = `per-key-bad-${typeof modelId}`;

      // Act
      const outcome = await world.handler({ trigger: perModel(triggerId), event: event('data_updated', 'bd', modelId, { dataset: 's3://b' }) });

      // Assess
      expect(outcome).toMatchObject({ status: 'rejected', error: { field: 'event.detail.data.model_id' } });
      expect((await world.joinItems()).filter((item) => item.pk.S === `J#${triggerId}`)).toEqual([]);
    });

    test('an event without the key, which the rule would have dropped, is rejected and starts nothing', async () => {
      // Act
      const outcome = await world.handler({ trigger: perModel('per-key-missing'), event: busEvent('data_updated', { event_id: 'nokey', data: { dataset: 's3://x' } }) });

      // Assess
      expect(outcome).toMatchObject({ status: 'rejected', error: { field: 'event' } });
    });

    test('a per-key sequence whose start fails keeps its key pending: the retry starts it once, the other key is untouched', async () => {
      // Prepare
      const now = Date.now();
      await world.handler({ trigger: perModel('per-key-retry', 'sequence'), event: event('data_updated', 'rd1', 'm-1', { dataset: 's3://r1' }, now - HOUR) });
      await world.handler({ trigger: perModel('per-key-retry', 'sequence'), event: event('data_updated', 'rd2', 'm-2', { dataset: 's3://r2' }, now - HOUR) });
      const completing = event('features_ready', 'rf1', 'm-1', {}, now);
      world.sagemaker.failNext(1, 'accessDenied');

      // Act
      await expect(world.handler({ trigger: perModel('per-key-retry', 'sequence'), event: completing })).rejects.toThrow();
      const retried = await world.handler({ trigger: perModel('per-key-retry', 'sequence'), event: completing });
      const redelivered = await world.handler({ trigger: perModel('per-key-retry', 'sequence'), event: completing });
      const other = await world.handler({ trigger: perModel('per-key-retry', 'sequence'), event: event('features_ready', 'rf2', 'm-2', {}, now) });

      // Assess
      expect([retried.status, redelivered.status, other.status]).toEqual(['started', 'unchanged', 'started']);
      expect(world.runsOf('per-key-retry').map((e) => e.parameters)).toEqual([
        { ModelId: 'm-1', Dataset: 's3://r1' },
        { ModelId: 'm-2', Dataset: 's3://r2' },
      ]);
    });

    test('a per-key sequence orders each key on its own', async () => {
      // Prepare
      const now = Date.now();
      const deliveries = [
        event('features_ready', 'q1f0', 'm-1', {}, now - 3 * HOUR),
        event('data_updated', 'q1d', 'm-1', { dataset: 's3://q1' }, now - 2 * HOUR),
        event('data_updated', 'q2d', 'm-2', { dataset: 's3://q2' }, now - 2 * HOUR),
        event('features_ready', 'q2f', 'm-2', {}, now - HOUR),
        event('features_ready', 'q1f', 'm-1', {}, now),
      ];

      // Act
      const outcomes = [];
      for (const delivery of deliveries) outcomes.push(await world.handler({ trigger: perModel('per-key-seq', 'sequence'), event: delivery }));

      // Assess
      expect(outcomes.map((o) => o.status)).toEqual(['waiting', 'waiting', 'waiting', 'started', 'started']);
      expect(world.runsOf('per-key-seq').map((e) => e.parameters)).toEqual([
        { ModelId: 'm-2', Dataset: 's3://q2' },
        { ModelId: 'm-1', Dataset: 's3://q1' },
      ]);
    });
  });
});
