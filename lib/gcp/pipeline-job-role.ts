import { TerraformStack } from 'cdktf';
import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role';
import { Construct } from 'constructs';
import { deploymentHash, type GoogleLocation } from './deployment-hash';

/**
 * What the functions call on the project: projects.locations.pipelineJobs.create, which "requires the following IAM
 * permission on the parent resource: aiplatform.pipelineJobs.create" (Vertex AI REST reference). Acting as the
 * pipeline's own account (iam.serviceAccounts.actAs) is granted on that one account, not here: in a project-level
 * role it would let the functions act as every account of the project.
 */
export const PIPELINE_JOB_PERMISSIONS: readonly string[] = ['aiplatform.pipelineJobs.create'];

/**
 * The custom role that lets a function create pipeline jobs and nothing else, one per stack, project and region.
 * Role ids are unique per project, so the id is hashed like every Google name here: two stacks, or one stack in two
 * regions, never share one. A deleted role keeps its id for 7 days (Terraform undeletes it when the stack comes back)
 * and can hold it up to 37 days, so a stack destroyed and deployed again in between fails to create its role.
 */
export class PipelineJobRole extends Construct {
  /** The role of `location` in the stack of `scope`, created with its first user. */
  static of(scope: Construct, location: GoogleLocation): PipelineJobRole {
    const stack = TerraformStack.of(scope);
    const id = `MlTriggersPipelineJobs-${location.project}-${location.region}`;
    return (stack.node.tryFindChild(id) as PipelineJobRole | undefined) ?? new PipelineJobRole(stack, id, location);
  }

  readonly role: ProjectIamCustomRole;

  private constructor(scope: Construct, id: string, location: GoogleLocation) {
    super(scope, id);
    // Role ids: 3-64 letters, digits, underscores and periods (IAM projects.roles.create); 23 + 12 characters here.
    this.role = new ProjectIamCustomRole(this, 'Role', {
      project: location.project,
      roleId: `mlTriggersPipelineJobs_${deploymentHash(this, location, 12)}`,
      title: 'cdk-ml-triggers: create Vertex AI pipeline jobs',
      // Descriptions hold at most 256 bytes: no stack name, which may be long.
      description: `Lets the cdk-ml-triggers functions in ${location.region} create Vertex AI pipeline jobs, and nothing else.`,
      permissions: [...PIPELINE_JOB_PERMISSIONS],
    });
  }
}
