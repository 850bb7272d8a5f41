import type { Duration } from 'aws-cdk-lib';
import type * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type { EventTriggerMode } from '../../lambda/core/contracts/event-trigger';
import type { ITriggerEventBus } from '../trigger-event-bus';

/** What an `EventSource` tells its trigger: checked at construction, read once by the trigger. */
export interface EventSourceConfig {
  readonly mode: EventTriggerMode;
  /** The event names: one or more for `event`, two or more for `join` and `sequence`, none for `chain`. */
  readonly names: string[];
  readonly bus?: ITriggerEventBus;
  /** The join's window; only for `join` and `sequence`. */
  readonly within?: Duration;
  readonly filter?: { [field: string]: unknown };
  /** How many names complete the join; only for `join`, absent for all. */
  readonly minimum?: number;
  /** The field of `data` that keys the join; only for `join` and `sequence`. */
  readonly forEach?: string;
  /** The upstream pipeline; only for `chain`. */
  readonly upstream?: sagemaker.IPipelineRef;
}
