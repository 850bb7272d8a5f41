import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * How the Lambda functions a construct deploys run: the settings a compliance check asks for that only
 * you can decide. The data-arrival triggers of a stack share one batcher function, and its event
 * triggers share one function too: a setting given on any of them applies to the shared function, and
 * two different values of one setting fail synth.
 */
export interface TriggerFunctionOptions {
  /**
   * X-Ray tracing of the functions. Turning it on adds X-Ray's write actions to their roles.
   * @default - no tracing; cdk-nag's Serverless-LambdaTracing is acknowledged with a reason naming this prop
   */
  readonly tracing?: lambda.Tracing;

  /**
   * The VPC to run the functions in. They call AWS APIs only (DynamoDB, S3, SageMaker, SNS, Lambda), so
   * their subnets need a NAT gateway or VPC endpoints for those services.
   * @default - outside any VPC; cdk-nag's LambdaInsideVPC (HIPAA, NIST, PCI packs) is acknowledged with a reason naming this prop
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets of `vpc` to run in; public subnets are refused, as Lambda gives functions no public IP.
   * @default - the VPC's default selection: private subnets with egress, else isolated ones
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security groups of the functions in `vpc`.
   * @default - one security group per function, allowing all outbound and no inbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * The KMS key that encrypts the functions' log groups. The key's policy gets a statement that lets
   * CloudWatch Logs in this account and region use it; a key imported from elsewhere needs that
   * statement in its own policy (synth warns).
   * @default - encrypted by CloudWatch Logs with its own keys
   */
  readonly logGroupEncryptionKey?: kms.IKey;

  /**
   * Concurrent executions reserved for each function, which is also the most it runs at once. At least 1.
   * @default - no reservation: the functions share the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
}
