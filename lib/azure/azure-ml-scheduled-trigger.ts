import { LogicAppActionCustom } from '@cdktf/provider-azurerm/lib/logic-app-action-custom';
import { LogicAppTriggerCustom } from '@cdktf/provider-azurerm/lib/logic-app-trigger-custom';
import { LogicAppWorkflow } from '@cdktf/provider-azurerm/lib/logic-app-workflow';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { TimeZone, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { jobPath, pipelineJobBody } from '../../lambda/core/azure-ml-job';
import { AZURE_ML_API_VERSION, type AzureMLTarget } from '../../lambda/core/contracts/azure-functions';
import { jobLabels } from '../../lambda/core/pipeline-job';
import { pipelineParameters } from '../../lambda/core/pipeline-parameters';
import { validateIntegerInRange } from '../private/validation';
import type { TriggerSchedule } from '../trigger-schedule';
import type { AzureMLPipeline } from './azure-ml-pipeline';
import { azureDeploymentHash } from './deployment-hash';
import { AzureMLJobSubmitterRole } from './job-submitter-role';
import { logicAppsRecurrence } from './logic-app-recurrence';
import { windowsTimeZone } from './windows-time-zones';
import { pipelineTarget } from './pipeline-target';

/** Properties of an {@link AzureMLScheduledTrigger}. */
export interface AzureMLScheduledTriggerProps {
  readonly pipeline: AzureMLPipeline;
  /**
   * When to start it, as the AWS `ScheduledTrigger` takes it: `TriggerSchedule.cron('0 3 ? * MON *')` or `.rate(...)`.
   * Logic Apps has no specific months or years, `L`, `W` or `#`, and no one-time runs; synth fails on those.
   */
  readonly schedule: TriggerSchedule;
  /**
   * The IANA time zone the schedule is read in; the Logic App gets its Windows equivalent from CLDR's mapping.
   * @default TimeZone.ETC_UTC
   */
  readonly timeZone?: TimeZone;
  /**
   * Static pipeline parameters, as literal job inputs.
   * @default - none
   */
  readonly parameters?: { [name: string]: string };
  /**
   * How often the Logic App resends a submission that timed out or got 408, 429 or 5xx, at exponential intervals
   * (Logic Apps allows 1-90).
   * @default 4
   */
  readonly retryCount?: number;
  /**
   * Whether the Logic App runs its schedule.
   * @default true
   */
  readonly enabled?: boolean;
}

/** The ARM endpoint the Logic App submits to, and the audience of its managed identity's token. */
const ARM_ENDPOINT = 'https://management.azure.com';
const ARM_AUDIENCE = `${ARM_ENDPOINT}/`;
const SUBMIT_ACTION = 'SubmitPipelineJob';
/** The run's id in Logic Apps: the correlation id ARM logs, and a tag of the job it submitted. */
const RUN_NAME = '@{workflow().run.name}';
/** The firing's scheduled time (UTC): a retried action and a repeated firing name the same job. */
const FIRING = "@{formatDateTime(trigger().scheduledTime, 'yyyyMMddHHmm')}";
const JOB_NAME_PLACEHOLDER = 'JOB_NAME';

/**
 * Starts an Azure ML pipeline on a schedule with no function: a Logic App whose Recurrence trigger fires in the
 * schedule's time zone and whose HTTP action submits one pipeline job per firing through the Azure ML REST API, as a
 * user-assigned managed identity that holds only the job-submitter role on the workspace. The job is named after the
 * firing, so a resent request meets the job the first one created (409), which counts as success.
 */
export class AzureMLScheduledTrigger extends Construct {
  readonly workflow: LogicAppWorkflow;
  /** The identity the Logic App submits jobs as. */
  readonly identity: UserAssignedIdentity;
  /** The `ml-trigger-id` tag of every job this trigger submits, and the prefix of their names. */
  readonly triggerId: string;
  /** The Windows time zone the recurrence runs in (`W. Europe Standard Time`). */
  readonly timeZone: string;

  constructor(scope: Construct, id: string, props: AzureMLScheduledTriggerProps) {
    super(scope, id);
    const ianaZone = (props.timeZone ?? TimeZone.ETC_UTC).timezoneName;
    if (Token.isUnresolved(ianaZone)) throw new Error('timeZone must be a concrete TimeZone such as TimeZone.EUROPE_BERLIN, got an unresolved token');
    this.timeZone = windowsTimeZone(ianaZone, 'timeZone');
    const recurrence = logicAppsRecurrence(props.schedule, this.timeZone);
    const retryCount = props.retryCount ?? 4;
    validateIntegerInRange('retryCount', retryCount, 1, 90);
    const parameters = pipelineParameters(props.parameters ?? {});
    if (!parameters.ok) throw new Error(`${parameters.error.field} ${parameters.error.problem}`);

    const { pipeline } = props;
    const hash = azureDeploymentHash(this, pipeline, 12);
    this.triggerId = `sched-${hash}`;
    const where = { resourceGroupName: pipeline.resourceGroup, location: pipeline.location };
    this.identity = new UserAssignedIdentity(this, 'Identity', { name: `mlt-${this.triggerId}`, ...where });
    this.workflow = new LogicAppWorkflow(this, 'Workflow', {
      name: `mlt-${this.triggerId}`,
      ...where,
      enabled: props.enabled ?? true,
      identity: { type: 'UserAssigned', identityIds: [this.identity.id] },
    });
    new RoleAssignment(this, 'SubmitsJobs', {
      principalId: this.identity.principalId,
      principalType: 'ServicePrincipal',
      scope: pipeline.workspaceId,
      roleDefinitionId: AzureMLJobSubmitterRole.of(this, pipeline).role.roleDefinitionResourceId,
    });

    new LogicAppTriggerCustom(this, 'Recurrence', {
      name: 'Recurrence',
      logicAppId: this.workflow.id,
      body: JSON.stringify({ type: 'Recurrence', recurrence }),
    });
    const target: AzureMLTarget = { ...pipelineTarget(pipeline), triggerId: this.triggerId, parameters: props.parameters ?? {} };
    const submit = new LogicAppActionCustom(this, 'SubmitPipelineJob', {
      name: SUBMIT_ACTION,
      logicAppId: this.workflow.id,
      body: JSON.stringify(submitAction(target, this.identity.id, retryCount)),
    });
    new LogicAppActionCustom(this, 'AcceptExistingJob', {
      name: 'AcceptExistingJob',
      logicAppId: this.workflow.id,
      body: JSON.stringify(acceptExistingJob()),
      dependsOn: [submit],
    });
  }
}

/** The job name of a firing: the trigger id, the kind letter of pipelineJobId, and the scheduled minute. */
function scheduledJobName(triggerId: string): string {
  return `${triggerId}-s-${FIRING}`;
}

/**
 * The HTTP action: Jobs - Create Or Update with the body the functions send (pipelineJobBody), as the identity.
 * Logic Apps resends on a timeout, 408, 429 and 5xx only, so a 4xx answer is final.
 */
function submitAction(target: AzureMLTarget, identityId: string, retryCount: number): Record<string, unknown> {
  const name = scheduledJobName(target.triggerId);
  const path = jobPath(target, JOB_NAME_PLACEHOLDER).replace(new RegExp(`${JOB_NAME_PLACEHOLDER}$`), name);
  return {
    type: 'Http',
    inputs: {
      method: 'PUT',
      uri: `${ARM_ENDPOINT}${path}?api-version=${AZURE_ML_API_VERSION}`,
      headers: {
        'Content-Type': 'application/json',
        'x-ms-correlation-request-id': RUN_NAME,
        'x-ms-client-request-id': RUN_NAME,
      },
      body: pipelineJobBody(target, {
        name,
        parameters: target.parameters,
        tags: { ...jobLabels(target.triggerId, 'scheduled'), 'ml-trigger-run': RUN_NAME },
      }),
      authentication: { type: 'ManagedServiceIdentity', identity: identityId, audience: ARM_AUDIENCE },
      retryPolicy: { type: 'exponential', count: retryCount, interval: 'PT20S', minimumInterval: 'PT10S', maximumInterval: 'PT1H' },
    },
    runAfter: {},
  };
}

/**
 * Runs only when the submission failed: 409 means an earlier attempt for this firing created the job, which is what
 * was asked for, so the run succeeds; anything else ends the run as failed with ARM's answer.
 */
function acceptExistingJob(): Record<string, unknown> {
  const status = `@outputs('${SUBMIT_ACTION}')?['statusCode']`;
  return {
    type: 'If',
    expression: { and: [{ equals: [status, 409] }] },
    actions: {},
    else: {
      actions: {
        SubmissionFailed: {
          type: 'Terminate',
          inputs: {
            runStatus: 'Failed',
            runError: { code: `@{outputs('${SUBMIT_ACTION}')?['statusCode']}`, message: `@{body('${SUBMIT_ACTION}')}` },
          },
          runAfter: {},
        },
      },
    },
    runAfter: { [SUBMIT_ACTION]: ['Failed', 'TimedOut'] },
  };
}
