import { batchJobId } from '../../lambda/core/batch-lease';
import { manifestBody, type ManifestEntry } from '../../lambda/core/batching';
import { RedeliveryRequested, settle } from '../../lambda/azure/adapters/functions-host';
import { AZURITE_TIMEOUT } from './azurite';
import { blobCreated, clock, CONTAINER, deliverAll, entry, inputValues, MANIFEST_CONTAINER, T0, useBatcher } from './batcher-harness';
import { decisions } from './function-harness';

const ANSWER = expect.objectContaining;

describe('Azure batcher (Blob Created -> Event Grid -> Function) against Azurite Table and Blob Storage and a fake Azure ML', () => {
  const suite = useBatcher();

  test('submits one pipeline job when the third blob fills a batch of three, its manifest listing the three blobs', async () => {
    // Prepare
    const names = ['incoming/a.csv', 'incoming/b.csv', 'incoming/c.csv'];

    // Act
    const outcomes = [];
    for (const name of names) outcomes.push(await suite.deliver(blobCreated(name)));

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['added', 'added', 'added']);
    const epoch = await suite.epoch();
    const jobName = batchJobId('churn-arrivals', epoch, 1);
    expect(suite.fake.jobs.map((j) => j.name)).toEqual([jobName]);
    const manifests = await suite.manifests();
    expect(manifests).toEqual([{ name: `manifests/churn-arrivals/${epoch}-1.ml-triggers-manifest.jsonl`, body: manifestBody(names.map((n) => entry(n))) }]);
    expect(inputValues(suite.fake.jobs[0])).toEqual({
      Epochs: '20', ManifestUri: `${suite.blobEndpoint}/${MANIFEST_CONTAINER}/${manifests[0].name}`, ObjectCount: '3',
    });
    expect((suite.fake.jobs[0].body.properties as { tags: unknown }).tags).toEqual({ 'ml-trigger-id': 'churn-arrivals', 'ml-trigger-type': 'data-arrival' });
    expect(suite.fake.jobs[0].correlationId).toBe('evt-incoming/c.csv-0x8DC1A2B3C4D5E6F');
    expect(outcomes[2].starts).toEqual([ANSWER({ status: 'started', generation: 1, jobName, objectCount: 3, alreadyExisted: false })]);
    expect(await suite.batchStatus(1)).toBe('STARTED');
    // Every decision names the trigger and the event it is correlated by.
    const lines = decisions(suite.logs.lines);
    expect(lines.map((l) => l.decision)).toEqual(['added', 'added', 'added', 'started']);
    for (const line of lines) expect(line).toMatchObject({ triggerId: 'churn-arrivals', correlationId: expect.stringMatching(/^evt-/), reason: expect.any(String) });
  }, AZURITE_TIMEOUT);

  test('the same event delivered twice, and the same blob version through a second event, count once; a re-upload (new eTag) counts again', async () => {
    // Prepare
    const first = blobCreated('incoming/a.csv', { id: 'evt-1' });

    // Act
    const added = await suite.deliver(first);
    const redelivered = await suite.deliver(first);
    const sameBlobOtherEvent = await suite.deliver(blobCreated('incoming/a.csv', { id: 'evt-2', api: 'PutBlockList' }));
    const reUploaded = await suite.deliver(blobCreated('incoming/a.csv', { id: 'evt-3', eTag: '0x8DC1A2B3C4D5E70' }));
    expect(suite.fake.jobs).toHaveLength(0);
    await suite.deliver(blobCreated('incoming/b.csv', { id: 'evt-4' }));

    // Assess
    expect([added, redelivered, sameBlobOtherEvent, reUploaded].map((o) => o.status)).toEqual(['added', 'duplicate', 'duplicate', 'added']);
    expect(redelivered).toMatchObject({ generation: 1, starts: [] });
    expect(suite.fake.jobs).toHaveLength(1);
    expect((await suite.manifests())[0].body).toBe(manifestBody([entry('incoming/a.csv'), entry('incoming/a.csv', '0x8DC1A2B3C4D5E70'), entry('incoming/b.csv')]));
  }, AZURITE_TIMEOUT);

  test('20 concurrent deliveries of distinct blobs in batches of 5 submit exactly 4 jobs, every blob in exactly one manifest', async () => {
    // Prepare
    suite.configure({ batchSize: 5 });
    suite.fake.delayPuts(50);
    const names = Array.from({ length: 20 }, (_, i) => `incoming/part-${String(i).padStart(3, '0')}.csv`);

    // Act
    const outcomes = await deliverAll(suite, names.map((name) => blobCreated(name)), 20);

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(Array(20).fill('added'));
    expect(suite.fake.putAttempts).toHaveLength(4);
    expect(new Set(suite.fake.jobs.map((j) => j.name)).size).toBe(4);
    expect(suite.fake.jobs.map((j) => inputValues(j).ObjectCount)).toEqual(Array(4).fill('5'));
    const manifests = await suite.manifests();
    expect(manifests).toHaveLength(4);
    const listed = manifests.flatMap((m) => m.body.trim().split('\n').map((line) => (JSON.parse(line) as ManifestEntry).key));
    expect(listed.sort()).toEqual(names);
    expect(await Promise.all([1, 2, 3, 4].map(suite.batchStatus))).toEqual(Array(4).fill('STARTED'));
    expect(await suite.row('state')).toMatchObject({ fields: { generation: 5, count: 0 } });
  }, AZURITE_TIMEOUT);

  test('a flush closes a batch whose window ran out, and only then; concurrent flushes submit its job once', async () => {
    // Prepare
    suite.configure({ batchSize: 10 });
    await suite.deliver(blobCreated('incoming/a.csv'));
    clock.now = T0 + 30_000;
    await suite.deliver(blobCreated('incoming/b.csv'));
    suite.fake.delayPuts(100);

    // Act
    clock.now = T0 + 299_000;
    const early = await suite.flush();
    clock.now = T0 + 300_000;
    const due = await Promise.all(Array.from({ length: 6 }, () => suite.flush()));
    const again = await suite.flush();
    const next = await suite.deliver(blobCreated('incoming/c.csv'));

    // Assess
    expect(early).toEqual({ status: 'flushed', sealed: null, starts: [] });
    expect(due.filter((o) => o.sealed === 1)).toHaveLength(1);
    expect(due.flatMap((o) => o.starts as unknown[])).toEqual([ANSWER({ status: 'started', generation: 1, objectCount: 2 })]);
    expect(again).toEqual({ status: 'flushed', sealed: null, starts: [] });
    expect(suite.fake.putAttempts).toHaveLength(1);
    expect(inputValues(suite.fake.jobs[0]).ObjectCount).toBe('2');
    expect(next).toMatchObject({ status: 'added', generation: 2 });
    const sealedLine = decisions(suite.logs.lines).find((l) => l.decision === 'sealed');
    expect(sealedLine).toMatchObject({ triggerId: 'churn-arrivals', correlationId: expect.stringMatching(/^flush-/), sealed: 1 });
  }, AZURITE_TIMEOUT);

  test('a blob arriving after the open batch\'s window ran out closes that batch with it, without waiting for the flush', async () => {
    // Prepare
    suite.configure({ batchSize: 10 });
    await suite.deliver(blobCreated('incoming/a.csv'));

    // Act
    clock.now = T0 + 300_000;
    const late = await suite.deliver(blobCreated('incoming/b.csv'));

    // Assess
    expect(late).toMatchObject({ status: 'added', generation: 1, starts: [ANSWER({ status: 'started', objectCount: 2 })] });
    expect(suite.fake.jobs).toHaveLength(1);
    expect(await suite.row('state')).toMatchObject({ fields: { generation: 2, count: 0 } });
  }, AZURITE_TIMEOUT);

  test('ignores other event types, other operations, blobs outside the prefix or suffix, and manifests of the library', async () => {
    // Prepare
    const deleted = { ...blobCreated('incoming/a.csv'), eventType: 'Microsoft.Storage.BlobDeleted' };

    // Act
    const outcomes = await Promise.all([
      suite.deliver(deleted),
      suite.deliver(blobCreated('incoming/a.csv', { api: 'PutBlock' })),
      suite.deliver(blobCreated('elsewhere/a.csv')),
      suite.deliver(blobCreated('incoming/other-trigger/e-1.ml-triggers-manifest.jsonl')),
    ]);
    suite.configure({ suffix: '.csv' });
    outcomes.push(await suite.deliver(blobCreated('incoming/a.parquet')));

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(Array(5).fill('ignored'));
    expect(outcomes[3].reason).toMatch(/manifest of a cdk-ml-triggers trigger/);
    expect(await suite.snapshot()).toEqual({});
    expect(decisions(suite.logs.lines).map((l) => l.decision)).toEqual(Array(5).fill('ignored'));
  }, AZURITE_TIMEOUT);

  test('with the construct\'s defaults (no prefix, manifests in the data container) one blob starts one job, and no manifest is ever counted', async () => {
    // Prepare
    suite.configure({ prefix: '', manifestContainer: CONTAINER, manifestPrefix: 'ml-triggers/manifests/', batchSize: 1 });
    await suite.deliver(blobCreated('data/one.csv'));
    const [own] = await suite.manifests(CONTAINER);
    const othersManifest = own.name.replace(/^ml-triggers\/manifests\/churn-arrivals\/[^-]+/, 'elsewhere/other-trigger/epoch7');

    // Act: the manifest's own Blob Created event arrives, and one of another trigger with its own manifestPrefix.
    const outcomes = [await suite.deliver(blobCreated(own.name, { api: 'PutBlob' })), await suite.deliver(blobCreated(othersManifest))];
    clock.now += 3_600_000;
    await suite.flush();

    // Assess
    expect(own.name).toMatch(/^ml-triggers\/manifests\/churn-arrivals\/[0-9a-f]+-1\.ml-triggers-manifest\.jsonl$/);
    expect(othersManifest).toMatch(/^elsewhere\/other-trigger\/epoch7-1\.ml-triggers-manifest\.jsonl$/);
    expect(outcomes.map((o) => o.status)).toEqual(['ignored', 'ignored']);
    expect(suite.fake.jobs).toHaveLength(1);
  }, AZURITE_TIMEOUT);

  const withData = (data: Record<string, unknown>) => {
    const event = blobCreated('incoming/z.csv');
    return { ...event, data: { ...(event.data as Record<string, unknown>), ...data } };
  };
  test.each<[string, unknown, string]>([
    ['another storage account', { ...blobCreated('incoming/z.csv'), topic: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/someoneelse' }, 'event.topic'],
    ['another container', { ...blobCreated('incoming/z.csv'), subject: '/blobServices/default/containers/other/blobs/incoming/z.csv' }, 'event.subject'],
    ['data that is not an object', { ...blobCreated('incoming/z.csv'), data: 'not json' }, 'event.data'],
    ['no eTag', withData({ eTag: undefined }), 'event.data.eTag'],
    ['no contentLength', withData({ contentLength: '12' }), 'event.data.contentLength'],
    ['a url of another blob', withData({ url: 'https://devstoreaccount1.blob.core.windows.net/landing/incoming/y.csv' }), 'event.data.url'],
    ['a name over 1,024 characters', blobCreated(`incoming/${'n'.repeat(1020)}`), 'event.subject'],
    ['no id', { ...blobCreated('incoming/z.csv'), id: undefined }, 'event.id'],
    ['not an event', 'hello', 'event'],
  ])('rejects an event with %s, naming the field, and changes nothing already accepted', async (_case, event, field) => {
    // Prepare
    await suite.deliver(blobCreated('incoming/a.csv'));
    const before = await suite.snapshot();

    // Act
    const outcome = await suite.deliver(event);
    await suite.deliver(blobCreated('incoming/b.csv'));

    // Assess
    expect(outcome).toMatchObject({ status: 'rejected', error: { field } });
    expect(() => settle(outcome)).not.toThrow();
    expect(Object.keys(before).filter((key) => key.startsWith('blob-'))).toHaveLength(1);
    expect(Object.keys(await suite.snapshot()).filter((key) => key.startsWith('blob-'))).toHaveLength(2);
    expect(await suite.row('state')).toMatchObject({ fields: { generation: 1, count: 2 } });
    expect(decisions(suite.logs.lines).find((l) => l.decision === 'rejected')).toMatchObject({ triggerId: 'churn-arrivals', field });
  }, AZURITE_TIMEOUT);

  test('settings that do not parse are misconfigured: settle throws RedeliveryRequested naming the field, and nothing is recorded', async () => {
    // Prepare
    suite.configure({ batchSize: 0 });

    // Act
    const outcome = await suite.deliver(blobCreated('incoming/a.csv'));
    const flushed = await suite.flush();

    // Assess
    expect(outcome).toMatchObject({ status: 'misconfigured', error: { field: 'TRIGGER_SETTINGS.batchSize' } });
    expect(flushed.status).toBe('misconfigured');
    expect(() => settle(outcome)).toThrow(RedeliveryRequested);
    expect(await suite.snapshot()).toEqual({});
  }, AZURITE_TIMEOUT);

  test('Azurite enforces the conditions the store relies on: a stale ETag replace fails with 412, a second create with 409', async () => {
    // Prepare
    const table = suite.table();
    const created = await table.createEntity({ partitionKey: 'p', rowKey: 'state', count: 1 });
    await table.updateEntity({ partitionKey: 'p', rowKey: 'state', count: 2 }, 'Replace', { etag: created.etag });

    // Act
    const stale = table.updateEntity({ partitionKey: 'p', rowKey: 'state', count: 3 }, 'Replace', { etag: created.etag });
    const again = table.createEntity({ partitionKey: 'p', rowKey: 'state', count: 4 });
    const staleInTransaction = table.submitTransaction([['create', { partitionKey: 'p', rowKey: 'x', n: 1 }], ['update', { partitionKey: 'p', rowKey: 'state', count: 5 }, 'Replace', { etag: created.etag }]]);

    // Assess
    await expect(stale).rejects.toMatchObject({ statusCode: 412 });
    await expect(again).rejects.toMatchObject({ statusCode: 409 });
    await expect(staleInTransaction).rejects.toMatchObject({ statusCode: 412 });
    await expect(table.getEntity('p', 'x')).rejects.toMatchObject({ statusCode: 404 });
    expect((await table.getEntity<{ count: number }>('p', 'state')).count).toBe(2);
  }, AZURITE_TIMEOUT);
});
