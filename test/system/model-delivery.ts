import type { FakeSageMaker } from '../support/fake-sagemaker';
import type { Asked, ModelRecord, Progress } from './model-record';
import type { Faults, VirtualClock } from './system';

/** Deliveries of one input while faults are on; one more, fault-free, follows (faults eventually stop). */
const FAULTY_DELIVERIES = 3;
/** Between deliveries: past the batch claim (120 s) and the coordinator's request lease (60 s). */
const REDELIVERY_DELAY_MS = 150_000;

/** At-least-once delivery as Lambda and EventBridge do it, recording each attempt in `model`. */
export interface Delivery {
  /** Delivers one input at least once: again after each crash or failure, the last time without faults. */
  deliver<T>(label: string, invoke: () => Promise<T>): Promise<T | undefined>;
  /** Asks for a logical request and keeps it, so that the end phase can deliver it again while it is deferred. */
  ask(key: string, label: string, once: () => Promise<Progress>): Promise<void>;
}

export function deliveryOf(model: ModelRecord, clock: VirtualClock, faults: Faults, sagemaker: FakeSageMaker): Delivery {
  async function deliver<T>(label: string, invoke: () => Promise<T>): Promise<T | undefined> {
    for (let delivery = 0; delivery <= FAULTY_DELIVERIES; delivery++) {
      const faulty = delivery < FAULTY_DELIVERIES;
      faults.enabled = faulty;
      if (!faulty) sagemaker.clearFailures();
      model.deliveries++;
      // An invocation takes time: without it, two decisions of one request in one virtual millisecond share
      // a decision-log key, which no real pair of invocations does.
      clock.advance(1_000);
      const crashesBefore = faults.injected.length;
      try {
        const result = await invoke();
        if (faults.injected.length > crashesBefore) model.trace.push(`${new Date(clock.now()).toISOString()} ${label} (delivery ${delivery + 1}) succeeded after handling: ${faults.injected.slice(crashesBefore).join(', ')}`);
        return result;
      } catch (error) {
        model.trace.push(`${new Date(clock.now()).toISOString()} ${label} (delivery ${delivery + 1}) failed: ${faults.injected.slice(crashesBefore).join(', ') || (error instanceof Error ? error.message : String(error))}`);
        if (!faulty) model.lost.push({ label, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
        clock.advance(REDELIVERY_DELAY_MS);
      } finally {
        faults.enabled = false;
      }
    }
    return undefined;
  }

  async function ask(key: string, label: string, once: () => Promise<Progress>): Promise<void> {
    const redeliver = async (): Promise<Progress> => (await deliver(label, once)) ?? { state: 'open', reason: 'lost' };
    const asked: Asked = { key, progress: { state: 'open', reason: 'not yet delivered' }, redeliver };
    model.asked.set(key, asked);
    asked.progress = await redeliver();
  }

  return { deliver, ask };
}
