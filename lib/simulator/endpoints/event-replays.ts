import { startAwsJsonEndpoint, type AwsJsonReply } from './aws-json';
import type { LocalEndpoint } from './loopback';

/** A StartReplay request as the local EventBridge received it, its times as epoch milliseconds. */
export interface ReplayRequest {
  readonly ReplayName: string;
  readonly EventSourceArn: string;
  readonly EventStartTimeMs: number;
  readonly EventEndTimeMs: number;
  readonly Destination: { readonly Arn: string; readonly FilterArns?: readonly string[] };
  /** The body exactly as sent (awsJson1_1: times as epoch seconds). */
  readonly body: Readonly<Record<string, unknown>>;
}

/** EventBridge's StartReplay and DescribeRule over awsJson1_1 on 127.0.0.1; point `AWS_ENDPOINT_URL_EVENTBRIDGE` at `endpoint`. */
export interface LocalEventReplays extends LocalEndpoint {
  /** Every StartReplay request received, in order, whether it started a replay or not. */
  readonly requests: readonly ReplayRequest[];
  /** The replays started, by name: a second request of a name is refused with ResourceAlreadyExistsException, as EventBridge does. */
  readonly started: ReadonlyMap<string, ReplayRequest>;
}

export interface LocalEventReplaysOptions {
  /** A rule's state (`ENABLED`, `DISABLED`) by its bus (`default` for the default bus) and name; undefined for no such rule. @default every rule is ENABLED */
  readonly ruleState?: (busName: string, ruleName: string) => string | undefined;
  /** Told of each replay started, before the request is answered (the simulator delivers the archived events after the invocation). */
  readonly replay?: (request: ReplayRequest) => void;
}

/** Starts a local EventBridge that serves StartReplay (and DescribeRule, for the rule a replay waits for), refusing a replay name it has seen, as EventBridge does. */
export async function startLocalEventReplays(options: LocalEventReplaysOptions = {}): Promise<LocalEventReplays> {
  const requests: ReplayRequest[] = [];
  const started = new Map<string, ReplayRequest>();

  function serve(target: string, rawBody: string): AwsJsonReply {
    if (target === 'AWSEvents.DescribeRule') return describeRule(JSON.parse(rawBody || '{}') as Record<string, unknown>);
    if (target !== 'AWSEvents.StartReplay') return { status: 400, body: { __type: 'UnknownOperationException', message: `Unknown operation ${target}` }, error: 'UnknownOperationException' };
    const body = JSON.parse(rawBody || '{}') as Record<string, unknown>;
    const request: ReplayRequest = {
      ReplayName: String(body.ReplayName),
      EventSourceArn: String(body.EventSourceArn),
      EventStartTimeMs: Number(body.EventStartTime) * 1000,
      EventEndTimeMs: Number(body.EventEndTime) * 1000,
      Destination: body.Destination as ReplayRequest['Destination'],
      body,
    };
    requests.push(request);
    if (started.has(request.ReplayName)) {
      return { status: 400, body: { __type: 'ResourceAlreadyExistsException', message: `Replay ${request.ReplayName} already exists.` }, error: 'ResourceAlreadyExistsException' };
    }
    started.set(request.ReplayName, request);
    options.replay?.(request);
    return { status: 200, body: { ReplayArn: `${request.EventSourceArn.replace(/:archive\/.*$/, ':replay/')}${request.ReplayName}`, State: 'STARTING', ReplayStartTime: Date.now() / 1000 } };
  }

  function describeRule(body: Record<string, unknown>): AwsJsonReply {
    const busName = typeof body.EventBusName === 'string' ? body.EventBusName : 'default';
    const name = String(body.Name);
    const state = options.ruleState ? options.ruleState(busName, name) : 'ENABLED';
    if (state === undefined) return { status: 400, body: { __type: 'ResourceNotFoundException', message: `Rule ${name} does not exist on EventBus ${busName}.` }, error: 'ResourceNotFoundException' };
    return { status: 200, body: { Name: name, EventBusName: busName, State: state } };
  }

  const { endpoint, close } = await startAwsJsonEndpoint(serve);
  return { endpoint, close, requests, started };
}
