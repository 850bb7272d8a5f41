/**
 * Redeployments the simulator plays: one trigger disabled or enabled again, as a deployment of the app with that
 * trigger's `enabled` changed would do it. Its rules stop or resume matching (its schedule firing), the parameter
 * holding its configuration is written again, and Parameter Store puts its change event on the default bus.
 */
import { isRecord } from '../../lambda/core/result';
import type { S3Input, TriggerSwitchInput } from './events-file';
import type { SimulatedRule, SimulatedRuleTarget, SimulatedSchedule, SimulatedStack } from './model';
import { stableUuid, type DeliveryContext, type EventBridgeEvent } from './routing';

const MAX_STORED_BYTES = 1024 * 1024;

/** What a redeployment changed: whether any rule or configuration names the trigger, and the change event to deliver. */
export interface Redeployment {
  readonly found: boolean;
  readonly change?: EventBridgeEvent;
}

/** What a redeployment writes beside the rules: a configuration parameter, and the environment of the functions reading it. */
export interface RedeploymentWrites {
  putParameter(name: string, value: string): void;
  setEnvironment(functionName: string, variables: Readonly<Record<string, string>>): void;
}

/** The app's configuration parameters as last written, and the rules and schedules whose state a redeployment flips. */
export class Redeployments {
  private readonly parameters: Map<string, string>;
  /** The schedules a redeployment disabled or enabled, by logical id; the others are as deployed. */
  private readonly scheduleStates = new Map<string, boolean>();

  constructor(
    private readonly stacks: readonly SimulatedStack[],
    /** The world's rules: a switched trigger's rules are replaced in place with their new state. */
    private readonly rules: SimulatedRule[],
    private readonly writes: RedeploymentWrites,
    private readonly context: DeliveryContext,
    /** The local S3's endpoint, where landed objects are stored for a catch-up to list. */
    private readonly s3Endpoint: string,
  ) {
    this.parameters = new Map(stacks.flatMap((stack) => stack.parameters).map((parameter) => [parameter.name, parameter.value]));
  }

  /** Whether the schedule fires: as deployed, unless a redeployment switched its trigger. */
  scheduleEnabled(schedule: SimulatedSchedule): boolean {
    return this.scheduleStates.get(schedule.logicalId) ?? schedule.enabled;
  }

  /**
   * Stores an object that landed, its content zeros (at most 1 MiB of them), where a trigger that catches up lists
   * it; only in an app that has a rule on Parameter Store's changes, so that simulations of many objects stay quick.
   */
  async landed(input: S3Input): Promise<void> {
    if (!this.rules.some((rule) => isRecord(rule.eventPattern) && JSON.stringify(rule.eventPattern.source) === '["aws.ssm"]')) return;
    const url = `${this.s3Endpoint}/${encodeURIComponent(input.bucket)}/${input.key.split('/').map(encodeURIComponent).join('/')}`;
    const response = await fetch(url, { method: 'PUT', body: new Uint8Array(Math.min(input.size ?? 0, MAX_STORED_BYTES)) });
    if (!response.ok) throw new Error(`cannot store the object of line ${input.line} at s3://${input.bucket}/${input.key}: HTTP ${response.status}`);
  }

  /**
   * Disables or enables the trigger the line names, at `atMs`: its rules, or a scheduled trigger's schedule (which
   * names its trigger in its metadata), and its configuration, whose new value gives the functions reading its path
   * a new `TRIGGER_CONFIG_VERSION`, as the deployment does.
   */
  switchTrigger(input: TriggerSwitchInput): Redeployment {
    const enabled = input.kind === 'enable';
    let found = false;
    this.rules.forEach((rule, index) => {
      if (!rule.targets.some((target) => sendsTrigger(target, input.triggerId))) return;
      this.rules[index] = { ...rule, enabled };
      found = true;
    });
    for (const schedule of this.stacks.flatMap((stack) => stack.schedules)) {
      if (schedule.triggerId !== input.triggerId) continue;
      this.scheduleStates.set(schedule.logicalId, enabled);
      found = true;
    }
    for (const [name, value] of this.parameters) {
      const rewritten = withEnabled(value, input.triggerId, enabled);
      if (rewritten === undefined) continue;
      this.parameters.set(name, rewritten);
      this.writes.putParameter(name, rewritten);
      for (const fn of this.stacks.flatMap((stack) => stack.functions)) {
        const path = fn.environment.TRIGGER_CONFIG_PATH;
        if (path !== undefined && name.startsWith(path)) this.writes.setEnvironment(fn.functionName, { TRIGGER_CONFIG_VERSION: `${fn.environment.TRIGGER_CONFIG_VERSION ?? ''}+line${input.line}` });
      }
      return { found: true, change: parameterStoreChange(name, input.atMs, `${input.line}#${input.kind}`, this.context) };
    }
    return { found };
  }
}

/** Whether a rule's target sends `{ "triggerId": ID, ... }` for the trigger: the input every trigger rule of the library sends. */
function sendsTrigger(target: SimulatedRuleTarget, triggerId: string): boolean {
  const text = target.inputTransformer?.inputTemplate ?? target.input;
  if (text === undefined) return false;
  try {
    const input = JSON.parse(text.replace(/<[\w.-]+>/g, 'null')) as unknown;
    return isRecord(input) && input.triggerId === triggerId;
  } catch {
    return false;
  }
}

/** The parameter's configurations with the trigger's `enabled` as a deployment writes it (left out when on); undefined when it holds no such trigger. */
function withEnabled(value: string, triggerId: string, enabled: boolean): string | undefined {
  let pack: unknown;
  try {
    pack = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!isRecord(pack) || !Object.hasOwn(pack, triggerId) || !isRecord(pack[triggerId])) return undefined;
  const { enabled: _was, ...config } = pack[triggerId] as Record<string, unknown>;
  return JSON.stringify({ ...pack, [triggerId]: enabled ? config : { ...config, enabled: false } });
}

/** Parameter Store's "Parameter Store Change" event for an update of a String parameter. */
export function parameterStoreChange(name: string, atMs: number, seed: string, context: DeliveryContext): EventBridgeEvent {
  return {
    version: '0',
    id: stableUuid(`ssm#${seed}#${name}`),
    'detail-type': 'Parameter Store Change',
    source: 'aws.ssm',
    account: context.account,
    time: `${new Date(atMs).toISOString().slice(0, 19)}Z`,
    region: context.region,
    resources: [`arn:aws:ssm:${context.region}:${context.account}:parameter/${name.replace(/^\//, '')}`],
    detail: { operation: 'Update', name, type: 'String', description: '' },
  };
}
