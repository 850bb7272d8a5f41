import { RedeliveryRequested, type Outcome } from '../../lambda/azure/adapters/functions-host';
import { BATCHER_ENTRY, blobCreated, SETTINGS } from './batcher-harness';
import { captureEachTestLogs } from './function-harness';

/** Loading @azure/functions and the Azure SDK afresh takes a while on a loaded machine. */
const ENTRY_TIMEOUT = 30_000;

type Handler = (input: unknown, context: { invocationId: string }) => Promise<Outcome | void>;
interface Registration {
  readonly kind: 'eventGrid' | 'timer';
  readonly options: { readonly handler: Handler; readonly schedule?: string };
}

/** Loads lambda/azure/batcher/index.ts in isolation with an `app` that records what it registers. */
function registrations(): Map<string, Registration> {
  const registered = new Map<string, Registration>();
  jest.isolateModules(() => {
    jest.doMock('@azure/functions', () => ({
      ...jest.requireActual<object>('@azure/functions'),
      app: {
        eventGrid: (name: string, options: Registration['options']) => registered.set(name, { kind: 'eventGrid', options }),
        timer: (name: string, options: Registration['options']) => registered.set(name, { kind: 'timer', options }),
      },
    }));
    jest.requireActual(BATCHER_ENTRY);
  });
  return registered;
}

describe('the Azure batcher entry point (Azure Functions v4 programming model)', () => {
  const logs = captureEachTestLogs();
  const settings = { ...SETTINGS, stateTableEndpoint: 'https://devstoreaccount1.table.core.windows.net', stateTable: 'batches' };
  afterEach(() => {
    delete process.env.TRIGGER_SETTINGS;
  });

  test('registers the Event Grid function `batcher` and the timer `flush` running every minute', () => {
    const registered = registrations();

    expect([...registered].map(([name, r]) => [name, r.kind, r.options.schedule])).toEqual([
      ['batcher', 'eventGrid', undefined],
      ['flush', 'timer', '0 */1 * * * *'],
    ]);
  }, ENTRY_TIMEOUT);

  test('answers a rejected event, and fails the invocation (RedeliveryRequested) when the settings are invalid', async () => {
    // Prepare
    const registered = registrations();
    const batcher = registered.get('batcher')!.options.handler;
    const flush = registered.get('flush')!.options.handler;
    process.env.TRIGGER_SETTINGS = JSON.stringify(settings);
    const foreign = { ...blobCreated('incoming/a.csv'), topic: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/other' };

    // Act
    const rejected = await batcher(foreign, { invocationId: 'inv-1' });
    process.env.TRIGGER_SETTINGS = JSON.stringify({ ...settings, stateTableEndpoint: 'not a url' });
    const misconfiguredEvent = await batcher(blobCreated('incoming/a.csv'), { invocationId: 'inv-2' }).catch((error: unknown) => error);
    const misconfiguredFlush = await flush({ isPastDue: false }, { invocationId: 'inv-3' }).catch((error: unknown) => error);

    // Assess
    expect(rejected).toMatchObject({ status: 'rejected', error: { field: 'event.topic' } });
    // The entry point was loaded in isolation, with its own copy of the class: it is recognised by its name.
    expect(misconfiguredEvent).toMatchObject({ name: RedeliveryRequested.name, outcome: { status: 'misconfigured' } });
    expect(misconfiguredFlush).toMatchObject({ name: RedeliveryRequested.name, outcome: { status: 'misconfigured', error: { field: 'TRIGGER_SETTINGS.stateTableEndpoint' } } });
    expect(logs.lines.map((l) => l.decision)).toEqual(['rejected', 'misconfigured', 'misconfigured']);
  }, ENTRY_TIMEOUT);
});
