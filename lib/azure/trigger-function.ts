import type { EventgridSystemTopicEventSubscription } from '@cdktf/provider-azurerm/lib/eventgrid-system-topic-event-subscription';
import type { FunctionAppFlexConsumption } from '@cdktf/provider-azurerm/lib/function-app-flex-consumption';
import type { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import type { IConstruct } from 'constructs';

/**
 * A trigger's Azure function: a Flex Consumption function app with its own user-assigned identity, and the Event Grid
 * subscription that delivers its events, which retries and then dead-letters.
 */
export interface IAzureTriggerFunction extends IConstruct {
  /** The function app (one function). */
  readonly functionApp: FunctionAppFlexConsumption;
  /** The identity the function app runs as and reaches its storage with. */
  readonly identity: UserAssignedIdentity;
  /**
   * The Event Grid subscription that delivers the trigger's events to the function.
   * @default - none: the function is called some other way (an alert's action group, a timer)
   */
  readonly eventSubscription?: EventgridSystemTopicEventSubscription;
}
