import { handler } from '../../lambda/gcp/scheduled';
import { pipelineJobId } from '../../lambda/core/pipeline-job';
import { useFakeGoogle } from '../gcp/function-call';
import { SCHEDULED_CONFIG as CONFIG } from '../gcp/trigger-configs';
import { hugeString, silenceOutput } from './corpus-support';
import { assessJobCase, envelopeCases, impossibleTimeCases, MESSAGE_ID, push, testPushCorpus, TIMEOUT, withInfinity, type PushCase } from './gcp-corpus-support';

// The function is loaded from its TypeScript source, as test/gcp/ loads it: the bundle is the same code through esbuild.
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
  ...impossibleTimeCases('scheduledTime', (scheduledTime) => firing({ scheduledTime }), push),
  // Accepted by design: each creates exactly this firing's job, under the id its message id gives.
  { name: 'our firing under a forged subscription', input: () => push(firing(), { root: { subscription: 'projects/attacker-1/subscriptions/x' } }), accepted: 'the body\'s subscription is not authenticated (the push identity is) and is never read; a miswired one is caught by triggerId' },
  { name: 'our firing with subscription: an object', input: () => push(firing(), { root: { subscription: { name: 'x' } } }), accepted: 'subscription is never read' },
  { name: 'our firing published at 9999-12-31', input: () => push(firing(), { message: { publishTime: '9999-12-31T23:59:59Z', publish_time: undefined } }), accepted: 'publishTime is Pub/Sub\'s stamp, logged only: nothing is decided by it' },
  { name: 'our firing published at 0001-01-01', input: () => push(firing(), { message: { publishTime: '0001-01-01T00:00:00Z', publish_time: undefined } }), accepted: 'publishTime is logged only' },
  { name: 'our firing scheduled at 9999-12-31', input: () => push(firing({ scheduledTime: '9999-12-31T23:59:59Z' })), accepted: 'scheduledTime is for the record only (core/scheduled-firing.ts)' },
  { name: 'our firing scheduled at 0001-01-01', input: () => push(firing({ scheduledTime: '0001-01-01T00:00:00Z' })), accepted: 'scheduledTime is for the record only' },
];

describe('the scheduled function against hostile push requests', () => {
  const fake = useFakeGoogle(() => ({ TRIGGER_CONFIG: JSON.stringify(CONFIG) }), TIMEOUT);
  beforeEach(silenceOutput);

  testPushCorpus({
    fn: handler,
    cases: SCHEDULED_CORPUS,
    genuine: { name: 'a genuine firing creates its job, so the rejections below are the inputs\' doing', request: () => push(firing()), answers: { status: 'created', pipelineJobId: OUR_JOB } },
    behaviour: 'names the field or creates only its own job',
    assessCase: assessJobCase(handler, fake, OUR_JOB),
    sized: (length) => push(`{"triggerId":"${'x'.repeat(length)}`),
  });
});
