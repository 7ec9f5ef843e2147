import { RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { STREAM_READ_ACTIONS } from './private/kinesis-actions';
import { invalidProp } from './private/validation';

/**
 * Properties of a KclApplication.
 */
export interface KclApplicationProps {
  /**
   * The KCL application name. KCL names its lease table after it, so the table created
   * here is found by workers configured with the same name. 3 to 255 letters, digits,
   * `_`, `-` and `.`.
   */
  readonly applicationName: string;

  /** The stream the application reads. */
  readonly stream: kinesis.IStream;

  /**
   * The key the stream's records are encrypted with.
   *
   * @default - none: the stream uses the AWS-managed key
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The topic alarms notify (reserved for alarms on the lease table).
   *
   * @default - the stack-wide alarm topic
   */
  readonly alarmTopic?: sns.ITopic;
}

/** The KCL 3.x index on the lease table, which KCL creates itself when it is missing. */
const LEASE_OWNER_INDEX = 'LeaseOwnerToLeaseKeyIndex';

/**
 * What a Kinesis Client Library application needs besides its code: the lease table
 * (named after the application, on-demand, point-in-time recovery, deletion protection,
 * in a daily backup plan) and one customer-managed policy with exactly what a worker does
 * on the stream, the table and CloudWatch metrics. Created by `EncryptedStream.addKclApplication`.
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

  constructor(scope: Construct, id: string, props: KclApplicationProps) {
    super(scope, id);
    const name = props.applicationName;
    if (!Token.isUnresolved(name) && !/^[A-Za-z0-9_.-]{3,255}$/.test(name)) {
      throw invalidProp(
        this,
        'applicationName',
        'must be 3 to 255 letters, digits, hyphens, underscores and periods (it names the DynamoDB lease table)',
        name,
      );
    }
    this.applicationName = name;

    this.leaseTable = new dynamodb.Table(this, 'LeaseTable', {
      tableName: name,
      partitionKey: { name: 'leaseKey', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.backupPlan = this.backUp(this.leaseTable);

    const stack = Stack.of(this);
    this.workerPolicy = new iam.ManagedPolicy(this, 'WorkerPolicy', {
      description: `What a worker of the KCL application ${name} needs (${this.node.path})`,
      statements: [
        new iam.PolicyStatement({ actions: STREAM_READ_ACTIONS, resources: [props.stream.streamArn] }),
        new iam.PolicyStatement({
          actions: [
            'dynamodb:DescribeTable',
            'dynamodb:UpdateTable',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:Scan',
            'dynamodb:Query',
          ],
          resources: [this.leaseTable.tableArn],
        }),
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
        ...(props.encryptionKey
          ? [new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.encryptionKey.keyArn] })]
          : []),
      ],
    });
    Validations.of(this.workerPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:PutMetricData supports no resource-level permission; the statement is limited to the KCL application namespace by the cloudwatch:namespace condition.',
    });
  }

  /**
   * Lets the grantee run workers of this application. A role gets the customer-managed
   * worker policy attached; any other principal gets its statements in its own policy.
   */
  public grantWorker(grantee: iam.IGrantable): iam.Grant {
    const principal = grantee.grantPrincipal;
    if (isRole(principal)) {
      this.workerPolicy.attachToRole(principal);
      return iam.Grant.drop(grantee, 'attached the KCL worker policy');
    }
    const statements = this.workerPolicy.document.toJSON()?.Statement ?? [];
    let grant = iam.Grant.drop(grantee, 'KCL worker statements');
    for (const statement of statements) {
      const result = principal.addToPrincipalPolicy(iam.PolicyStatement.fromJson(statement));
      grant = grant.combine(
        result.statementAdded
          ? iam.Grant.drop(grantee, 'added to the principal policy')
          : iam.Grant.drop(grantee, 'could not add'),
      );
    }
    return grant;
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

function isRole(principal: iam.IPrincipal): principal is iam.IRole {
  return 'roleArn' in principal && 'roleName' in principal && typeof (principal as iam.IRole).roleName === 'string';
}
