import { Duration, type Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { SharedTriggerFunction } from './shared-trigger-function';

const SHARED_ID = 'MlTriggersEvents';

/**
 * What every event trigger in a stack shares: the function that renders parameters, keeps joins and
 * starts runs, and the table that holds joins. Each trigger adds its rule.
 */
export class EventTriggerFunction extends SharedTriggerFunction {
  public static of(scope: Construct): EventTriggerFunction {
    return SharedTriggerFunction.sharedIn(scope, SHARED_ID, (stack, id) => new EventTriggerFunction(stack, id));
  }

  private constructor(scope: Stack, id: string) {
    super(scope, id, {
      ruleKind: 'mle',
      tableId: 'JoinTable',
      tableVariable: 'JOIN_TABLE_NAME',
      handler: 'events',
      description: 'cdk-ml-triggers: renders event parameters, keeps event joins, and starts runs for event triggers.',
      timeout: Duration.seconds(30),
      ids: { logGroup: 'Logs', role: 'Role', function: 'Function' },
    });
  }
}
