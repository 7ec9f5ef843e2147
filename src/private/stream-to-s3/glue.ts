import { ArnFormat, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { OutputKind } from './features';
import type { StreamToS3Column, StreamToS3Schema } from '../../stream-to-s3';

/*
 * aws-cdk-lib has no stable Glue L2 (the Database and Table constructs live in the alpha module
 * @aws-cdk/aws-glue-alpha, which a stable library cannot depend on), so the table Firehose reads its schema
 * from is written with the L1s. The storage descriptor matches what Firehose writes, so that Athena and Glue
 * jobs can read the objects with the same table.
 */

/** The Hive input format, output format and SerDe of each serializer Firehose writes. */
const STORAGE: Record<OutputKind, { input: string; output: string; serde: string; classification: string }> = {
  parquet: {
    input: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    output: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
    serde: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    classification: 'parquet',
  },
  orc: {
    input: 'org.apache.hadoop.hive.ql.io.orc.OrcInputFormat',
    output: 'org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat',
    serde: 'org.apache.hadoop.hive.ql.io.orc.OrcSerde',
    classification: 'orc',
  },
};

/** The table Firehose reads the schema from, however it was given. */
export interface ResolvedSchema {
  readonly databaseName: string;
  readonly tableName: string;
  readonly catalogId?: string;
  readonly region?: string;
  readonly versionId: string;
  /** The catalog, database and table, as IAM names them, for glue:GetTable and friends. */
  readonly arns: string[];
  /** What the delivery stream must wait for (a table this construct creates). */
  readonly dependable?: Construct;
}

/**
 * A name from the construct path, unique per stack: lowercase letters, digits and underscores, which Glue
 * stores as written and Athena reads unquoted.
 */
function generatedName(scope: Construct): string {
  return Names.uniqueResourceName(scope, { maxLength: 255, separator: '_' })
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
}

export interface CreateTableOptions {
  readonly kind: OutputKind;
  /** `s3://bucket/prefix/`: where Firehose writes the objects. */
  readonly location: string;
  readonly removalPolicy: RemovalPolicy;
}

/** The schema's table: a given one, or a database (unless one is named) and table created under `scope`. */
export function resolveSchema(scope: Construct, schema: StreamToS3Schema, options: CreateTableOptions): ResolvedSchema {
  const stack = Stack.of(scope);
  if (schema.glueTable !== undefined) {
    const { databaseName, tableName, catalogId, region, versionId } = schema.glueTable;
    return {
      databaseName,
      tableName,
      catalogId,
      region,
      versionId: versionId ?? 'LATEST',
      arns: glueArns(stack, databaseName, tableName, catalogId, region),
    };
  }
  const columnsOptions = schema.columnsOptions ?? {};
  let databaseName = columnsOptions.databaseName;
  let database: glue.CfnDatabase | undefined;
  if (databaseName === undefined) {
    database = new glue.CfnDatabase(scope, 'SchemaDatabase', {
      catalogId: stack.account,
      databaseInput: {
        // A database created without a name gets one Athena cannot use (tables-databases-columns-names.html).
        name: generatedName(scope),
        description: `Schema of the records delivered by ${scope.node.path}`,
      },
    });
    database.applyRemovalPolicy(options.removalPolicy);
    databaseName = database.ref;
  }
  const storage = STORAGE[options.kind];
  const tableName = columnsOptions.tableName ?? generatedName(scope);
  const table = new glue.CfnTable(scope, 'SchemaTable', {
    catalogId: stack.account,
    databaseName,
    tableInput: {
      name: tableName,
      description: `Schema Firehose converts the records of ${scope.node.path} with`,
      tableType: 'EXTERNAL_TABLE',
      parameters: { classification: storage.classification, EXTERNAL: 'TRUE' },
      storageDescriptor: {
        columns: schema.columns!.map(columnProperty),
        location: options.location,
        inputFormat: storage.input,
        outputFormat: storage.output,
        serdeInfo: { serializationLibrary: storage.serde },
      },
    },
  });
  table.applyRemovalPolicy(options.removalPolicy);
  return {
    databaseName,
    tableName,
    versionId: 'LATEST',
    arns: glueArns(stack, databaseName, tableName, undefined, undefined),
    dependable: table,
  };
}

function columnProperty(column: StreamToS3Column): glue.CfnTable.ColumnProperty {
  return { name: column.name, type: column.dataType, comment: column.comment };
}

/**
 * glue:GetTable and its siblings are authorized on the catalog, the database and the table together
 * ("Specifying AWS Glue resource ARNs", https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html).
 */
function glueArns(
  stack: Stack,
  databaseName: string,
  tableName: string,
  catalogId: string | undefined,
  region: string | undefined,
): string[] {
  const arn = (resource: string, resourceName?: string) =>
    stack.formatArn({
      service: 'glue',
      resource,
      resourceName,
      region,
      account: catalogId,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  return [arn('catalog'), arn('database', databaseName), arn('table', `${databaseName}/${tableName}`)];
}

/** What Firehose needs to read the table's schema (controlling-access.html, "Grant Firehose access to AWS Glue"). */
export function schemaStatement(resolved: ResolvedSchema): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
    resources: resolved.arns,
  });
}
