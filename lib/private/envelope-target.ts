import { Duration, Stack, Token, ArnFormat } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { canonicalJson } from '../../lambda/core/batching';

/** A shared function that receives events from many trigger rules, each named with one prefix. */
export interface EnvelopeReceiver {
  readonly function: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  /** Every rule sending to the function is named with this prefix, which its single permission covers. */
  readonly ruleNamePrefix: string;
}

/** EventBridge's limit on an input template. */
const MAX_INPUT_TEMPLATE = 8192;

/**
 * Lets every rule named with the receiver's prefix invoke its function and put undeliverable events
 * into its dead-letter queue: one permission and one queue statement for any number of rules, because
 * one permission per rule overflows a function's 20 kB resource policy at about fifty rules.
 */
export function acceptRulesByPrefix(receiver: EnvelopeReceiver, permissionId: string): void {
  const stack = Stack.of(receiver.function);
  const ruleArnPattern = stack.formatArn({
    service: 'events',
    resource: 'rule',
    // Rules on a custom bus have the bus name in their ARN (`rule/<bus>/<name>`), on the default bus not.
    resourceName: `*${receiver.ruleNamePrefix}*`,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  receiver.function.addPermission(permissionId, {
    principal: new iam.ServicePrincipal('events.amazonaws.com'),
    sourceAccount: stack.account,
    sourceArn: ruleArnPattern,
  });
  receiver.deadLetterQueue.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: `${permissionId}DeadLetters`,
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [receiver.deadLetterQueue.queueArn],
      conditions: { ArnLike: { 'aws:SourceArn': ruleArnPattern } },
    }),
  );
}

/**
 * Sends each matched event, wrapped with the trigger's configuration (`{"trigger": ..., "event": ...}`),
 * to the shared function, so that it reads no configuration per event.
 */
export class EnvelopeTarget implements events.IRuleTarget {
  constructor(
    private readonly receiver: EnvelopeReceiver,
    private readonly config: object,
    /** What makes the template long, for the error that says what to shorten. */
    private readonly bulk: string,
  ) {}

  public bind(rule: events.IRule): events.RuleTargetConfig {
    const template = new EnvelopeInput(this.config);
    const rendered = template.bind(rule).inputTemplate ?? '';
    if (!Token.isUnresolved(rendered) && rendered.length > MAX_INPUT_TEMPLATE) {
      throw new Error(
        `${this.bulk} make the event template ${rendered.length} characters, EventBridge takes at most ${MAX_INPUT_TEMPLATE}: shorten them`,
      );
    }
    return {
      arn: this.receiver.function.functionArn,
      input: template,
      deadLetterConfig: { arn: this.receiver.deadLetterQueue.queueArn },
      retryPolicy: { maximumEventAgeInSeconds: Duration.hours(6).toSeconds(), maximumRetryAttempts: 20 },
      targetResource: this.receiver.function,
    };
  }
}

class EnvelopeInput extends events.RuleTargetInput {
  constructor(private readonly config: object) {
    super();
  }

  public bind(_rule: events.IRule): events.RuleTargetInputProperties {
    // `<` and `>` are escaped so that no configured text can look like a template placeholder.
    const config = canonicalJson(this.config).replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
    return { inputTemplate: `{"trigger":${config},"event":<aws.events.event>}` };
  }
}
