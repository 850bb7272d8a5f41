import { ArnFormat, Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { canonicalJson, sha256 } from '../../lambda/core/batching';
import { acknowledgeWildcardResource } from './nag';
import { shortHash } from './short-hash';

/** A shared function that receives events from many trigger rules and reads each trigger's configuration. */
export interface ConfiguredReceiver extends IConstruct {
  readonly function: lambda.Function;
  readonly deadLetterQueue: sqs.IQueue;
  /** Every rule sending to the function is named with this prefix; it also names the configuration path. */
  readonly ruleNamePrefix: string;
}

/** SSM's limit on a parameter value (the advanced tier, which intelligent tiering picks above 4 KB). */
const MAX_PARAMETER = 8192;
/**
 * What one reference (a token: a bucket or pipeline name, a function ARN) is counted as when packing
 * configurations into parameters: the names and ARNs a configuration holds resolve to fewer characters.
 */
const REFERENCE_ALLOWANCE = 256;
const TOKEN = /\$\{Token\[[^\]]*\]\}/g;

/** One parameter holding several triggers' configurations, `{ "<triggerId>": <configuration>, ... }`. */
interface Pack {
  readonly configs: Map<string, object>;
  bytes: number;
  parameter?: ssm.CfnParameter;
}

const RECEIVERS = new WeakMap<ConfiguredReceiver, TriggerRules>();

/** The parameter path, ending in `/`, under which the deployment writes the receiver's triggers' configurations. */
export function configurationPath(receiver: Pick<ConfiguredReceiver, 'ruleNamePrefix'>): string {
  return `/cdk-ml-triggers/${receiver.ruleNamePrefix.replace(/-$/, '')}/`;
}

/**
 * What a shared function accepts: the rules of this stack's triggers, one by one. Each rule gets a place
 * in the dead-letter queue's policy and, when it invokes the function, an invoke permission of its own,
 * both for its exact ARN, so no rule created elsewhere (whatever its name) can invoke the function or fill
 * its queue. (A rule that delivers into a queue the function reads is admitted by that queue's policy.)
 * The triggers' configurations are parameters the deployment writes under a path only this receiver
 * reads, packed several to a parameter (up to SSM's 8 KB), so that a trigger costs its rule, its
 * permission if it invokes, and a share of a parameter: 150 data-arrival triggers fit in a stack.
 */
class TriggerRules {
  readonly path: string;
  private readonly rules: events.IRule[] = [];
  private readonly packs: Pack[] = [];

  constructor(private readonly receiver: ConfiguredReceiver) {
    this.path = configurationPath(receiver);
    const stack = Stack.of(receiver.function);
    receiver.function.addEnvironment('TRIGGER_CONFIG_PATH', this.path);
    // A new value replaces every warm execution environment, whose cached configurations it empties.
    receiver.function.addEnvironment('TRIGGER_CONFIG_VERSION', Lazy.string({ produce: () => this.version(stack) }));
    // GetParametersByPath is authorized against the path asked for (Parameter Store's documentation); the
    // parameters under it are named as well, in case a partition authorizes each parameter returned.
    const parameterArn = (name: string) => stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const underPath = parameterArn(`${this.path.slice(1)}*`);
    receiver.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ssm:GetParametersByPath'], resources: [parameterArn(this.path.slice(1, -1)), underPath] }),
    );
    acknowledgeWildcardResource(
      receiver.function.role!,
      underPath,
      "Reads the configurations this stack's deployment wrote, one parameter per trigger, under a path named for the stack.",
    );
  }

  /** The queue's statement for the receiver's rules, made with the first rule: a receiver that schedules invoke has none. */
  private admitUndeliveredEvents(): void {
    const receiver = this.receiver;
    receiver.deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        // One statement per receiver: the batcher's and the event triggers' rules share the stack's queue.
        sid: `UndeliveredEventsOf${receiver.node.id}`,
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [receiver.deadLetterQueue.queueArn],
        conditions: {
          ArnEquals: { 'aws:SourceArn': Lazy.list({ produce: () => this.rules.map((rule) => rule.ruleArn) }) },
          StringEquals: { 'aws:SourceAccount': Stack.of(receiver.function).account },
        },
      }),
    );
  }

  /** Adds a trigger's configuration, and its rule when a rule delivers its events (a schedule's invocations need no rule). */
  add(rule: events.IRule | undefined, triggerId: string, config: object, bulk: string, invokes: boolean): void {
    if (this.packs.some((pack) => pack.configs.has(triggerId))) throw new Error(`triggerId '${triggerId}' is used by two triggers in this stack: give each its own`);
    // Its entry in a pack, `"<id>":<configuration>,`, each reference counted at its allowance.
    const bytes = Buffer.byteLength(`${JSON.stringify(triggerId)}:${canonicalJson(config).replace(TOKEN, 'x'.repeat(REFERENCE_ALLOWANCE))},`);
    if (bytes + 2 > MAX_PARAMETER) {
      throw new Error(`${bulk} make trigger ${triggerId}'s configuration ${bytes} bytes (a reference counted as ${REFERENCE_ALLOWANCE}), an SSM parameter holds at most ${MAX_PARAMETER}: shorten them`);
    }
    if (rule && this.rules.length === 0) this.admitUndeliveredEvents();
    if (rule) this.rules.push(rule);
    let pack = this.packs.at(-1);
    if (!pack || pack.bytes + bytes > MAX_PARAMETER) pack = this.newPack();
    pack.configs.set(triggerId, config);
    pack.bytes += bytes;
    if (!invokes || !rule) return;
    this.receiver.function.addPermission(`Invoke${shortHash(rule.node.path, 12)}`, {
      principal: new iam.ServicePrincipal('events.amazonaws.com'),
      sourceAccount: Stack.of(rule).account,
      sourceArn: rule.ruleArn,
    });
  }

  private newPack(): Pack {
    const pack: Pack = { configs: new Map(), bytes: 2 };
    const number = this.packs.push(pack);
    const stack = Stack.of(this.receiver);
    const parameter = new ssm.CfnParameter(this.receiver, `Configurations${number}`, {
      name: `${this.path}configs-${number}`,
      type: 'String',
      tier: 'Intelligent-Tiering',
      // Keys in canonical order; references resolve at deploy, escaped as JSON.
      value: Lazy.string({
        produce: () => {
          const canonical = canonicalJson(Object.fromEntries(pack.configs));
          return Token.isUnresolved(canonical) ? stack.toJsonString(JSON.parse(canonical)) : canonical;
        },
      }),
      description: `cdk-ml-triggers: configurations of ${this.receiver.node.id} triggers, written by their deployment`,
    });
    // The function's new version (its environment) is written after the configurations it stands for, so a
    // fresh execution environment never caches the configurations of the deployment before.
    this.receiver.function.node.addDependency(parameter);
    pack.parameter = parameter;
    return pack;
  }

  /** The parameter holding a trigger's configuration; undefined before the trigger is added. */
  parameterOf(triggerId: string): ssm.CfnParameter | undefined {
    return this.packs.find((pack) => pack.configs.has(triggerId))?.parameter;
  }

  /** A digest of every configuration as the template writes it (tokens as their references). */
  private version(stack: Stack): string {
    const all = this.packs.flatMap((pack) => [...pack.configs]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, config]) => [id, stack.resolve(config)]);
    return sha256(canonicalJson(all)).slice(0, 16);
  }
}

/** The rules and configurations of a receiver, made on first use. */
function rulesOf(receiver: ConfiguredReceiver): TriggerRules {
  let rules = RECEIVERS.get(receiver);
  if (!rules) {
    rules = new TriggerRules(receiver);
    RECEIVERS.set(receiver, rules);
  }
  return rules;
}

/**
 * Has the deployment update `rule` only after the parameter holding the trigger's configuration, so that the
 * configuration's versions tell when the rule may stop or start delivering: not before the version that turned the
 * trigger off or on. (The rule is added, with its configuration, when it binds its target.)
 */
export function updateRuleAfterConfiguration(receiver: ConfiguredReceiver, triggerId: string, rule: events.Rule): void {
  const parameter = rulesOf(receiver).parameterOf(triggerId);
  if (!parameter) throw new Error(`trigger ${triggerId} has no configuration yet: add its rule's target first`);
  rule.node.addDependency(parameter);
}

/**
 * Lets the receiver's function read the versions of the parameters holding its triggers' configurations: when the
 * deployment turned a trigger off and on.
 */
export function grantConfigurationHistory(receiver: ConfiguredReceiver): void {
  const stack = Stack.of(receiver.function);
  const underPath = stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${configurationPath(receiver).slice(1)}*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  receiver.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameterHistory'], resources: [underPath] }));
  acknowledgeWildcardResource(
    receiver.function.role!,
    underPath,
    "Reads the history of the configurations this stack's deployment wrote, under a path named for the stack, to learn when a trigger was off.",
  );
}

/**
 * Writes a trigger's configuration where the receiver's function reads it, for a trigger whose invocations
 * come from elsewhere than a rule (an EventBridge Scheduler schedule, whose role is granted the invoke).
 */
export function configureTrigger(receiver: ConfiguredReceiver, triggerId: string, config: object, bulk: string): void {
  rulesOf(receiver).add(undefined, triggerId, config, bulk, false);
}

/** A queue the receiver's function reads, which rules deliver into instead of invoking the function. */
export interface RuleQueue {
  readonly queue: sqs.IQueue;
  /** Lets `rule`, named by its exact ARN, send to the queue. */
  admit(rule: events.IRule): void;
}

/**
 * Sends each matched event as `{"triggerId": ..., "event": ...}` to the shared function, or into the queue
 * it reads, and the function reads the trigger's configuration from the parameter this target writes: the
 * invocation or message chooses nothing else.
 */
export class TriggerTarget implements events.IRuleTarget {
  constructor(
    private readonly receiver: ConfiguredReceiver,
    private readonly triggerId: string,
    private readonly config: object,
    /** What makes the configuration long, for the error that says what to shorten. */
    private readonly bulk: string,
    /** Where the rule delivers, when not to the function itself. */
    private readonly queue?: RuleQueue,
  ) {}

  public bind(rule: events.IRule): events.RuleTargetConfig {
    rulesOf(this.receiver).add(rule, this.triggerId, this.config, this.bulk, this.queue === undefined);
    this.queue?.admit(rule);
    return {
      arn: this.queue?.queue.queueArn ?? this.receiver.function.functionArn,
      input: events.RuleTargetInput.fromObject({ triggerId: this.triggerId, event: events.EventField.fromPath('$') }),
      deadLetterConfig: { arn: this.receiver.deadLetterQueue.queueArn },
      retryPolicy: { maximumEventAgeInSeconds: Duration.hours(6).toSeconds(), maximumRetryAttempts: 20 },
      targetResource: this.queue?.queue ?? this.receiver.function,
    };
  }
}
