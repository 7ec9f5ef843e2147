import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge, wildcardResource } from './private/acknowledgments';
import { notifyingAlarm } from './private/alarms';
import { validateApplicationName } from './private/encrypted-stream/names';
import { STREAM_READ_ACTIONS } from './private/kinesis-actions';
import { grantThroughManagedPolicy } from './private/managed-policy-grants';
import { resolveRemovalPolicy } from './private/removal-policy';
import { invalidProp } from './private/validation';
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
   * here is found by workers configured with the same name. 3 to 255 letters, digits,
   * `_`, `-` and `.`.
   */
  readonly applicationName: string;

  /**
   * The stream the application reads: any `kinesis.IStream`. When it has an `encryptionKey`,
   * workers are granted `kms:Decrypt` on it.
   */
  readonly stream: kinesis.IStream;
}

/** The KCL 3.x index on the lease table, which KCL creates itself when it is missing. */
const LEASE_OWNER_INDEX = 'LeaseOwnerToLeaseKeyIndex';

/** What a worker does on the lease table (and nothing else: no CreateTable, no DeleteTable). */
const LEASE_TABLE_ACTIONS = [
  'dynamodb:DescribeTable',
  'dynamodb:UpdateTable',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Scan',
  'dynamodb:Query',
];

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
 * exactly what a worker does on the stream, the table and CloudWatch metrics. Created by
 * `EncryptedStream.addKclApplication`.
 *
 * KCL 3.x keeps everything in the lease table when it uses the single table format
 * (KCL 3.5 and later, `migrateAllEntitiesToLeaseTable`); otherwise it tries to create two
 * more tables (`<name>-WorkerMetricStats`, `<name>-CoordinatorState`), which the worker
 * policy does not allow, on purpose: tables created at run time would escape this stack's
 * settings. KCL 2.x uses the lease table only.
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
    const name = props.applicationName;
    validateApplicationName(this, 'applicationName', name);
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
    this.workerStatements = [
      new iam.PolicyStatement({ actions: STREAM_READ_ACTIONS, resources: [props.stream.streamArn] }),
      new iam.PolicyStatement({ actions: LEASE_TABLE_ACTIONS, resources: [this.leaseTable.tableArn] }),
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [
          stack.formatArn({
            service: 'dynamodb',
            resource: 'table',
            resourceName: `${name}/index/${LEASE_OWNER_INDEX}`,
          }),
        ],
      }),
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
    const grant = grantThroughManagedPolicy(this.workerPolicy, grantee, this.workerStatements);
    if (!grant.success) {
      throw invalidProp(
        this,
        'grantWorker grantee',
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
