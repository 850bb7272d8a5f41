import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { HandlerServices } from '../support/handler-harness';
import {
  bucketSnapshot,
  CORPUS_TIMEOUT as TIMEOUT,
  deepJson,
  deepObject,
  sizeRatio,
  HUGE,
  hugeDigits,
  hugeString,
  loadBundledHandler,
  manyItems,
  silenceEachTest,
  startBundledServices,
  testEachCase,
  type HostileCase,
} from './corpus-support';

type Handler = (event: unknown) => Promise<{ passed: boolean; error: string; failed_checks: string }>;
const BUCKET = 'model-reports';
const uri = (key: string) => `s3://${BUCKET}/${key}`;

const BASELINE = { binary_classification_metrics: { accuracy: { value: 0.9 } }, prediction_distribution: { approve: 600, deny: 400 } };
const HEALTHY = { accuracy: 0.91, prediction_distribution: { approve: 610, deny: 390 }, error_types: { false_positive: 20, false_negative: 19 } };
const COLLAPSED = { accuracy: 0.62, prediction_distribution: { approve: 1000 }, error_types: { false_positive: 380 } };
const GOLDEN = { predictions: Array.from({ length: 10 }, (_, i) => ({ label: i % 2 ? 'deny' : 'approve', prediction: i % 2 ? 'deny' : 'approve' })) };
/** The deployment's thresholds: it lowered the golden-set bar from the built-in 0.85; events may only tighten them. */
const DEPLOYED = { minGoldenAccuracy: 0.8, maxAccuracyDelta: 0.4, maxPredictionShift: 0.5, maxErrorConcentration: 0.7, approvalPredictionShift: 0.2 };

/** Documents in the bucket, as text: some are hostile themselves. */
const DOCUMENTS: Record<string, () => string> = {
  'baseline.json': () => JSON.stringify(BASELINE),
  'healthy.json': () => JSON.stringify(HEALTHY),
  'collapsed.json': () => JSON.stringify(COLLAPSED),
  'golden.json': () => JSON.stringify(GOLDEN),
  'deep.json': () => deepJson(),
  'digits.json': () => hugeDigits(),
  'infinite-accuracy.json': () => JSON.stringify(HEALTHY).replace('"accuracy":0.91', '"accuracy":1e999'),
  'proto-accuracy.json': () => `{"__proto__":{"accuracy":0.99},"prediction_distribution":{"approve":1},"error_types":{}}`,
  'constructor-counts.json': () => JSON.stringify({ accuracy: 0.9, prediction_distribution: { constructor: 'many' }, error_types: {} }),
  'golden-10000-last-bad.json': () => JSON.stringify({ predictions: [...manyItems({ label: 'a', prediction: 'a' }).slice(1), { label: {}, prediction: 'a' }] }),
  'not-json.json': () => '{"accuracy": 0.9,',
};

/** Inputs that would pass (the healthy candidate), with fields replaced (an `undefined` value removes the field). */
function inputs(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const event: Record<string, unknown> = { candidateReportUri: uri('healthy.json'), baselineReportUri: uri('baseline.json'), goldenSetUri: uri('golden.json'), ...overrides };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete event[key];
  return event;
}

const GUARDRAIL_CORPUS: readonly HostileCase[] = [
  // Not the LambdaStep's inputs.
  { name: 'null', input: () => null },
  { name: 'undefined', input: () => undefined },
  { name: 'zero', input: () => 0 },
  { name: 'NaN', input: () => NaN },
  { name: 'a string', input: () => uri('healthy.json') },
  { name: 'the inputs as JSON text', input: () => JSON.stringify(inputs()) },
  { name: 'an empty array', input: () => [] },
  { name: '10,000 passing inputs in an array', input: () => manyItems(inputs()) },
  { name: 'an event 10,000 levels deep', input: () => deepObject() },
  { name: 'an empty object', input: () => ({}) },
  { name: 'fields named constructor and prototype only', input: () => ({ constructor: inputs(), prototype: inputs() }) },
  // The URIs.
  { name: 'candidateReportUri missing', input: () => inputs({ candidateReportUri: undefined }) },
  { name: 'candidateReportUri: a number', input: () => inputs({ candidateReportUri: 42 }) },
  { name: 'candidateReportUri: a list', input: () => inputs({ candidateReportUri: [uri('healthy.json')] }) },
  { name: 'candidateReportUri: 10,000 levels deep', input: () => inputs({ candidateReportUri: deepObject() }) },
  { name: 'candidateReportUri: an https URL', input: () => inputs({ candidateReportUri: `https://${BUCKET}.s3.amazonaws.com/healthy.json` }) },
  { name: 'candidateReportUri: constructor', input: () => inputs({ candidateReportUri: 'constructor' }) },
  { name: 'baselineReportUri: a bucket name too short for S3', input: () => inputs({ baselineReportUri: 's3://a/baseline.json' }) },
  { name: 'baselineReportUri: no key', input: () => inputs({ baselineReportUri: `s3://${BUCKET}/` }) },
  { name: 'goldenSetUri: another account\'s bucket', input: () => inputs({ goldenSetUri: 's3://attacker-owned-bucket/golden.json' }) },
  { name: 'goldenSetUri: an object that is not there', input: () => inputs({ goldenSetUri: uri('missing.json') }) },
  { name: 'goldenSetUri: 250 KB without a bucket', input: () => inputs({ goldenSetUri: `s3://${hugeString('a')}` }) },
  // Thresholds.
  { name: 'minGoldenAccuracy loosened to 0.5', input: () => inputs({ minGoldenAccuracy: 0.5 }) },
  { name: 'maxAccuracyDelta loosened to 0.9', input: () => inputs({ maxAccuracyDelta: 0.9 }) },
  { name: 'maxPredictionShift loosened to 1.7e308', input: () => inputs({ maxPredictionShift: 1.7e308 }) },
  { name: 'maxErrorConcentration loosened to 1 as a string', input: () => inputs({ maxErrorConcentration: '1' }) },
  { name: 'approvalPredictionShift: Infinity', input: () => inputs({ approvalPredictionShift: Infinity }) },
  { name: 'minGoldenAccuracy: NaN', input: () => inputs({ minGoldenAccuracy: NaN }) },
  { name: 'minGoldenAccuracy: -0', input: () => inputs({ minGoldenAccuracy: -0 }) },
  { name: 'minGoldenAccuracy: 2', input: () => inputs({ minGoldenAccuracy: 2 }) },
  { name: 'maxPredictionShift: the string 1e999', input: () => inputs({ maxPredictionShift: '1e999' }) },
  { name: 'maxPredictionShift: 1e999 in JSON text', input: () => JSON.parse(JSON.stringify(inputs({ maxPredictionShift: 0 })).replace('"maxPredictionShift":0', '"maxPredictionShift":1e999')) },
  { name: 'minGoldenAccuracy: a 250 KB string of digits', input: () => inputs({ minGoldenAccuracy: hugeDigits() }) },
  { name: 'maxAccuracyDelta: an object', input: () => inputs({ maxAccuracyDelta: { valueOf: () => 0.1 } }) },
  { name: 'maxAccuracyDelta: __proto__', input: () => inputs({ maxAccuracyDelta: '__proto__' }) },
  { name: 'a loosened threshold inherited through the prototype', input: () => Object.assign(Object.create({ minGoldenAccuracy: 0 }), inputs()) },
  // The documents the URIs name.
  { name: 'a candidate report 10,000 objects deep', input: () => inputs({ candidateReportUri: uri('deep.json') }) },
  { name: 'a candidate report that is a 250 KB number', input: () => inputs({ candidateReportUri: uri('digits.json') }) },
  { name: 'a candidate report with accuracy 1e999', input: () => inputs({ candidateReportUri: uri('infinite-accuracy.json') }) },
  { name: 'a candidate report whose "__proto__" key holds the accuracy', input: () => inputs({ candidateReportUri: uri('proto-accuracy.json') }) },
  { name: 'a baseline counting a class named constructor with a string', input: () => inputs({ baselineReportUri: uri('constructor-counts.json') }) },
  { name: 'a golden set of 10,000 rows whose last label is an object', input: () => inputs({ goldenSetUri: uri('golden-10000-last-bad.json') }) },
  { name: 'a golden set that is not JSON', input: () => inputs({ goldenSetUri: uri('not-json.json') }) },
  // Accepted, and harmless: the guardrail stores nothing and a collapsed model must still fail.
  {
    name: 'a JSON "__proto__" key holding loosened thresholds, for a collapsed candidate',
    input: () => JSON.parse(`{"__proto__":{"minGoldenAccuracy":0,"maxAccuracyDelta":1},${JSON.stringify(inputs({ candidateReportUri: uri('collapsed.json') })).slice(1)}`),
    harmless: 'JSON.parse makes "__proto__" an own key, not a prototype: the deployment\'s thresholds hold and the collapsed candidate fails its checks',
  },
  // These were bugs: the handler threw on the key S3 refused, and the candidate vouched for itself.
  { name: 'a 250 KB URI', input: () => inputs({ goldenSetUri: uri('k'.repeat(HUGE)) }) },
  { name: 'the candidate\'s own report named as the golden set', input: () => inputs({ goldenSetUri: uri('healthy.json') }) },
];

describe('the bundled promotion guardrail against hostile input', () => {
  let services: HandlerServices;
  let client: S3Client;
  let handler: Handler;

  beforeAll(async () => {
    services = await startBundledServices({
      s3: true,
      env: { POWERTOOLS_METRICS_NAMESPACE: 'GuardrailTest', GUARDRAIL_DEFAULTS: JSON.stringify({ minGoldenAccuracy: DEPLOYED.minGoldenAccuracy }) },
    });
    client = new S3Client({});
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    for (const [key, body] of Object.entries(DOCUMENTS)) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body(), ContentType: 'application/json' }));
    }
    handler = loadBundledHandler<Handler>('guardrail');
  }, TIMEOUT);
  afterAll(async () => {
    client.destroy();
    await services.stop();
  }, TIMEOUT);
  silenceEachTest();

  const sideEffects = async () => ({ bucket: await bucketSnapshot(client, BUCKET), executions: services.sagemaker.executions.length });

  async function assessCase(hostile: HostileCase): Promise<void> {
    const before = await sideEffects();

    // Act: a rejection (not a throw) is the answer under test, so the await itself checks (1).
    const answer = await handler(hostile.input());

    // Assess: nothing started or written; no pass; a rejection names its field as `<field>: <problem>`.
    expect(await sideEffects()).toEqual(before);
    expect(answer.passed).toBe(false);
    if (hostile.harmless) {
      expect(answer.error).toBe('');
    } else {
      expect(answer).toMatchObject({ failed_checks: 'input', error: expect.stringMatching(/^[A-Za-z_][\w.[\]]*: \S/) });
    }
  }

  test('the healthy candidate passes, so each case is rejected for what it changes', async () => {
    expect(await handler(inputs())).toMatchObject({ passed: true, error: '' });
  }, TIMEOUT);

  testEachCase(GUARDRAIL_CORPUS, 'resolves, starts nothing, never passes, names the field', assessCase);

  test('a 250 KB URI takes less than 1000 times as long to reject as a 2.5 KB one', async () => {
    const withUri = (length: number) => inputs({ goldenSetUri: `s3://${'a'.repeat(length)}` });
    const small = withUri(HUGE / 100);
    const large = withUri(HUGE);
    // Warmed once, then the fastest of several runs each.
    expect(await sizeRatio(handler, small, large, 7)).toBeLessThan(1000);
  }, TIMEOUT);

  test('the corpus holds at least 30 inputs', () => {
    expect(GUARDRAIL_CORPUS.length).toBeGreaterThanOrEqual(30);
  });
});
