import fc from 'fast-check';
import { BATCH_DEFAULTS, parseBatchTriggerConfig } from '../../../lambda/core/contracts/batch';
import { DEFAULT_POLICY, parsePolicy } from '../../../lambda/core/contracts/coordinator';
import { DRIFT_DEFAULTS, parseDriftConfig, parseThresholds as parseDriftThresholds, thresholdsProblem } from '../../../lambda/core/contracts/drift';
import { EVENT_TRIGGER_DEFAULTS, joinWindowMs, parseEventTriggerConfig } from '../../../lambda/core/contracts/event-trigger';
import {
  DEFAULT_GUARDRAIL_THRESHOLDS,
  GUARDRAIL_THRESHOLD_NAMES,
  parseDefaults,
  parseThresholds as parseGuardrailThresholds,
  thresholdProblem,
} from '../../../lambda/core/contracts/guardrail';
import { DEFAULT_PRIORITY, EVENT_NAME, PIPELINE_NAME, priorityOf, TRIGGER_ID } from '../../../lambda/core/contracts/shared';

describe('contract defaults', () => {
  it('reads back what a construct writes from the defaults alone', () => {
    // Prepare
    const batch = { triggerId: 'orders-1', pipelineName: 'train', source: { bucket: 'data' }, manifestBucket: 'data', parameters: {}, ...BATCH_DEFAULTS };
    const guardrail = JSON.stringify(DEFAULT_GUARDRAIL_THRESHOLDS);

    // Act
    const parsedBatch = parseBatchTriggerConfig(batch);
    const parsedGuardrail = parseDefaults(guardrail);

    // Assess
    expect(parsedBatch).toEqual({ ok: true, value: { ...batch } });
    expect(parsedGuardrail).toEqual({ ok: true, value: DEFAULT_GUARDRAIL_THRESHOLDS });
  });

  it('fills every absent setting with the same default the construct documents', () => {
    expect(parsePolicy(undefined)).toEqual({ ok: true, value: DEFAULT_POLICY });
    expect(parseDriftConfig(undefined)).toEqual({ ok: true, value: DRIFT_DEFAULTS });
    expect(joinWindowMs({})).toBe(EVENT_TRIGGER_DEFAULTS.windowSeconds * 1000);
    expect(priorityOf({})).toBe(DEFAULT_PRIORITY);
  });

  it('gives a coordinated event trigger without a priority the default priority', () => {
    const parsed = parseEventTriggerConfig({ triggerId: 't', pipelineName: 'p', pattern: {}, mode: 'event', events: ['a'], coordinatorFunction: 'fn' });
    expect(parsed.ok && parsed.value.priority).toBe(DEFAULT_PRIORITY);
  });
});

describe('contract limits agree on both sides', () => {
  it('accepts at synth exactly the drift thresholds the function parses', () => {
    const value = fc.oneof(fc.double({ noNaN: false }), fc.constantFrom(0, 0.1, 0.3, 0.5, -0));
    fc.assert(
      fc.property(value, value, value, (medium, high, critical) => {
        const thresholds = { medium, high, critical };
        expect(thresholdsProblem(thresholds) === undefined).toBe(parseDriftThresholds(thresholds).ok);
      }),
    );
  });

  it('accepts at synth exactly the guardrail thresholds the function parses', () => {
    fc.assert(
      fc.property(fc.constantFrom(...GUARDRAIL_THRESHOLD_NAMES), fc.oneof(fc.double(), fc.constantFrom(0, 1, 1.0000001, -0.1)), (name, value) => {
        expect(thresholdProblem(name, value) === undefined).toBe(parseGuardrailThresholds({ [name]: value }, DEFAULT_GUARDRAIL_THRESHOLDS).ok);
      }),
    );
  });

  it('names triggers, pipelines and events as the services allow', () => {
    expect(TRIGGER_ID.test('a'.repeat(64))).toBe(true);
    expect(TRIGGER_ID.test('a'.repeat(65))).toBe(false);
    expect(PIPELINE_NAME.test('train-model')).toBe(true);
    expect(PIPELINE_NAME.test('train-')).toBe(false);
    expect(EVENT_NAME.test('features.ready')).toBe(true);
    expect(EVENT_NAME.test('features ready')).toBe(false);
  });
});
