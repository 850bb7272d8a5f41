import type { Duration } from 'aws-cdk-lib';
import type * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type { EventTriggerMode } from '../../lambda/core/contracts/event-trigger';
import type { ITriggerEventBus } from '../trigger-event-bus';

/** What an `EventSource` tells its trigger: checked at construction, read once by the trigger. */
export interface EventSourceConfig {
  readonly mode: EventTriggerMode;
  /** The event names: one for `event`, two or more for `join`, none for `chain`. */
  readonly names: string[];
  readonly bus?: ITriggerEventBus;
  /** The join's window; only for `join`. */
  readonly within?: Duration;
  readonly filter?: { [field: string]: unknown };
  /** The upstream pipeline; only for `chain`. */
  readonly upstream?: sagemaker.IPipelineRef;
}
