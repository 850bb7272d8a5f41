import type { Cloudfunctions2Function } from '@cdktf/provider-google/lib/cloudfunctions2-function';
import type { PubsubSubscription } from '@cdktf/provider-google/lib/pubsub-subscription';
import type { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic';
import type { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import type { IConstruct } from 'constructs';

/**
 * A trigger's Cloud Function (2nd gen) with its own service account, fed by a push subscription that
 * retries with backoff and hands undeliverable messages to a dead-letter topic.
 */
export interface IVertexTriggerFunction extends IConstruct {
  /** The function. */
  readonly function: Cloudfunctions2Function;
  /** The identity the function runs as. */
  readonly serviceAccount: ServiceAccount;
  /** The push subscription that delivers the trigger's messages. */
  readonly subscription: PubsubSubscription;
  /** Where messages go that the function could not handle. */
  readonly deadLetterTopic: PubsubTopic;
}
