import { handler } from '../../lambda/gcp/scheduled';
import { pipelineJobId } from '../../lambda/core/pipeline-job';
import type { FakeGoogle } from '../gcp/fake-google';
import { fakeGoogleEnv } from '../gcp/function-call';
import { sizeRatio, hugeString, rows, silenceOutput } from './corpus-support';
import { answer, envelopeCases, expectRejected, MESSAGE_ID, push, TIMEOUT, withInfinity, type PushCase } from './gcp-corpus-support';

// The function is loaded from its TypeScript source, as test/gcp/ loads it: the bundle is the same code through esbuild.
const CONFIG = {
  triggerId: 'churn-nightly',
  project: 'ml-prod-481',
  region: 'europe-west4',
  templateUri: 'https://europe-west4-kfp.pkg.dev/ml-prod-481/pipelines/churn-training/v3',
  pipelineName: 'churn-training',
  parameters: { Epochs: '20' },
};
const firing = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({ triggerId: CONFIG.triggerId, scheduledTime: '2026-03-02T06:00:00Z', ...overrides });
const OUR_JOB = pipelineJobId(CONFIG.triggerId, 'scheduled', [MESSAGE_ID]);

const SCHEDULED_CORPUS: readonly PushCase[] = [
  ...envelopeCases(() => firing()),
  // The firing: wrong types, prototype keys, another trigger.
  { name: 'a firing that is an array', input: () => push([firing()]) },
  { name: 'a firing whose "__proto__" key holds the trigger id', input: () => push(`{"__proto__":${JSON.stringify(firing())}}`) },
  { name: 'a firing whose "constructor" key holds the trigger id', input: () => push({ constructor: firing() }) },
  { name: 'a firing 10,000 objects deep', input: () => push(`{"triggerId":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`) },
  { name: 'triggerId missing', input: () => push(firing({ triggerId: undefined })) },
  { name: 'triggerId: a number', input: () => push(firing({ triggerId: 7 })) },
  { name: 'triggerId: 1e999 in JSON text', input: () => push(withInfinity(firing({ triggerId: 0 }), 'triggerId')) },
  { name: 'triggerId: a list of ours', input: () => push(firing({ triggerId: [CONFIG.triggerId] })) },
  { name: 'triggerId: __proto__', input: () => push(firing({ triggerId: '__proto__' })) },
  { name: 'triggerId: constructor', input: () => push(firing({ triggerId: 'constructor' })) },
  { name: 'triggerId: 250 KB', input: () => push(firing({ triggerId: hugeString() })) },
  { name: 'another trigger\'s firing under a forged subscription', input: () => push(firing({ triggerId: 'fraud-weekly' }), { root: { subscription: 'projects/attacker-1/subscriptions/x' } }) },
  { name: 'scheduledTime: a number', input: () => push(firing({ scheduledTime: 1772431200 })) },
  { name: 'scheduledTime: 1e999 in JSON text', input: () => push(withInfinity(firing({ scheduledTime: 0 }), 'scheduledTime')) },
  { name: 'scheduledTime: year +275760', input: () => push(firing({ scheduledTime: '+275760-09-13T00:00:00.000Z' })) },
  { name: 'scheduledTime: 250 KB', input: () => push(firing({ scheduledTime: `2026-03-02T06:00:00.${'1'.repeat(250 * 1024)}Z` })) },
  {
    name: 'scheduledTime: month 13, hour 99',
    input: () => push(firing({ scheduledTime: '2026-13-45T99:99:99Z' })),
  },
  {
    name: 'publishTime: month 13, hour 99',
    input: () => push(firing(), { message: { publishTime: '2026-13-45T99:99:99Z', publish_time: undefined } }),
  },
  // Accepted by design: each creates exactly this firing's job, under the id its message id gives.
  { name: 'our firing under a forged subscription', input: () => push(firing(), { root: { subscription: 'projects/attacker-1/subscriptions/x' } }), accepted: 'the body\'s subscription is not authenticated (the push identity is) and is never read; a miswired one is caught by triggerId' },
  { name: 'our firing with subscription: an object', input: () => push(firing(), { root: { subscription: { name: 'x' } } }), accepted: 'subscription is never read' },
  { name: 'our firing published at 9999-12-31', input: () => push(firing(), { message: { publishTime: '9999-12-31T23:59:59Z', publish_time: undefined } }), accepted: 'publishTime is Pub/Sub\'s stamp, logged only: nothing is decided by it' },
  { name: 'our firing published at 0001-01-01', input: () => push(firing(), { message: { publishTime: '0001-01-01T00:00:00Z', publish_time: undefined } }), accepted: 'publishTime is logged only' },
  { name: 'our firing scheduled at 9999-12-31', input: () => push(firing({ scheduledTime: '9999-12-31T23:59:59Z' })), accepted: 'scheduledTime is for the record only (core/scheduled-firing.ts)' },
  { name: 'our firing scheduled at 0001-01-01', input: () => push(firing({ scheduledTime: '0001-01-01T00:00:00Z' })), accepted: 'scheduledTime is for the record only' },
];

describe('the scheduled function against hostile push requests', () => {
  let google: FakeGoogle;
  let restore: () => Promise<void>;

  beforeAll(async () => {
    ({ google, restore } = await fakeGoogleEnv({ TRIGGER_CONFIG: JSON.stringify(CONFIG) }));
  }, TIMEOUT);
  afterAll(async () => restore());
  beforeEach(() => {
    google.reset();
    silenceOutput();
  });
  afterEach(() => jest.restoreAllMocks());

  async function assessCase(hostile: PushCase): Promise<void> {
    // Act: the await itself checks that the function answers instead of throwing.
    const answered = await answer(handler, hostile.input());

    // Assess: a rejection creates nothing; an accepted firing creates exactly its own job.
    if (hostile.accepted) {
      expect(answered).toMatchObject({ status: 200, body: { status: 'created', pipelineJobId: OUR_JOB } });
      expect(google.jobs.map((job) => job.pipelineJobId)).toEqual([OUR_JOB]);
    } else {
      expectRejected(answered);
      expect(google.createAttempts).toEqual([]);
    }
  }

  test('a genuine firing creates its job, so the rejections below are the inputs\' doing', async () => {
    const answered = await answer(handler, push(firing()));

    expect(answered).toMatchObject({ status: 200, body: { status: 'created', pipelineJobId: OUR_JOB } });
  }, TIMEOUT);

  const { expected, bugs } = rows(SCHEDULED_CORPUS);
  test.each(expected)('%s: answers 200, names the field or creates only its own job', async (_name, hostile) => assessCase(hostile as PushCase), TIMEOUT);
  if (bugs.length > 0) test.failing.each(bugs)('%s (known bug)', async (_name, hostile) => assessCase(hostile as PushCase), TIMEOUT);

  test('data 100 times larger takes less than 1000 times as long to reject', async () => {
    const small = push(`{"triggerId":"${'x'.repeat(2_500)}`);
    const large = push(`{"triggerId":"${'x'.repeat(250_000)}`);
    // Warmed once, then the fastest of several runs each.
    expect(await sizeRatio((input) => answer(handler, input), small, large)).toBeLessThan(1000);
  }, TIMEOUT);

  test('the corpus holds at least 30 inputs', () => {
    expect(SCHEDULED_CORPUS.length).toBeGreaterThanOrEqual(30);
  });
});
