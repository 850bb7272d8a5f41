import { DataAzurermFunctionAppHostKeys } from '@cdktf/provider-azurerm/lib/data-azurerm-function-app-host-keys';
import { MonitorActionGroup } from '@cdktf/provider-azurerm/lib/monitor-action-group';
import { MonitorMetricAlert } from '@cdktf/provider-azurerm/lib/monitor-metric-alert';
import { Fn, Token } from 'cdktf';
import { Construct } from 'constructs';
import type { AzureDriftSettings } from '../../lambda/core/contracts/azure-functions';
import { DEFAULT_DRIFT_THRESHOLDS, parseDriftConfig } from '../../lambda/core/contracts/drift';
import { pipelineParameters } from '../../lambda/core/pipeline-parameters';
import type { AzureMLPipeline } from './azure-ml-pipeline';
import { azureDeploymentHash } from './deployment-hash';
import { AzureFunctionDeployment } from './function-deployment';
import type { IAzureTriggerFunction } from './trigger-function';
import { pipelineTarget } from './pipeline-target';

/** Scores at which drift becomes medium, high and critical. */
export interface AzureMLDriftThresholds {
  readonly medium: number;
  readonly high: number;
  readonly critical: number;
}

/** Properties of an {@link AzureMLDriftTrigger}. */
export interface AzureMLDriftTriggerProps {
  readonly pipeline: AzureMLPipeline;
  /** The ARM ids of the resources the drift metric lives on, such as an Application Insights component; of one type. */
  readonly scopes: string[];
  /** The metric's namespace, such as `azure.applicationinsights` for custom metrics of Application Insights. */
  readonly metricNamespace: string;
  /** The metric that carries the drift score. */
  readonly metricName: string;
  /** The score above which the alert fires; the function then decides from the score. @default 0 */
  readonly alertThreshold?: number;
  /** The metric's dimension that names the feature. @default 'feature' */
  readonly featureDimension?: string;
  /** @default { medium: 0.1, high: 0.3, critical: 0.5 } */
  readonly thresholds?: AzureMLDriftThresholds;
  /** @default - none */
  readonly featureThresholds?: { [feature: string]: AzureMLDriftThresholds };
  /** Whether medium drift retrains. @default false */
  readonly autoRetrain?: boolean;
  /** Static pipeline parameters. @default - none */
  readonly parameters?: { [name: string]: string };
}

const ARM_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/([^/]+\/[^/]+)\/[^/]+$/i;

/**
 * Retrains an Azure ML pipeline on drift: an Azure Monitor metric alert on the drift score (its maximum, per feature)
 * calls the drift function through an action group, and the function scores the severity with the same rules as the
 * AWS `DriftTrigger`.
 */
export class AzureMLDriftTrigger extends Construct {
  readonly alert: MonitorMetricAlert;
  readonly actionGroup: MonitorActionGroup;
  readonly handler: IAzureTriggerFunction;
  readonly triggerId: string;

  constructor(scope: Construct, id: string, props: AzureMLDriftTriggerProps) {
    super(scope, id);
    const drift = { thresholds: props.thresholds ?? DEFAULT_DRIFT_THRESHOLDS, featureThresholds: props.featureThresholds ?? {}, autoRetrain: props.autoRetrain ?? false };
    const parsed = parseDriftConfig(drift);
    if (!parsed.ok) throw new Error(`${parsed.error.field} ${parsed.error.problem}`);
    const parameters = pipelineParameters(props.parameters ?? {});
    if (!parameters.ok) throw new Error(`${parameters.error.field} ${parameters.error.problem}`);
    if (props.scopes.length === 0) throw new Error('scopes must name at least one resource the metric lives on, got none');
    const types = new Set<string>();
    for (const resourceId of props.scopes) {
      if (Token.isUnresolved(resourceId)) continue;
      const match = ARM_ID.exec(resourceId);
      if (!match) throw new Error(`scopes must hold ARM resource ids (/subscriptions/.../providers/<namespace>/<type>/<name>), got '${resourceId}'`);
      types.add(match[1].toLowerCase());
    }
    if (types.size > 1) throw new Error(`scopes must be resources of one type, got ${[...types].join(', ')}`);
    if (!/^[\w.\-/]{1,256}$/.test(props.metricNamespace)) throw new Error(`metricNamespace must be a metric namespace such as azure.applicationinsights, got '${props.metricNamespace}'`);
    if (!/^[^<>%&:\\?*]{1,256}$/.test(props.metricName)) throw new Error(`metricName must be 1-256 characters without < > % & : \\ ? *, got '${props.metricName}'`);
    const alertThreshold = props.alertThreshold ?? 0;
    if (!Number.isFinite(alertThreshold)) throw new Error(`alertThreshold must be a finite number, got ${alertThreshold}`);
    const featureDimension = props.featureDimension ?? 'feature';
    if (!/^[^<>%&:\\?*]{1,256}$/.test(featureDimension)) throw new Error(`featureDimension must be a dimension name, got '${featureDimension}'`);

    const { pipeline } = props;
    const hash = azureDeploymentHash(this, pipeline, 12);
    this.triggerId = `drift-${hash}`;
    const alertName = `mlt-${this.triggerId}`;
    // The alert's id is known before it exists, which keeps function -> action group -> alert free of a cycle.
    const alertRuleId = `/subscriptions/${pipeline.subscriptionId}/resourceGroups/${pipeline.resourceGroup}/providers/Microsoft.Insights/metricAlerts/${alertName}`;
    const settings = {
      triggerId: this.triggerId,
      ...pipelineTarget(pipeline),
      parameters: props.parameters ?? {},
      drift,
      source: { alertRuleId, metricName: props.metricName },
    } satisfies AzureDriftSettings;
    const evaluator = new AzureFunctionDeployment(this, 'Evaluator', { functionName: 'drift', pipeline, settings });
    this.handler = evaluator;

    const keys = new DataAzurermFunctionAppHostKeys(this, 'Keys', {
      name: evaluator.functionApp.name,
      resourceGroupName: pipeline.resourceGroup,
      dependsOn: [evaluator.functionApp],
    });
    this.actionGroup = new MonitorActionGroup(this, 'Calls', {
      name: `mlt-${this.triggerId}`,
      resourceGroupName: pipeline.resourceGroup,
      location: 'global',
      shortName: `drift${hash.slice(0, 7)}`,
      azureFunctionReceiver: [{
        name: 'drift',
        functionAppResourceId: evaluator.functionApp.id,
        functionName: 'drift',
        // The default function key rides in the URL: it is a secret, so Terraform keeps it out of plans and logs.
        httpTriggerUrl: Fn.sensitive(`https://${evaluator.functionApp.defaultHostname}/api/drift?code=${keys.defaultFunctionKey}`),
        useCommonAlertSchema: true,
      }],
    });
    this.alert = new MonitorMetricAlert(this, 'Alert', {
      name: alertName,
      resourceGroupName: pipeline.resourceGroup,
      scopes: props.scopes,
      description: `cdk-ml-triggers: drift of ${pipeline.pipelineName} (${props.metricName})`,
      severity: 2,
      frequency: 'PT5M',
      windowSize: 'PT1H',
      autoMitigate: true,
      // An alert over several resources must name their type and region.
      ...(props.scopes.length > 1 && types.size === 1 ? { targetResourceType: [...types][0], targetResourceLocation: pipeline.location } : {}),
      criteria: [{
        metricNamespace: props.metricNamespace,
        metricName: props.metricName,
        aggregation: 'Maximum',
        operator: 'GreaterThan',
        threshold: alertThreshold,
        // One time series per feature, so that each feature's drift fires on its own.
        dimension: [{ name: featureDimension, operator: 'Include', values: ['*'] }],
        skipMetricValidation: true,
      }],
      action: [{ actionGroupId: this.actionGroup.id }],
    });
  }
}
