import { Duration, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Properties of a {@link TriggerEventBus}. */
export interface TriggerEventBusProps {
  /**
   * The project the bus belongs to; with `branch`, it namespaces the bus, its events and its rules.
   * @default - no project: one bus for the account
   */
  readonly project?: string;
  /**
   * The branch of the project (a deployment such as `main` or `new_model`); a branch never reacts to
   * another branch's events.
   * @default 'main' when a project is given
   */
  readonly branch?: string;
  /**
   * How long the archive keeps events for replay.
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;
}

const NAME = /^[a-z0-9_-]{1,32}$/;

/**
 * A custom EventBridge bus for platform events (`model.added`, `deployment.failed`, your own names),
 * with an archive for replay. Events on it carry `source` = {@link eventSource}, the bus's namespace,
 * and `detail-type` = the event name.
 */
export class TriggerEventBus extends Construct {
  /** The bus. */
  public readonly bus: events.IEventBus;
  /** The `source` of every event on this bus: `ml-triggers`, or `ml-triggers.<project>.<branch>`. */
  public readonly eventSource: string;
  public readonly project?: string;
  public readonly branch?: string;

  constructor(scope: Construct, id: string, props: TriggerEventBusProps = {}) {
    super(scope, id);
    if (props.branch !== undefined && props.project === undefined) {
      throw new Error(`branch '${props.branch}' needs a project: give project too, or leave branch out`);
    }
    for (const [prop, value] of [['project', props.project], ['branch', props.branch]] as const) {
      if (value !== undefined && !Token.isUnresolved(value) && !NAME.test(value)) {
        throw new Error(`${prop} must be 1-32 lowercase letters, digits, - or _, got '${value}'`);
      }
    }
    this.project = props.project;
    this.branch = props.project ? (props.branch ?? 'main') : undefined;
    this.eventSource = this.project ? `ml-triggers.${this.project}.${this.branch}` : 'ml-triggers';

    const bus = new events.EventBus(this, 'Bus', {
      ...(this.project ? { eventBusName: `${this.project}-${this.branch}-ml-triggers` } : {}),
      description: `cdk-ml-triggers platform events (${this.eventSource})`,
    });
    bus.archive('Archive', {
      description: `Replay of ${this.eventSource} events`,
      eventPattern: { source: [this.eventSource] },
      retention: props.archiveRetention ?? Duration.days(30),
    });
    this.bus = bus;
  }

  /** Lets `grantee` publish events on this bus, with this bus's source only. */
  public grantPublish(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['events:PutEvents'],
      resourceArns: [this.bus.eventBusArn],
      conditions: { StringEquals: { 'events:source': this.eventSource } },
    });
  }

  /** What the publish client needs (`cdk-ml-triggers/publish`): pass it to your services, e.g. as environment variables. */
  public get publishTarget(): { eventBusName: string; source: string } {
    return { eventBusName: this.bus.eventBusName, source: this.eventSource };
  }
}
