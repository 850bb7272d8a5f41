import { TRIGGER_TYPES, parseStartRequest } from '../../lambda/core/coordination';

describe('parseStartRequest', () => {
  const valid = {
    requestId: 'evt:2027-06-15#1', pipelineName: 'churn-model', triggerType: 'drift', reason: 'PSI above 0.2',
    priority: 2, dataSizeGb: 12.5, requireApproval: false, parameters: { Region: 'eu' },
  };

  it('accepts a complete request and keeps every field', () => {
    // Act
    const parsed = parseStartRequest(valid);

    // Assess
    expect(parsed).toEqual({ ok: true, value: valid });
  });

  it('accepts the request ids triggers make: a trigger id with underscores and a scheduled time', () => {
    for (const requestId of ['team_a-labels#5b8c2f1e-7d0a-4a47-9d0e-2f4c1b6a9e33#12', '5eac400dc50d#2027-03-01T03:00:00Z']) {
      expect(parseStartRequest({ ...valid, requestId })).toEqual({ ok: true, value: { ...valid, requestId } });
    }
  });

  it('accepts a minimal request and omits absent or null optional fields', () => {
    // Prepare
    const minimal = { requestId: 'r', pipelineName: 'p', triggerType: 'manual', reason: 'x', priority: 5, dataSizeGb: null };

    // Act
    const parsed = parseStartRequest(minimal);

    // Assess
    expect(parsed).toEqual({ ok: true, value: { requestId: 'r', pipelineName: 'p', triggerType: 'manual', reason: 'x', priority: 5 } });
  });

  it('accepts the longest allowed requestId (128), pipelineName (256) and reason (512)', () => {
    // Prepare: the limits are the request's specification and SageMaker's PipelineName pattern.
    const longest = { ...valid, requestId: 'r'.repeat(128), pipelineName: `a${'-b'.repeat(127)}b`, reason: 'x'.repeat(512) };

    // Act
    const parsed = parseStartRequest(longest);

    // Assess
    expect(longest.pipelineName).toHaveLength(256);
    expect(parsed.ok).toBe(true);
  });

  it('accepts every trigger type', () => {
    // Act
    const parsed = TRIGGER_TYPES.map((triggerType) => parseStartRequest({ ...valid, triggerType }).ok);

    // Assess
    expect(parsed).toEqual([true, true, true, true, true]);
  });

  it.each<[string, unknown, string]>([
    ['request', 'not an object', 'request'],
    ['request', null, 'request'],
    ['requestId', { ...valid, requestId: undefined }, 'requestId'],
    ['requestId', { ...valid, requestId: 'has space' }, 'requestId'],
    ['requestId', { ...valid, requestId: 'r'.repeat(129) }, 'requestId'],
    ['pipelineName', { ...valid, pipelineName: '-leading-hyphen' }, 'pipelineName'],
    ['pipelineName', { ...valid, pipelineName: 'under_score' }, 'pipelineName'],
    ['pipelineName', { ...valid, pipelineName: 'a'.repeat(257) }, 'pipelineName'],
    ['triggerType', { ...valid, triggerType: 'cron' }, 'triggerType'],
    ['reason', { ...valid, reason: '' }, 'reason'],
    ['reason', { ...valid, reason: 'x'.repeat(513) }, 'reason'],
    ['priority', { ...valid, priority: 0 }, 'priority'],
    ['priority', { ...valid, priority: 6 }, 'priority'],
    ['priority', { ...valid, priority: 2.5 }, 'priority'],
    ['priority', { ...valid, priority: '1' }, 'priority'],
    ['priority', { ...valid, priority: undefined }, 'priority'],
    ['dataSizeGb', { ...valid, dataSizeGb: -1 }, 'dataSizeGb'],
    ['dataSizeGb', { ...valid, dataSizeGb: Infinity }, 'dataSizeGb'],
    ['dataSizeGb', { ...valid, dataSizeGb: 1.7e308 }, 'dataSizeGb'],
    ['dataSizeGb', { ...valid, dataSizeGb: NaN }, 'dataSizeGb'],
    ['dataSizeGb', { ...valid, dataSizeGb: '12' }, 'dataSizeGb'],
    ['requireApproval', { ...valid, requireApproval: 'yes' }, 'requireApproval'],
    ['parameters', { ...valid, parameters: ['a'] }, 'parameters'],
    ['parameters', { ...valid, parameters: { Epochs: 10 } }, 'parameters.Epochs'],
    ['parameters', { ...valid, parameters: { 'bad name': 'x' } }, 'parameters.bad name'],
    ['parameters', { ...valid, parameters: { Empty: '' } }, 'parameters.Empty'],
  ])('rejects a bad %s and names the field', (_label, input, field) => {
    // Act
    const parsed = parseStartRequest(input);

    // Assess
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.field).toBe(field);
  });
});
