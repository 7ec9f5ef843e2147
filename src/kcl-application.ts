import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { acknowledge, wildcardResource } from './private/acknowledgments';
import { notifyingAlarm } from './private/alarms';
import { registerKclApplication } from './private/encrypted-stream/consumers';
import { kclTableNames, validateApplicationName } from './private/encrypted-stream/names';
import { Blame, blameFor } from './private/encrypted-stream/origin';
import { validateGrantee, validateReference, validateRemovalPolicyArgument } from './private/encrypted-stream/values';
import { KCL_CONSUMER_ACTIONS, KCL_STREAM_ACTIONS } from './private/kinesis-actions';
import { grantThroughManagedPolicy } from './private/managed-policy-grants';
import { claimPhysicalName } from './private/physical-names';
import { resolveRemovalPolicy } from './private/removal-policy';
import { invalidProp, methodArgument } from './private/validation';
import { StackAlarmTopic } from './stack-alarm-topic';

/**
 * Options of a KCL application added with `EncryptedStream.addKclApplication`.
 */
export interface KclApplicationOptions {
  /**
   * What happens to the lease table and its backup vault when they leave the stack.
   *
   * The lease table has deletion protection unless this is `DESTROY`: CloudFormation cannot delete a
   * protected table, so a stack that should delete it would fail to delete instead. AWS Backup refuses
   * to delete a vault that still holds recovery points; with `DESTROY`, delete them first.
   *
   * @default - in `addKclApplication`, the stream's removal policy; otherwise RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * The topic the lease table's alarms notify.
   *
   * @default - in `addKclApplication`, the stream's alarm topic; otherwise the stack-wide alarm topic,
   * `StackAlarmTopic.of(this).topic`
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * Properties of a KclApplication.
 */
export interface KclApplicationProps extends KclApplicationOptions {
  /**
   * The KCL application name. KCL names its lease table after it, so the table created
   * here is found by workers configured with the same name, and KCL 3.x names two more tables
   * after it (`<name>-WorkerMetricStats`, `<name>-CoordinatorState`). 3 to 237 letters, digits,
   * `_`, `-` and `.` (DynamoDB table names are at most 255 characters). Table names are unique in
   * an account and Region, so two KCL applications never share a name, even on different streams.
   */
  readonly applicationName: string;

  /**
   * The stream the application reads: any `kinesis.IStream`. When it has an `encryptionKey`,
   * workers are granted `kms:Decrypt` on it.
   */
  readonly stream: kinesis.IStream;
}

/*
 * What a worker does on its DynamoDB tables, exactly as the Kinesis Data Streams developer guide lists it
 * ("IAM permissions required for KCL consumer applications",
 * https://docs.aws.amazon.com/streams/latest/dev/kcl-iam-permissions.html). KCL calls DescribeTable first and
 * CreateTable only for a table that does not exist, so the lease table created here is used as it is.
 */
const LEASE_TABLE_ACTIONS = [
  'dynamodb:CreateTable',
  'dynamodb:DescribeTable',
  'dynamodb:UpdateTable',
  'dynamodb:Scan',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
];

/** On KCL 3.x's worker metrics and coordinator state tables (same guide), which KCL creates itself. */
const KCL_3_TABLE_ACTIONS = [
  'dynamodb:CreateTable',
  'dynamodb:DescribeTable',
  'dynamodb:Scan',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
];

/** On the global secondary indexes of the lease table (same guide): KCL 3.x adds and queries its own. */
const LEASE_INDEX_ACTIONS = ['dynamodb:Query'];

/** The data-plane operations of LEASE_TABLE_ACTIONS: the ones DynamoDB reports metrics for. */
const LEASE_TABLE_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.DELETE_ITEM,
  dynamodb.Operation.SCAN,
  dynamodb.Operation.QUERY,
];

/**
 * What a Kinesis Client Library application needs besides its code: the lease table
 * (named after the application, on-demand, point-in-time recovery, deletion protection,
 * in a daily backup plan), alarms on the lease table, and one customer-managed policy with
 * what the Kinesis Data Streams developer guide lists for KCL workers ("IAM permissions required
 * for KCL consumer applications"): read the stream, register and use its own enhanced fan-out
 * consumer (KCL 2.x and 3.x read with enhanced fan-out by default), use its tables, and publish
 * CloudWatch metrics in the application's namespace. Created by `EncryptedStream.addKclApplication`.
 *
 * KCL 3.x creates two more tables itself, `<name>-WorkerMetricStats` and `<name>-CoordinatorState`
 * (unless it keeps everything in the lease table); the worker policy allows exactly that. KCL does
 * not delete them: remove them when the application is retired. Their settings (billing mode,
 * point-in-time recovery, deletion protection) are KCL's `WorkerMetricsTableConfig` and
 * `CoordinatorStateTableConfig`.
 */
export class KclApplication extends Construct {
  /** The KCL application name, which is also the lease table's name. */
  public readonly applicationName: string;

  /** The lease table: leases and checkpoints, one item per shard. */
  public readonly leaseTable: dynamodb.Table;

  /** The daily backup plan the lease table is in. */
  public readonly backupPlan: backup.BackupPlan;

  /** The policy a worker needs; attached to each role passed to `grantWorker`. */
  public readonly workerPolicy: iam.ManagedPolicy;

  /** The topic the alarms notify. */
  public readonly alarmTopic: sns.ITopic;

  /**
   * Alarms when requests to the lease table are throttled: workers then fail to renew or take
   * leases, and shards go unread until they succeed.
   */
  public readonly leaseTableThrottledRequestsAlarm: cloudwatch.Alarm;

  /** Alarms when requests to the lease table fail with a DynamoDB internal error (HTTP 500). */
  public readonly leaseTableSystemErrorsAlarm: cloudwatch.Alarm;

  private readonly workerStatements: iam.PolicyStatement[];

  constructor(scope: Construct, id: string, props: KclApplicationProps) {
    super(scope, id);
    const blame = blameFor(this);
    if (typeof props !== 'object' || props === null) {
      throw invalidProp(this, 'props', 'must give applicationName and stream', props);
    }
    const name = props.applicationName;
    validateApplicationName(blame.scope, blame.prop('applicationName'), name);
    if (props.stream === undefined) {
      throw invalidProp(blame.scope, blame.prop('stream'), 'must be given (a kinesis.IStream)', props.stream);
    }
    validateReference(blame.scope, blame.prop('stream'), props.stream, 'streamArn', 'a kinesis.IStream');
    validateReference(blame.scope, blame.prop('alarmTopic'), props.alarmTopic, 'topicArn', 'an sns.ITopic');
    validateRemovalPolicyArgument(
      blame.scope,
      blame.prop('removalPolicy'),
      props.removalPolicy,
      'DynamoDB tables and backup vaults',
    );
    claimTableNames(blame, this, name);
    const removalPolicy = resolveRemovalPolicy(this, props.removalPolicy, 'DynamoDB tables and backup vaults');
    this.applicationName = name;

    this.leaseTable = new dynamodb.Table(this, 'LeaseTable', {
      tableName: name,
      partitionKey: { name: 'leaseKey', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // A protected table cannot be deleted by CloudFormation: with DESTROY the stack's deletion would fail.
      deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy,
    });

    this.backupPlan = this.backUp(this.leaseTable);
    this.backupPlan.backupVault.applyRemovalPolicy(removalPolicy);

    const stack = Stack.of(this);
    const consumers = `${props.stream.streamArn}/consumer/*`;
    const leaseIndexes = `${this.leaseTable.tableArn}/index/*`;
    this.workerStatements = [
      new iam.PolicyStatement({ actions: KCL_STREAM_ACTIONS, resources: [props.stream.streamArn] }),
      new iam.PolicyStatement({ actions: KCL_CONSUMER_ACTIONS, resources: [consumers] }),
      new iam.PolicyStatement({ actions: LEASE_TABLE_ACTIONS, resources: [this.leaseTable.tableArn] }),
      new iam.PolicyStatement({
        actions: KCL_3_TABLE_ACTIONS,
        resources: kclTableNames(name)
          .slice(1)
          .map((table) => stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: table })),
      }),
      new iam.PolicyStatement({ actions: LEASE_INDEX_ACTIONS, resources: [leaseIndexes] }),
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        // KCL publishes its metrics under the application name.
        conditions: { StringEquals: { 'cloudwatch:namespace': name } },
      }),
      ...(props.stream.encryptionKey
        ? [new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.stream.encryptionKey.keyArn] })]
        : []),
    ];
    this.workerPolicy = new iam.ManagedPolicy(this, 'WorkerPolicy', {
      description: `What a worker of the KCL application ${name} needs (${this.node.path})`,
      statements: this.workerStatements,
    });
    acknowledge(
      this.workerPolicy,
      wildcardResource(
        this.workerPolicy,
        '*',
        'cloudwatch:PutMetricData supports no resource-level permission; the statement is limited to the KCL application namespace by the cloudwatch:namespace condition.',
      ),
    );
    acknowledge(
      this.workerPolicy,
      wildcardResource(
        this.workerPolicy,
        consumers,
        "A KCL worker registers its own enhanced fan-out consumer at run time, whose ARN ends in its creation time; the Kinesis developer guide grants SubscribeToShard and DescribeStreamConsumer on <stream ARN>/consumer/*, this stream's consumers only.",
      ),
    );
    acknowledge(
      this.workerPolicy,
      wildcardResource(
        this.workerPolicy,
        leaseIndexes,
        "KCL adds its own global secondary indexes to the lease table at run time; the Kinesis developer guide grants Query on <lease table ARN>/index/*, this table's indexes only.",
      ),
    );
    registerKclApplication(props.stream, this);

    this.alarmTopic = props.alarmTopic ?? StackAlarmTopic.of(this).topic;
    this.leaseTableThrottledRequestsAlarm = notifyingAlarm(this, 'LeaseTableThrottledRequestsAlarm', {
      alarmTopic: this.alarmTopic,
      description: `Requests of ${this.node.path} to its lease table are throttled: workers fail to renew or take leases, and shards go unread.`,
      metric: this.leaseTableOperationsSum('ThrottledRequests'),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    this.leaseTableSystemErrorsAlarm = notifyingAlarm(this, 'LeaseTableSystemErrorsAlarm', {
      alarmTopic: this.alarmTopic,
      description: `Requests of ${this.node.path} to its lease table fail with DynamoDB internal errors: workers retry, and lease renewals may lapse.`,
      metric: this.leaseTableOperationsSum('SystemErrors'),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
  }

  /** Every alarm of the application. */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.leaseTableThrottledRequestsAlarm, this.leaseTableSystemErrorsAlarm];
  }

  /**
   * Lets the grantee run workers of this application. A role (created here or imported) gets the
   * customer-managed worker policy attached; a user or group gets its statements in its own policy.
   * The Grant holds the worker statements. A principal that takes no statements (a service or an
   * account principal) is refused: workers run as a role, user or group.
   */
  public grantWorker(grantee: iam.IGrantable): iam.Grant {
    const blame = blameFor(this);
    const prop = blame.scope === this ? methodArgument('grantWorker', 'grantee') : blame.prop('grantee');
    validateGrantee(blame.scope, prop, grantee);
    const grant = grantThroughManagedPolicy(this.workerPolicy, grantee, this.workerStatements);
    if (!grant.success) {
      throw invalidProp(
        blame.scope,
        prop,
        'must be a role, user or group: its policy takes the worker statements',
        grantee.grantPrincipal.toString(),
      );
    }
    return grant;
  }

  /**
   * The sum over the lease table's operations of a metric DynamoDB reports per `TableName` and `Operation`
   * only, and only when it is not zero. Each operation is filled with 0 where it has no data point, so that
   * a quiet operation does not hide another's throttles or errors from the sum.
   */
  private leaseTableOperationsSum(metricName: string): cloudwatch.MathExpression {
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    for (const operation of LEASE_TABLE_OPERATIONS) {
      usingMetrics[operation.toLowerCase()] = this.leaseTable.metric(metricName, {
        dimensionsMap: { TableName: this.leaseTable.tableName, Operation: operation },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      });
    }
    const filled = Object.keys(usingMetrics).map((id) => `FILL(${id}, 0)`);
    return new cloudwatch.MathExpression({
      expression: `SUM([${filled.join(', ')}])`,
      usingMetrics,
      label: `${metricName} of the lease table, all operations`,
      period: Duration.minutes(5),
    });
  }

  private backUp(table: dynamodb.Table): backup.BackupPlan {
    const plan = backup.BackupPlan.daily35DayRetention(this, 'BackupPlan');
    const role = new iam.Role(this, 'BackupRole', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: `Backs up the lease table of ${this.node.path}`,
    });
    // The DynamoDB part of AWSBackupServiceRolePolicyForBackup, for this table and vault only
    // (AWS Backup's advanced DynamoDB backups, the default for accounts since November 2021).
    new iam.ManagedPolicy(this, 'BackupPolicy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: [
            'dynamodb:DescribeTable',
            'dynamodb:ListTagsOfResource',
            'dynamodb:CreateBackup',
            'dynamodb:StartAwsBackupJob',
          ],
          resources: [table.tableArn],
        }),
      ],
    });
    plan.addSelection('LeaseTable', {
      resources: [backup.BackupResource.fromDynamoDbTable(table)],
      role,
      disableDefaultBackupPolicy: true,
    });
    return plan;
  }
}

const TOKEN_NAMES = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Claims the tables' names: DynamoDB table names are unique in an account and Region, and KCL finds the
 * lease table by the application name, so two KCL applications with one name (on any streams) would share
 * their leases. KCL 3.x's two tables are claimed too, so that an application named like another's
 * `-WorkerMetricStats` table is refused.
 */
function claimTableNames(blame: Blame, application: IConstruct, applicationName: string): void {
  if (Token.isUnresolved(applicationName)) {
    // Deploy-time names are compared by the token they are: the same token given twice is the same name.
    const root = blame.scope.node.root;
    const given = TOKEN_NAMES.get(root) ?? new Map<string, string>();
    TOKEN_NAMES.set(root, given);
    const earlier = given.get(applicationName);
    if (earlier !== undefined) {
      throw invalidProp(
        blame.scope,
        blame.prop('applicationName'),
        `must give a DynamoDB table name unique within one account and region; the same deploy-time value is already the name of ${earlier}`,
        applicationName,
      );
    }
    given.set(applicationName, blame.scope.node.path);
    return;
  }
  const [leaseTable, ...kcl3Tables] = kclTableNames(applicationName);
  const path = application.node.path;
  claimPhysicalName(blame.scope, {
    kind: 'DynamoDB table',
    name: leaseTable,
    prop: blame.prop('applicationName'),
    what: `the lease table of ${path}`,
  });
  for (const table of kcl3Tables) {
    claimPhysicalName(blame.scope, {
      kind: 'DynamoDB table',
      name: table,
      prop: blame.prop('applicationName'),
      what: `the KCL 3.x table ${table} of ${path}`,
    });
  }
}
