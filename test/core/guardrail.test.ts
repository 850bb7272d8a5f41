import fc from 'fast-check';
import {
  errorConcentration,
  evaluateGuardrail,
  goldenAccuracy,
  klDivergence,
  parseEvaluationReport,
  parseGoldenSet,
  parseGuardrailRequest,
  parseS3Uri,
  smoothedDistributions,
  type Counts,
  type EvaluationReport,
  type GuardrailEvidence,
} from '../../lambda/core/guardrail';
import { DEFAULT_GUARDRAIL_THRESHOLDS, parseDefaults, type GuardrailThresholds } from '../../lambda/core/contracts/guardrail';

// Expected KL values were computed independently in Python 3.11 (not with this code), by:
//   python3 -c "
//   import math
//   def kl(p,q):
//       cls=sorted(set(p)|set(q)); n=len(cls)
//       P=[(p.get(c,0)+1)/(sum(p.values())+n) for c in cls]
//       Q=[(q.get(c,0)+1)/(sum(q.values())+n) for c in cls]
//       return sum(a*math.log(a/b) for a,b in zip(P,Q))
//   print(kl({'a':50,'b':30,'c':20},{'a':40,'b':40,'c':20}))   # 0.02392039940026125
//   print(kl({'a':10,'b':5},{'a':8,'b':4,'c':3}))              # 0.1063895905404167
//   print(kl({'a':8,'b':4,'c':3},{'a':10,'b':5}))              # 0.1570851889639127
//   print(kl({'approve':1000},{'approve':600,'deny':400}))     # 0.5036687057859147
//   print(kl({'approve':700,'deny':300},{'approve':500,'deny':500}))  # 0.08194501518325811"
const PYTHON_KL = {
  threeClasses: 0.02392039940026125,
  candidateMissingC: 0.1063895905404167,
  baselineMissingC: 0.1570851889639127,
  collapsed: 0.5036687057859147,
  mild: 0.08194501518325811,
};

const report = (accuracy: number, predictionDistribution: Counts, errorTypes: Counts = {}): EvaluationReport => ({ accuracy, predictionDistribution, errorTypes });
const BASELINE = report(0.9, { approve: 500, deny: 500 });
const healthy = (overrides: Partial<GuardrailEvidence> = {}): GuardrailEvidence => ({
  candidate: report(0.9, { approve: 500, deny: 500 }, { false_positive: 5, false_negative: 5 }),
  baseline: BASELINE,
  goldenAccuracy: 0.9,
  ...overrides,
});
const check = (evidence: GuardrailEvidence, name: string, thresholds: Partial<GuardrailThresholds> = {}) => {
  const found = evaluateGuardrail(evidence, { ...DEFAULT_GUARDRAIL_THRESHOLDS, ...thresholds }).checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check ${name}`);
  return found;
};

describe('prediction shift (KL with Laplace smoothing)', () => {
  test('matches the Python reference for three classes', () => {
    expect(klDivergence({ a: 50, b: 30, c: 20 }, { a: 40, b: 40, c: 20 })).toBeCloseTo(PYTHON_KL.threeClasses, 14);
  });

  test('a class the candidate never predicted still gives a finite value', () => {
    const smoothed = smoothedDistributions({ a: 10, b: 5 }, { a: 8, b: 4, c: 3 });

    expect(smoothed.classes).toEqual(['a', 'b', 'c']);
    expect(smoothed.p).toEqual([11 / 18, 6 / 18, 1 / 18]);
    expect(smoothed.q).toEqual([9 / 18, 5 / 18, 4 / 18]);
    expect(klDivergence({ a: 10, b: 5 }, { a: 8, b: 4, c: 3 })).toBeCloseTo(PYTHON_KL.candidateMissingC, 14);
  });

  test('a class the baseline never predicted still gives a finite value', () => {
    expect(klDivergence({ a: 8, b: 4, c: 3 }, { a: 10, b: 5 })).toBeCloseTo(PYTHON_KL.baselineMissingC, 14);
  });

  test('a distribution collapsed onto one class shifts more than the default limit', () => {
    expect(klDivergence({ approve: 1000 }, { approve: 600, deny: 400 })).toBeCloseTo(PYTHON_KL.collapsed, 14);
  });

  const counts = fc.dictionary(
    fc.constantFrom('a', 'b', 'c', 'd', 'e'),
    fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.double({ min: 0, max: 1_000_000, noNaN: true })),
  );

  test('KL is never negative and at least Pinsker\'s bound, and KL(p || p) is 0', () => {
    fc.assert(
      fc.property(counts, counts, (p, q) => {
        const kl = klDivergence(p, q);
        const smoothed = smoothedDistributions(p, q);
        const l1 = smoothed.p.reduce((sum, pi, i) => sum + Math.abs(pi - smoothed.q[i]), 0);
        return kl >= 0 && Number.isFinite(kl) && kl + 1e-12 >= (l1 * l1) / 2 && klDivergence(p, p) === 0;
      }),
      { seed: 42, numRuns: 2000 },
    );
  });
});

describe('checks at their boundaries', () => {
  test('golden-set accuracy passes at the minimum and fails just below it', () => {
    expect(check(healthy({ goldenAccuracy: 0.85 }), 'golden_accuracy').passed).toBe(true);
    expect(check(healthy({ goldenAccuracy: 0.8499 }), 'golden_accuracy')).toMatchObject({ passed: false, value: 0.8499, threshold: 0.85 });
  });

  test('accuracy delta passes at the limit despite float noise (0.9 - 0.6) and fails just above it', () => {
    const candidate = report(0.9, { approve: 500, deny: 500 });

    expect(check(healthy({ candidate, baseline: report(0.6, BASELINE.predictionDistribution) }), 'accuracy_delta', { maxAccuracyDelta: 0.3 }).passed).toBe(true);
    expect(check(healthy({ candidate, baseline: report(0.599, BASELINE.predictionDistribution) }), 'accuracy_delta', { maxAccuracyDelta: 0.3 }).passed).toBe(false);
    expect(check(healthy({ candidate: report(0.3, {a: 1}), baseline: report(0.9, { a: 1 }) }), 'accuracy_delta').value).toBeCloseTo(0.6, 12);
  });

  test('prediction shift fails when equal to the limit (strictly below passes)', () => {
    const evidence = healthy({ candidate: report(0.9, { approve: 700, deny: 300 }) });
    const shift = klDivergence({ approve: 700, deny: 300 }, BASELINE.predictionDistribution);

    expect(shift).toBeCloseTo(PYTHON_KL.mild, 14);
    expect(check(evidence, 'prediction_shift', { maxPredictionShift: shift }).passed).toBe(false);
    expect(check(evidence, 'prediction_shift', { maxPredictionShift: shift + 1e-9 }).passed).toBe(true);
  });

  test('error concentration passes at the limit (7 of 10) and fails above it (71 of 100)', () => {
    expect(check(healthy({ candidate: report(0.9, BASELINE.predictionDistribution, { fp: 7, fn: 3 }) }), 'error_concentration').passed).toBe(true);
    expect(check(healthy({ candidate: report(0.9, BASELINE.predictionDistribution, { fp: 71, fn: 29 }) }), 'error_concentration')).toMatchObject({ passed: false, value: 0.71 });
  });

  test('a candidate without errors passes the concentration check with 0', () => {
    expect(errorConcentration({})).toEqual({ value: 0 });
    expect(errorConcentration({ fp: 0, fn: 0 })).toEqual({ value: 0 });
    expect(errorConcentration({ 'a->b': 2, 'b->a': 6 })).toEqual({ value: 0.75, dominant: 'b->a' });
  });
});

describe('the verdict', () => {
  test('every check is reported, in order, even when an earlier one fails', () => {
    const verdict = evaluateGuardrail(healthy({ goldenAccuracy: 0.1 }), DEFAULT_GUARDRAIL_THRESHOLDS);

    expect(verdict.checks.map((c) => [c.name, c.passed])).toEqual([
      ['golden_accuracy', false],
      ['accuracy_delta', true],
      ['prediction_shift', true],
      ['error_concentration', true],
    ]);
    expect(verdict).toMatchObject({ passed: false, requiresApproval: true });
  });

  test('a shift above the approval level asks for a human even when every check passes', () => {
    const evidence = healthy({ candidate: report(0.9, { approve: 700, deny: 300 }, { fp: 1, fn: 1 }) });

    expect(evaluateGuardrail(evidence, { ...DEFAULT_GUARDRAIL_THRESHOLDS, approvalPredictionShift: 0.05 })).toMatchObject({ passed: true, requiresApproval: true });
    expect(evaluateGuardrail(evidence, { ...DEFAULT_GUARDRAIL_THRESHOLDS, approvalPredictionShift: 0.1 })).toMatchObject({ passed: true, requiresApproval: false });
  });

  test('the shift details name the class whose share grew most', () => {
    const evidence = healthy({ candidate: report(0.9, { approve: 1000 }, { fp: 1, fn: 1 }) });

    expect(check(evidence, 'prediction_shift').details).toContain("largest gain: 'approve'");
  });
});

describe('documents', () => {
  const counts = { prediction_distribution: { a: 3, b: 1 }, error_types: { fp: 1 } };

  test.each([
    ['SageMaker multiclass', { multiclass_classification_metrics: { accuracy: { value: 0.91, standard_deviation: 0.01 } } }],
    ['SageMaker binary', { binary_classification_metrics: { accuracy: { value: 0.91 } } }],
    ['plain', { accuracy: 0.91 }],
  ])('reads accuracy from the %s shape', (_shape, accuracy) => {
    expect(parseEvaluationReport({ ...accuracy, ...counts }, 'candidate')).toEqual({
      ok: true,
      value: { accuracy: 0.91, predictionDistribution: { a: 3, b: 1 }, errorTypes: { fp: 1 } },
    });
  });

  test.each([
    [{ ...counts }, 'accuracy', 'is missing: expected multiclass_classification_metrics.accuracy.value, binary_classification_metrics.accuracy.value, accuracy'],
    [{ ...counts, multiclass_classification_metrics: { accuracy: 0.9 } }, 'multiclass_classification_metrics.accuracy', 'must be an object, got number 0.9'],
    [{ ...counts, accuracy: 1.2 }, 'accuracy', 'must be between 0 and 1, got 1.2'],
    [{ accuracy: 0.9, error_types: {} }, 'prediction_distribution', 'is missing'],
    [{ accuracy: 0.9, prediction_distribution: { a: 0 }, error_types: {} }, 'prediction_distribution', 'must count at least one prediction'],
    [{ accuracy: 0.9, prediction_distribution: { a: -1 }, error_types: {} }, 'prediction_distribution.a', 'must be at least 0, got -1'],
    [{ accuracy: 0.9, prediction_distribution: { a: 1 } }, 'error_types', 'is missing'],
  ])('rejects a candidate report %j at %s', (document, field, problem) => {
    expect(parseEvaluationReport(document, 'candidate')).toEqual({ ok: false, error: { field, problem } });
  });

  test('the baseline report may leave out error_types', () => {
    expect(parseEvaluationReport({ accuracy: 0.8, prediction_distribution: { a: 1 } }, 'baseline')).toMatchObject({ ok: true, value: { errorTypes: {} } });
  });

  test('golden-set accuracy is read, or computed from label/prediction pairs', () => {
    // 17 of 20 pairs agree: 17 / 20 = 0.85 exactly as a double (Python: 17/20 == 0.85 -> True).
    const predictions = Array.from({ length: 20 }, (_, i) => ({ label: i % 2 ? 'deny' : 'approve', prediction: i < 3 ? 'x' : i % 2 ? 'deny' : 'approve' }));

    expect(parseGoldenSet({ accuracy: 0.9 })).toEqual({ ok: true, value: 0.9 });
    expect(parseGoldenSet({ predictions })).toEqual({ ok: true, value: 0.85 });
    expect(parseGoldenSet({ predictions: [{ label: 1, prediction: '1' }, { label: 0, prediction: 1 }] })).toEqual({ ok: true, value: 0.5 });
    expect(goldenAccuracy([])).toBe(0);
  });

  test.each([
    [{}, 'accuracy', 'is missing'],
    [{ predictions: [] }, 'predictions', 'must be a non-empty list of { label, prediction }'],
    [{ predictions: [{ label: 'a', prediction: 'a' }, { label: 'a' }] }, 'predictions[1].prediction', 'must be a string or number, got undefined undefined'],
  ])('rejects golden-set results %j at %s', (document, field, problem) => {
    expect(parseGoldenSet(document)).toEqual({ ok: false, error: { field, problem } });
  });
});

describe('request and thresholds', () => {
  const uris = { candidateReportUri: 's3://models/c.json', baselineReportUri: 's3://models/b.json', goldenSetUri: 's3://models/g.json' };

  test('thresholds come from the event over the defaults; numeric strings count as numbers', () => {
    const parsed = parseGuardrailRequest({ ...uris, minGoldenAccuracy: '0.9', maxPredictionShift: 0.3, maxErrorConcentration: null }, DEFAULT_GUARDRAIL_THRESHOLDS);

    expect(parsed).toEqual({
      ok: true,
      value: {
        candidateReport: { bucket: 'models', key: 'c.json', uri: 's3://models/c.json' },
        baselineReport: { bucket: 'models', key: 'b.json', uri: 's3://models/b.json' },
        goldenSet: { bucket: 'models', key: 'g.json', uri: 's3://models/g.json' },
        thresholds: { ...DEFAULT_GUARDRAIL_THRESHOLDS, minGoldenAccuracy: 0.9, maxPredictionShift: 0.3 },
      },
    });
  });

  test.each([
    [{ ...uris, goldenSetUri: undefined }, 'goldenSetUri', 'is missing'],
    [{ ...uris, baselineReportUri: 'https://models/b.json' }, 'baselineReportUri', "must be an s3://bucket/key URI, got the string 'https://models/b.json'"],
    [{ ...uris, maxAccuracyDelta: 'lots' }, 'maxAccuracyDelta', "must be a number, got the string 'lots'"],
    [{ ...uris, minGoldenAccuracy: 1.5 }, 'minGoldenAccuracy', 'must be between 0 and 1, got 1.5'],
    [{ ...uris, maxPredictionShift: -0.1 }, 'maxPredictionShift', 'must be at least 0, got -0.1'],
    ['not an object', 'input', "must be an object of LambdaStep inputs, got the string 'not an object'"],
  ])('rejects %j at %s', (event, field, problem) => {
    expect(parseGuardrailRequest(event, DEFAULT_GUARDRAIL_THRESHOLDS)).toEqual({ ok: false, error: { field, problem } });
  });

  test.each([
    ['minGoldenAccuracy', 0.1, 'at least 0.85'],
    ['maxAccuracyDelta', 1, 'at most 0.4'],
    ['maxPredictionShift', 1e9, 'at most 0.5'],
    ['maxErrorConcentration', 0.71, 'at most 0.7'],
    ['approvalPredictionShift', '0.3', 'at most 0.2'],
  ])('a step input may not loosen %s past the deployment (%j): it is rejected, naming the field', (name, value, bound) => {
    const parsed = parseGuardrailRequest({ ...uris, [name]: value }, DEFAULT_GUARDRAIL_THRESHOLDS);

    expect(parsed).toEqual({ ok: false, error: { field: name, problem: expect.stringContaining(`may only tighten the threshold the deployment set`) } });
    expect(!parsed.ok && parsed.error.problem).toContain(bound);
  });

  test('the overrides of the finding (0 / 1 / 1e9) are rejected; equal and stricter ones pass', () => {
    const loosened = parseGuardrailRequest({ ...uris, minGoldenAccuracy: 0, maxAccuracyDelta: 1, maxPredictionShift: 1e9 }, DEFAULT_GUARDRAIL_THRESHOLDS);
    const tightened = parseGuardrailRequest({ ...uris, ...DEFAULT_GUARDRAIL_THRESHOLDS, minGoldenAccuracy: 0.99, maxErrorConcentration: 0.1 }, DEFAULT_GUARDRAIL_THRESHOLDS);

    expect(loosened.ok).toBe(false);
    expect(tightened.ok && tightened.value.thresholds).toEqual({ ...DEFAULT_GUARDRAIL_THRESHOLDS, minGoldenAccuracy: 0.99, maxErrorConcentration: 0.1 });
  });

  test('a threshold string of 100,000 digits is no number, and is rejected without scanning it twice', () => {
    const parsed = parseGuardrailRequest({ ...uris, maxAccuracyDelta: `${'1'.repeat(100_000)}x` }, DEFAULT_GUARDRAIL_THRESHOLDS);

    expect(!parsed.ok && parsed.error.field).toBe('maxAccuracyDelta');
  });

  test('GUARDRAIL_DEFAULTS overrides the built-in defaults and names its own bad fields', () => {
    expect(parseDefaults(undefined)).toEqual({ ok: true, value: DEFAULT_GUARDRAIL_THRESHOLDS });
    expect(parseDefaults('{"approvalPredictionShift":0.1}')).toEqual({ ok: true, value: { ...DEFAULT_GUARDRAIL_THRESHOLDS, approvalPredictionShift: 0.1 } });
    expect(parseDefaults('{"maxErrorConcentration":2}')).toEqual({ ok: false, error: { field: 'GUARDRAIL_DEFAULTS.maxErrorConcentration', problem: 'must be between 0 and 1, got 2' } });
    expect(parseDefaults('{oops')).toEqual({ ok: false, error: { field: 'GUARDRAIL_DEFAULTS', problem: 'must be JSON' } });
  });

  test('parses s3:// URIs with keys that hold slashes', () => {
    expect(parseS3Uri('s3://my-bucket/reports/2027/03/candidate.json')).toEqual({ bucket: 'my-bucket', key: 'reports/2027/03/candidate.json', uri: 's3://my-bucket/reports/2027/03/candidate.json' });
    expect(parseS3Uri('s3://my-bucket/')).toBeUndefined();
  });
});
