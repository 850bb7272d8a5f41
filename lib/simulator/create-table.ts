/**
 * DynamoDB's `CreateTable` input for a table a template declares. Only what shapes the data is kept: keys,
 * attributes, indexes, capacity and streams. Encryption, backups, time to live, tags, contributor insights and
 * deletion protection change nothing a local DynamoDB can show, and some of them CreateTable does not take.
 */

type Properties = Readonly<Record<string, unknown>>;

const INDEX_FIELDS = ['IndexName', 'KeySchema', 'Projection', 'ProvisionedThroughput'] as const;

function pick(source: Properties, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((field) => source[field] !== undefined).map((field) => [field, source[field]]));
}

const listOf = (value: unknown): Properties[] => (Array.isArray(value) ? (value as Properties[]) : []);

/** A CloudFormation `StreamSpecification` (`StreamViewType` only) in CreateTable's shape. */
function streamSpecification(value: unknown): Record<string, unknown> | undefined {
  const viewType = (value as Properties | undefined)?.StreamViewType;
  return viewType === undefined ? undefined : { StreamEnabled: true, StreamViewType: viewType };
}

/** The input for an `AWS::DynamoDB::Table`, whose properties are named as CreateTable names them. */
export function createTableFromTable(tableName: string, property: (name: string) => unknown): Record<string, unknown> {
  const input: Record<string, unknown> = {
    TableName: tableName,
    AttributeDefinitions: property('AttributeDefinitions'),
    KeySchema: property('KeySchema'),
    BillingMode: property('BillingMode'),
    ProvisionedThroughput: property('ProvisionedThroughput'),
    GlobalSecondaryIndexes: indexes(property('GlobalSecondaryIndexes'), INDEX_FIELDS),
    LocalSecondaryIndexes: indexes(property('LocalSecondaryIndexes'), ['IndexName', 'KeySchema', 'Projection']),
    StreamSpecification: streamSpecification(property('StreamSpecification')),
    TableClass: property('TableClass'),
  };
  return withoutUndefined(input);
}

/**
 * The input for an `AWS::DynamoDB::GlobalTable`, read as the replica in `region`: provisioned capacity comes from
 * the write settings and that replica's read settings (an auto-scaled capacity starts at its minimum).
 */
export function createTableFromGlobalTable(tableName: string, region: string, property: (name: string) => unknown): Record<string, unknown> {
  const replica = listOf(property('Replicas')).find((candidate) => candidate.Region === region) ?? {};
  const provisioned = property('BillingMode') === 'PROVISIONED';
  const throughput = (write: unknown, read: unknown): Record<string, unknown> | undefined =>
    provisioned ? { ReadCapacityUnits: capacityOf(read, 'Read') ?? capacityOf(write, 'Write') ?? 5, WriteCapacityUnits: capacityOf(write, 'Write') ?? 5 } : undefined;
  const replicaIndexes = listOf(replica.GlobalSecondaryIndexes);
  const globalIndexes = listOf(property('GlobalSecondaryIndexes')).map((index) =>
    withoutUndefined({
      ...pick(index, ['IndexName', 'KeySchema', 'Projection']),
      ProvisionedThroughput: throughput(
        index.WriteProvisionedThroughputSettings,
        replicaIndexes.find((candidate) => candidate.IndexName === index.IndexName)?.ReadProvisionedThroughputSettings,
      ),
    }),
  );
  return withoutUndefined({
    TableName: tableName,
    AttributeDefinitions: property('AttributeDefinitions'),
    KeySchema: property('KeySchema'),
    BillingMode: property('BillingMode'),
    ProvisionedThroughput: throughput(property('WriteProvisionedThroughputSettings'), replica.ReadProvisionedThroughputSettings),
    GlobalSecondaryIndexes: globalIndexes.length > 0 ? globalIndexes : undefined,
    LocalSecondaryIndexes: indexes(property('LocalSecondaryIndexes'), ['IndexName', 'KeySchema', 'Projection']),
    StreamSpecification: streamSpecification(property('StreamSpecification')),
    TableClass: replica.TableClass,
  });
}

function indexes(value: unknown, fields: readonly string[]): Record<string, unknown>[] | undefined {
  const list = listOf(value);
  return list.length > 0 ? list.map((index) => pick(index, fields)) : undefined;
}

/** A capacity from `ReadCapacityUnits`, or from the minimum of `<Read|Write>CapacityAutoScalingSettings`. */
function capacityOf(settings: unknown, direction: 'Read' | 'Write'): number | undefined {
  const values = (settings ?? {}) as Properties;
  const units = values[`${direction}CapacityUnits`] ?? (values[`${direction}CapacityAutoScalingSettings`] as Properties | undefined)?.MinCapacity;
  return units === undefined ? undefined : Number(units);
}

function withoutUndefined(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}
