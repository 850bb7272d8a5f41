import { AZURITE_TIMEOUT } from './azurite';
import { blobCreated, CONTAINER, inputValues, useBatcher } from './batcher-harness';

/**
 * Two data-arrival triggers on one storage account and container, as two BlobDataArrivalTriggers of one stack share
 * the account's system topic: Event Grid hands a blob to both when both subscriptions match, and each batcher keeps
 * its own partition, its own batches and its own jobs. A manifest one of them writes beside the data is data to
 * neither.
 */
describe('two batchers on one storage account (Azurite, the fake Azure ML)', () => {
  const suite = useBatcher();
  const A = { triggerId: 'churn-labels', prefix: 'incoming/', batchSize: 2, manifestContainer: CONTAINER, manifestPrefix: 'ml-triggers/manifests/' };
  const B = { triggerId: 'churn-everything', prefix: '', batchSize: 2, manifestContainer: CONTAINER, manifestPrefix: 'ml-triggers/manifests/' };

  test('a blob both subscriptions deliver counts once in each trigger, each starts its own job, and neither counts the other\'s manifest', async () => {
    // Prepare: two labelled files land; both subscriptions match them.
    const landed = [blobCreated('incoming/a.csv'), blobCreated('incoming/b.csv')];

    // Act: each trigger's batcher receives both events (and the first one twice, as Event Grid may redeliver).
    suite.configure(A);
    const first = [await suite.deliver(landed[0]), await suite.deliver(landed[0]), await suite.deliver(landed[1])];
    suite.configure(B);
    const second = [await suite.deliver(landed[0]), await suite.deliver(landed[1])];
    // The manifests both wrote land in the data container, and Event Grid delivers their Blob Created events too.
    const manifests = suite.fake.jobs.map((job) => new URL(inputValues(job).ManifestUri).pathname.split(`/${CONTAINER}/`)[1]);
    const manifestEvents = manifests.map((name) => blobCreated(name, { eTag: '0x8DC1A2B3C4D5E70' }));
    const seenByB = await Promise.all(manifestEvents.map((event) => suite.deliver(event)));
    suite.configure(A);
    const seenByA = await Promise.all(manifestEvents.map((event) => suite.deliver(event)));

    // Assess
    expect(first.map((outcome) => outcome.status)).toEqual(['added', 'duplicate', 'added']);
    expect(second.map((outcome) => outcome.status)).toEqual(['added', 'added']);
    expect(suite.fake.jobs).toHaveLength(2);
    expect(new Set(suite.fake.jobs.map((job) => job.name)).size).toBe(2);
    expect(suite.fake.jobs.map((job) => job.name)).toEqual([expect.stringMatching(/^churn-labels-b-/), expect.stringMatching(/^churn-everything-b-/)]);
    expect(suite.fake.jobs.map((job) => inputValues(job).ObjectCount)).toEqual(['2', '2']);
    expect(manifests).toEqual([expect.stringMatching(/^ml-triggers\/manifests\/churn-labels\//), expect.stringMatching(/^ml-triggers\/manifests\/churn-everything\//)]);
    expect([...seenByA, ...seenByB].map((outcome) => outcome.status)).toEqual(['ignored', 'ignored', 'ignored', 'ignored']);
    expect(suite.fake.jobs).toHaveLength(2);
  }, AZURITE_TIMEOUT);
});
