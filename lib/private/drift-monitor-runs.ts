import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcardResource } from './nag';

/**
 * The Distributed Map's reader of a run's manifest: aws-cdk-lib's JSON reader, whose grant covers the whole
 * bucket, limited to the monitor's own folder, where the plan step writes every manifest.
 */
class ManifestReader extends sfn.S3JsonItemReader {
  constructor(
    private readonly store: s3.IBucket,
    private readonly folder: string,
  ) {
    super({ bucket: store, key: sfn.JsonPath.stringAt('$.manifestKey') });
  }

  public providePolicyStatements(): iam.PolicyStatement[] {
    return [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.store.arnForObjects(`${this.folder}runs/*`)] })];
  }
}

/**
 * The monitor's runs: plan, then one assessment for a small window, or a Distributed Map over the window's slices and an
 * assessment that merges their sketches. The function reads the run from the store, never from the step's input.
 */
export function runDefinition(scope: Construct, fn: lambda.IFunction, bucket: s3.IBucket, storePrefix: string): sfn.StateMachine {
  const step = (id: string, payload: Record<string, unknown>) =>
    new tasks.LambdaInvoke(scope, id, { lambdaFunction: fn, payload: sfn.TaskInput.fromObject(payload), payloadResponseOnly: true, retryOnServiceExceptions: true });
  const plan = step('Plan', { action: 'plan', executionName: sfn.JsonPath.executionName, executionStartTime: sfn.JsonPath.executionStartTime });
  const assess = step('Assess', { action: 'assess', runId: sfn.JsonPath.stringAt('$.runId') });
  const sketch = step('SketchSlice', { action: 'sketch', runId: sfn.JsonPath.stringAt('$.runId'), slice: sfn.JsonPath.numberAt('$.slice') });
  const slices = new sfn.DistributedMap(scope, 'SketchSlices', {
    itemReader: new ManifestReader(bucket, storePrefix),
    itemSelector: { 'runId.$': '$.runId', 'slice.$': '$$.Map.Item.Value.slice' },
    maxConcurrency: 40,
    toleratedFailurePercentage: 0,
    resultPath: sfn.JsonPath.DISCARD,
  });
  const rejected = sfn.Condition.stringEquals('$.status', 'rejected');
  slices.itemProcessor(sketch.next(new sfn.Choice(scope, 'SliceRead').when(rejected, new sfn.Fail(scope, 'SliceRejected', { error: 'InputRejected' })).otherwise(new sfn.Succeed(scope, 'SliceDone'))));
  const assessed = assess.next(
    new sfn.Choice(scope, 'Assessed').when(rejected, new sfn.Fail(scope, 'AssessRejected', { error: 'InputRejected' })).otherwise(new sfn.Succeed(scope, 'Reported')),
  );
  const definition = plan.next(
    new sfn.Choice(scope, 'WindowSize')
      .when(sfn.Condition.stringEquals('$.mode', 'empty'), new sfn.Succeed(scope, 'NoCapture'))
      .when(sfn.Condition.stringEquals('$.mode', 'single'), assessed)
      .when(sfn.Condition.stringEquals('$.mode', 'fan-out'), slices.next(assess))
      .otherwise(new sfn.Fail(scope, 'PlanRejected', { error: 'InputRejected', cause: 'the plan step refused its input' })),
  );
  const logGroup = new logs.LogGroup(scope, 'RunLogs', { retention: logs.RetentionDays.THREE_MONTHS });
  const machine = new sfn.StateMachine(scope, 'Runs', {
    definitionBody: sfn.DefinitionBody.fromChainable(definition),
    timeout: Duration.hours(6),
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
  bucket.encryptionKey?.grantDecrypt(machine);
  acknowledgeRunGrants(machine, fn);
  acknowledgeWildcardResource(machine.role, bucket.arnForObjects(`${storePrefix}runs/*`), "The plan step names each run's manifest by the run, at run time; the grant covers reads of this monitor's runs only.");
  return machine;
}


/** Answers for the wildcards aws-cdk-lib writes into the state machine's grants. */
function acknowledgeRunGrants(machine: sfn.StateMachine, fn: lambda.IFunction): void {
  acknowledgeWildcardResource(machine.role, `${fn.functionArn}:*`, "Step Functions' Lambda task grant covers the function's versions too, whose numbers are not known in advance; it names the monitor's own function only.");
  acknowledge(machine.role, {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'Step Functions delivers run logs and X-Ray traces through the CloudWatch Logs log-delivery and X-Ray APIs, which take no resource-level permissions; aws-cdk-lib grants exactly those actions.',
  });
  // The policy aws-cdk-lib adds for a Distributed Map holds only its grants on this state machine's executions. Their
  // findings name an Fn::Select, whose brackets v2 would write into the reason: v2 gets the rule on that policy alone
  // (read first), v3 each finding.
  const mapPolicy = machine.node.tryFindChild('DistributedMapPolicy') as iam.Policy | undefined;
  if (!mapPolicy) return;
  const reason = "A Distributed Map starts, describes, stops and redrives child executions named at run time; aws-cdk-lib's policy for it covers executions of this state machine only.";
  acknowledge(mapPolicy, { id: 'AwsSolutions-IAM5', reason });
  const resources: unknown[] = (mapPolicy.document.toJSON()?.Statement ?? []).flatMap((statement: { Resource?: unknown }) => [statement.Resource].flat());
  for (const resource of resources) {
    if (typeof resource === 'string' && resource.endsWith('*')) acknowledgeWildcardResource(mapPolicy.node.defaultChild!, resource, reason);
  }
}
