import { parseEventTriggerConfig } from '../../../lambda/core/contracts/event-trigger';

const ABC = ['a', 'b', 'c'];

describe('the event trigger contract re-checks what synth checked', () => {
  const base = { triggerId: 't', pipelineName: 'p', pattern: {}, events: ABC, parameters: {} };

  test.each<[string, Record<string, unknown>, string]>([
    ['a minimum of 0', { mode: 'join', minimum: 0 }, 'trigger.minimum'],
    ['a minimum over the names', { mode: 'join', minimum: 4 }, 'trigger.minimum'],
    ['a minimum that is text', { mode: 'join', minimum: '2' }, 'trigger.minimum'],
    ['a minimum on a sequence', { mode: 'sequence', minimum: 2 }, 'trigger.minimum'],
    ['a minimum on a single-event trigger', { mode: 'event', minimum: 1 }, 'trigger.mode'],
    ['a key on a single-event trigger', { mode: 'event', forEach: 'model_id' }, 'trigger.mode'],
    ['a sequence of one step', { mode: 'sequence', events: ['a'] }, 'trigger.events'],
    ['a join naming an event twice', { mode: 'join', events: ['a', 'a'] }, 'trigger.events'],
    ['a key path with an empty field', { mode: 'join', forEach: 'a..b' }, 'trigger.forEach'],
    ['a key path that is no string', { mode: 'sequence', forEach: 7 }, 'trigger.forEach'],
    ['a template reading a possibly absent event', { mode: 'join', minimum: 2, parameters: { V: '{{ events.b.v }}' } }, 'trigger.parameters.V'],
  ])('refuses %s, naming the field', (_what, extra, field) => {
    expect(parseEventTriggerConfig({ ...base, ...extra })).toMatchObject({ ok: false, error: { field } });
  });

  test('reads back a per-key N of M join and a per-key sequence', () => {
    expect(parseEventTriggerConfig({ ...base, mode: 'join', minimum: 2, forEach: 'model.id' })).toMatchObject({ ok: true, value: { mode: 'join', minimum: 2, forEach: 'model.id' } });
    expect(parseEventTriggerConfig({ ...base, mode: 'sequence', forEach: 'model_id', parameters: { V: '{{ events.c.v }}' } })).toMatchObject({ ok: true, value: { mode: 'sequence', forEach: 'model_id' } });
  });
});
