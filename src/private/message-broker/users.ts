import * as crypto from 'crypto';
import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as amazonmq from 'aws-cdk-lib/aws-amazonmq';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { EngineTraits } from './engine-catalog';
import { validateBoolean, validateGroups, validateUsername } from './validate-props';
import type { MessageBrokerUserOptions } from '../../message-broker';
import { acknowledge, ACKNOWLEDGMENTS } from '../acknowledgments';
import { childNamespace } from '../namespaces';
import { invalidProp, methodArgument, validateIntegerInRange } from '../validation';

/**
 * Amazon MQ quotas ("Quotas in Amazon MQ", Users, https://docs.aws.amazon.com/amazon-mq/latest/developer-guide/amazon-mq-limits.html):
 * 250 users per broker (simple authentication); a password of 12 to 250 characters with at least 4 unique
 * characters, without commas, colons or equal signs (AWS::AmazonMQ::Broker User, Password).
 */
const MAX_USERS_PER_BROKER = 250;
const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 250;
const DEFAULT_PASSWORD_LENGTH = 32;
// Amazon MQ rejects commas, colons and equal signs; the rest would need escaping in
// connection URLs, shell commands or JSON.
const PASSWORD_EXCLUDED_CHARACTERS = ',:=\'"\\/@%`{}[]()<>|;&?#$!^*+ ';

/** One user of the broker, with the secret holding its generated password. */
interface BrokerUser {
  readonly username: string;
  /** The user name as the template will hold it (a token's CloudFormation expression), for comparisons. */
  readonly resolved: string;
  readonly secret: secretsmanager.Secret;
  readonly groups?: string[];
  readonly consoleAccess: boolean;
}

/** What every user secret of one broker shares. */
export interface BrokerUsersProps {
  readonly traits: EngineTraits;
  readonly encryptionKey: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
  readonly adminUsername: string;
  readonly adminConsoleAccess: boolean;
}

/**
 * The users of a broker: the administrator's secret is `AdminSecret` under the broker, every other
 * user's is `Users/<username>` (`Users/Token:<hash of the expression>` for a user name that is a token),
 * so that removing a user never renames another.
 */
export class BrokerUsers {
  /** The secret of the administrator. */
  public readonly adminSecret: secretsmanager.Secret;

  private readonly users: BrokerUser[] = [];

  constructor(
    private readonly broker: Construct,
    private readonly props: BrokerUsersProps,
  ) {
    this.adminSecret = this.createSecret(broker, 'AdminSecret', props.adminUsername, DEFAULT_PASSWORD_LENGTH);
    this.users.push({
      username: props.adminUsername,
      resolved: this.resolvedName(props.adminUsername),
      secret: this.adminSecret,
      groups: props.traits.adminGroups,
      consoleAccess: props.adminConsoleAccess,
    });
  }

  /** See `MessageBroker.addUser`. */
  public add(username: string, options: MessageBrokerUserOptions): secretsmanager.Secret {
    const broker = this.broker;
    const prop = methodArgument('addUser', 'username');
    if (!this.props.traits.brokerManagedUsers) {
      throw invalidProp(
        broker,
        prop,
        'cannot be added: RabbitMQ takes exactly one user (the administrator) when the broker is created; add others through the RabbitMQ management API',
        username,
      );
    }
    validateUsername(broker, prop, this.props.traits, username);
    const resolved = this.resolvedName(username);
    if (this.users.some((user) => user.resolved === resolved)) {
      throw invalidProp(broker, prop, 'must be unique on the broker', username);
    }
    if (this.users.length >= MAX_USERS_PER_BROKER) {
      throw invalidProp(
        broker,
        prop,
        `cannot be added: a broker takes at most ${MAX_USERS_PER_BROKER} users, the administrator included (Amazon MQ quotas)`,
        username,
      );
    }
    if (options === null || typeof options !== 'object') {
      throw invalidProp(broker, methodArgument('addUser', 'options'), 'must be a MessageBrokerUserOptions', options);
    }
    validateIntegerInRange(
      broker,
      methodArgument('addUser', 'passwordLength'),
      options.passwordLength,
      MIN_PASSWORD_LENGTH,
      MAX_PASSWORD_LENGTH,
    );
    validateGroups(broker, methodArgument('addUser', 'groups'), options.groups);
    validateBoolean(broker, methodArgument('addUser', 'consoleAccess'), options.consoleAccess);

    const secret = this.createSecret(
      childNamespace(broker, 'Users'),
      userId(username, resolved),
      username,
      options.passwordLength ?? DEFAULT_PASSWORD_LENGTH,
    );
    this.users.push({
      username,
      resolved,
      secret,
      groups: options.groups,
      consoleAccess: options.consoleAccess ?? false,
    });
    return secret;
  }

  /** A literal name as is; a token as the CloudFormation expression it stands for. */
  private resolvedName(username: string): string {
    if (!Token.isUnresolved(username)) {
      return username;
    }
    const value: unknown = Stack.of(this.broker).resolve(username);
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  /** The users as the broker takes them, passwords as dynamic references only. */
  public render(): amazonmq.CfnBroker.UserProperty[] {
    return this.users.map((user) => {
      const password = user.secret.secretValueFromJson('password').unsafeUnwrap();
      if (!this.props.traits.brokerManagedUsers) {
        return { username: user.username, password };
      }
      return {
        username: user.username,
        password,
        consoleAccess: user.consoleAccess,
        groups: user.groups && user.groups.length > 0 ? user.groups : undefined,
      };
    });
  }

  private createSecret(scope: Construct, id: string, username: string, passwordLength: number): secretsmanager.Secret {
    const stack = Stack.of(this.broker);
    const secret = new secretsmanager.Secret(scope, id, {
      // Secrets Manager takes a description of at most 2,048 characters (CreateSecret API reference).
      description: truncate(`Password of the Amazon MQ user ${username} of ${this.broker.node.path}`, 2048),
      encryptionKey: this.props.encryptionKey,
      removalPolicy: this.props.removalPolicy,
      generateSecretString: {
        secretStringTemplate: stack.toJsonString({ username }),
        generateStringKey: 'password',
        passwordLength,
        excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
        // Letters of both cases and digits: always at least the 4 unique characters Amazon MQ requires.
        requireEachIncludedType: true,
      },
    });
    // Nobody outside this account may use the secret, whatever a later policy or grant says.
    secret.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyOutsideAccount',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:*'],
        resources: ['*'],
        conditions: { StringNotEquals: { 'aws:PrincipalAccount': stack.account } },
      }),
    );
    acknowledge(secret, ACKNOWLEDGMENTS.amazonMqUserSecret);
    return secret;
  }
}

/**
 * The construct id of a user's secret, and so its logical id: the user name when it is a literal (removing a
 * user renames no other), and for a token a name derived from the CloudFormation expression it stands for, so
 * that it is the same at every synth. A literal user name never contains ":" (Amazon MQ's user name rules),
 * so the two kinds never meet.
 */
function userId(username: string, resolved: string): string {
  if (!Token.isUnresolved(username)) {
    return username;
  }
  return `Token:${crypto.createHash('sha256').update(resolved).digest('hex').slice(0, 16)}`;
}

function truncate(text: string, maxLength: number): string {
  return Token.isUnresolved(text) || text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}
