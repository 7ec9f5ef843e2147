import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as amazonmq from 'aws-cdk-lib/aws-amazonmq';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { EngineTraits } from './engine-catalog';
import { validateGroups, validateUsername } from './validate-props';
import type { MessageBrokerUserOptions } from '../../message-broker';
import { acknowledge, ACKNOWLEDGMENTS } from '../acknowledgments';
import { childNamespace } from '../namespaces';
import { invalidProp, validateIntegerInRange } from '../validation';

const MAX_USERS_PER_BROKER = 250;
const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 4096;
const DEFAULT_PASSWORD_LENGTH = 32;
// Amazon MQ rejects commas, colons and equal signs; the rest would need escaping in
// connection URLs, shell commands or JSON.
const PASSWORD_EXCLUDED_CHARACTERS = ',:=\'"\\/@%`{}[]()<>|;&?#$!^*+ ';

/** One user of the broker, with the secret holding its generated password. */
interface BrokerUser {
  readonly username: string;
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
 * user's is `Users/<username>`, so that removing a user never renames another.
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
      secret: this.adminSecret,
      groups: props.traits.adminGroups,
      consoleAccess: props.adminConsoleAccess,
    });
  }

  /** See `MessageBroker.addUser`. */
  public add(username: string, options: MessageBrokerUserOptions): secretsmanager.Secret {
    const broker = this.broker;
    if (!this.props.traits.brokerManagedUsers) {
      throw invalidProp(
        broker,
        'addUser username',
        'cannot be added: RabbitMQ takes exactly one user (the administrator) when the broker is created; add others through the RabbitMQ management API',
        username,
      );
    }
    if (Token.isUnresolved(username)) {
      // The secret's construct id is the user name: a token would make it (and the logical id) a counter.
      throw invalidProp(
        broker,
        'addUser username',
        "must be known at synth: it is the id of the user's secret (Users/<username>)",
        username,
      );
    }
    validateUsername(broker, 'addUser username', this.props.traits, username);
    if (this.users.some((user) => user.username === username)) {
      throw invalidProp(broker, 'addUser username', 'must be unique on the broker', username);
    }
    if (this.users.length >= MAX_USERS_PER_BROKER) {
      throw invalidProp(broker, 'addUser', `cannot add more than ${MAX_USERS_PER_BROKER} users to a broker`, username);
    }
    validateIntegerInRange(
      broker,
      'addUser passwordLength',
      options.passwordLength,
      MIN_PASSWORD_LENGTH,
      MAX_PASSWORD_LENGTH,
    );
    validateGroups(broker, 'addUser groups', options.groups);

    const secret = this.createSecret(
      childNamespace(broker, 'Users'),
      username,
      username,
      options.passwordLength ?? DEFAULT_PASSWORD_LENGTH,
    );
    this.users.push({ username, secret, groups: options.groups, consoleAccess: options.consoleAccess ?? false });
    return secret;
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
      description: `Password of the Amazon MQ user ${username} of ${this.broker.node.path}`,
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
