import { Duration, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';
import type { EventDeclarationOptions, EventSchema } from './event-schema';
import { declarationsOf } from './private/event-declarations';
import { registerBusArchive } from './private/event-catch-up';

const NAME = /^[a-z0-9_-]{1,32}$/;

/** Where the publish client sends events: a bus's name and the source namespace its triggers match. */
export interface EventBusTarget {
  /** The bus's name. */
  readonly eventBusName: string;
  /** The `source` every event must carry: `ml-triggers`, or `ml-triggers.<project>.<branch>`. */
  readonly source: string;
  /**
   * The schemas the bus declares for its events' `data`, by event name, as JSON: the publish clients
   * validate an event of a declared name before they send it.
   * @default - no declared events: every event is untyped
   */
  readonly schemas?: { [eventName: string]: unknown };
}

/** The project and branch that namespace a bus's events. */
export interface TriggerEventNamespaceProps {
  /**
   * The project the bus belongs to; with `branch`, it namespaces the bus's events and its rules.
   * @default - no project: one namespace for the account
   */
  readonly project?: string;
  /**
   * The branch of the project (a deployment such as `main` or `new_model`); a branch never reacts to
   * another branch's events.
   * @default 'main' when a project is given
   */
  readonly branch?: string;
}

/** A bus that event triggers listen on: a {@link TriggerEventBus}, or a bus you have, through `TriggerEventBus.fromEventBus`. */
export interface ITriggerEventBus extends IConstruct {
  /** The EventBridge bus. */
  readonly bus: events.IEventBus;
  /** The `source` of every event triggers react to: `ml-triggers`, or `ml-triggers.<project>.<branch>`. */
  readonly eventSource: string;
  /** The project, when the bus is namespaced by one. */
  readonly project?: string;
  /** The branch, when the bus is namespaced by a project. */
  readonly branch?: string;
  /** Lets `grantee` publish events on this bus, with this bus's source only. */
  grantPublish(grantee: iam.IGrantable): iam.Grant;
  /** What the publish client needs (`cdk-ml-triggers/publish`), with the schemas declared so far. */
  readonly publishTarget: EventBusTarget;
  /**
   * Declares the schema of the `data` of events called `name`: triggers reading the event are checked
   * against it at synth (templates, filters), their function drops an event that does not conform (counted
   * as `EventsFailingSchema`), and the publish clients refuse one before sending. Declare an event before
   * the triggers that read it.
   */
  declareEvent(name: string, options: EventDeclarationOptions): void;
  /** The schema declared for `name`, if any. */
  eventSchema(name: string): EventSchema | undefined;
}

/** Properties of a {@link TriggerEventBus}. */
export interface TriggerEventBusProps extends TriggerEventNamespaceProps {
  /**
   * How long the archive keeps events for replay.
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;
}

/** The namespace of a bus's events, checked: `branch` needs a project, names are short and lowercase. */
function namespace(props: TriggerEventNamespaceProps): { project?: string; branch?: string; eventSource: string } {
  if (props.branch !== undefined && props.project === undefined) {
    throw new Error(`branch '${props.branch}' needs a project: give project too, or leave branch out`);
  }
  for (const [prop, value] of [['project', props.project], ['branch', props.branch]] as const) {
    if (value !== undefined && !Token.isUnresolved(value) && !NAME.test(value)) {
      throw new Error(`${prop} must be 1-32 lowercase letters, digits, - or _, got '${value}'`);
    }
  }
  const branch = props.project ? (props.branch ?? 'main') : undefined;
  return { project: props.project, branch, eventSource: props.project ? `ml-triggers.${props.project}.${branch}` : 'ml-triggers' };
}

/** What every trigger bus does with its bus and namespace, whoever created the bus. */
abstract class TriggerEventBusBase extends Construct implements ITriggerEventBus {
  public abstract readonly bus: events.IEventBus;
  public abstract readonly eventSource: string;
  public abstract readonly project?: string;
  public abstract readonly branch?: string;

  public grantPublish(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['events:PutEvents'],
      resourceArns: [this.bus.eventBusArn],
      conditions: { StringEquals: { 'events:source': this.eventSource } },
    });
  }

  public get publishTarget(): EventBusTarget {
    const schemas = declarationsOf(this).all();
    return { eventBusName: this.bus.eventBusName, source: this.eventSource, ...(schemas ? { schemas } : {}) };
  }

  public declareEvent(name: string, options: EventDeclarationOptions): void {
    declarationsOf(this).declare(name, options.schema);
  }

  public eventSchema(name: string): EventSchema | undefined {
    return declarationsOf(this).schemaOf(name);
  }
}

/**
 * A custom EventBridge bus for platform events (`model.added`, `deployment.failed`, your own names),
 * with an archive for replay. Events on it carry `source` = {@link eventSource}, the bus's namespace,
 * and `detail-type` = the event name.
 */
export class TriggerEventBus extends TriggerEventBusBase {
  /**
   * Uses a bus you already have (`events.IEventBus`) for event triggers. Nothing is created: no bus and
   * no archive; events on it must carry the namespace's `source` to reach the triggers.
   */
  public static fromEventBus(scope: Construct, id: string, eventBus: events.IEventBus, props: TriggerEventNamespaceProps = {}): ITriggerEventBus {
    return new ExistingTriggerEventBus(scope, id, eventBus, namespace(props));
  }

  /** The bus. */
  public readonly bus: events.IEventBus;
  /** The `source` of every event on this bus: `ml-triggers`, or `ml-triggers.<project>.<branch>`. */
  public readonly eventSource: string;
  public readonly project?: string;
  public readonly branch?: string;

  constructor(scope: Construct, id: string, props: TriggerEventBusProps = {}) {
    super(scope, id);
    const names = namespace(props);
    this.project = names.project;
    this.branch = names.branch;
    this.eventSource = names.eventSource;

    const bus = new events.EventBus(this, 'Bus', {
      // Named like the source: project and branch cannot hold a dot, so no two namespaces share a name.
      ...(this.project ? { eventBusName: this.eventSource } : {}),
      description: `cdk-ml-triggers platform events (${this.eventSource})`,
    });
    const retention = props.archiveRetention ?? Duration.days(30);
    const archive = bus.archive('Archive', {
      description: `Replay of ${this.eventSource} events`,
      eventPattern: { source: [this.eventSource] },
      retention,
    });
    // Event triggers that catch up when they are turned back on replay from this archive.
    registerBusArchive(this, archive, retention);
    this.bus = bus;
  }
}

class ExistingTriggerEventBus extends TriggerEventBusBase {
  public readonly eventSource: string;
  public readonly project?: string;
  public readonly branch?: string;

  constructor(
    scope: Construct,
    id: string,
    public readonly bus: events.IEventBus,
    names: { project?: string; branch?: string; eventSource: string },
  ) {
    super(scope, id);
    this.project = names.project;
    this.branch = names.branch;
    this.eventSource = names.eventSource;
  }
}
