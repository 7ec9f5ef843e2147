import { Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { allowedInstanceTypes, EngineTraits, ENGINES, unsupportedVersionRule } from './engine-catalog';
import type { MessageBrokerMaintenanceWindow, MessageBrokerProps } from '../../message-broker';
import { MessageBrokerEngine, MessageBrokerEngineType } from '../../message-broker-engine';
import { invalidProp, validateEnumValue, validateIntegerInRange } from '../validation';

/**
 * Amazon MQ API Reference, CreateBroker: the broker name "must be unique in your AWS account, 1-50 characters
 * long, must contain only letters, numbers, dashes, and underscores, and must not contain white spaces,
 * brackets, wildcard characters, or special characters" (https://docs.aws.amazon.com/amazon-mq/latest/api-reference/brokers.html).
 * (The quotas page also lists "." and "~"; the API's stricter rule is the one a template must meet.)
 */
export const BROKER_NAME_MAX_LENGTH = 50;
const BROKER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,50}$/;
const TIME_OF_DAY_PATTERN = /^([01]\d|2[0-3]):[0-5]\d$/;
/**
 * Amazon MQ API Reference, WeeklyStartTime: "The time zone, UTC by default, in either the Country/City format, or
 * the UTC offset format" (https://docs.aws.amazon.com/amazon-mq/latest/api-reference/brokers-broker-id.html#brokers-model-weeklystarttime).
 */
const TIME_ZONE_PATTERN = /^(UTC|[A-Z][A-Za-z_-]+(\/[A-Za-z0-9_+-]+){1,2}|UTC[+-](0\d|1[0-4]):[0-5]\d)$/;
/**
 * AWS::AmazonMQ::Broker User, Groups: "The list of groups (20 maximum) ... This value can contain only alphanumeric
 * characters, dashes, periods, underscores, and tildes (- . _ ~). This value must be 2-100 characters long."
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-amazonmq-broker-user.html).
 */
const GROUP_PATTERN = /^[A-Za-z0-9._~-]{2,100}$/;
const MAX_GROUPS_PER_USER = 20;
/** The alarm threshold's upper bound: far above any Amazon MQ connection quota, below any overflow. */
const MAX_CONNECTION_THRESHOLD = 1_000_000;
/**
 * The retention periods CloudWatch Logs accepts (PutRetentionPolicy API reference, retentionInDays), which are
 * the values of logs.RetentionDays, and INFINITE for none.
 */
const RETENTION_DAYS = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');

/** What the constructor has already decided from the props (defaults applied). */
export interface ResolvedBrokerChoices {
  readonly engine: MessageBrokerEngine;
  readonly highAvailability: boolean;
  readonly instanceType: string;
  readonly adminUsername: string;
  readonly maintenanceWindow: MessageBrokerMaintenanceWindow;
}

/**
 * The props every other check relies on, checked first: the VPC, the engine and highAvailability (a JavaScript
 * caller can pass anything in their place, and the defaults and the engine's traits are read from them).
 */
export function validateFoundations(scope: IConstruct, props: MessageBrokerProps): void {
  const vpc = props.vpc as unknown as Record<string, unknown> | undefined;
  if (typeof vpc !== 'object' || vpc === null || typeof vpc.selectSubnets !== 'function') {
    throw invalidProp(scope, 'vpc', 'must be an ec2.IVpc (for example ec2.Vpc or ec2.Vpc.fromLookup)', props.vpc);
  }
  if (props.engine !== undefined) {
    validateEngine(scope, props.engine);
  }
  validateBoolean(scope, 'highAvailability', props.highAvailability);
}

function validateEngine(scope: IConstruct, engine: MessageBrokerEngine): void {
  const candidate = engine as unknown as Partial<MessageBrokerEngine> | null;
  if (typeof candidate !== 'object' || candidate === null || candidate.engineType === undefined) {
    throw invalidProp(
      scope,
      'engine',
      'must be a MessageBrokerEngine (MessageBrokerEngine.ACTIVEMQ_5_19 ... or MessageBrokerEngine.of(engineType, version))',
      engine,
    );
  }
  validateEnumValue(
    scope,
    'engine.engineType',
    candidate.engineType,
    'MessageBrokerEngineType',
    MessageBrokerEngineType,
  );
  const version = candidate.version;
  if (Token.isUnresolved(version)) {
    return;
  }
  if (typeof version !== 'string') {
    throw invalidProp(scope, 'engine.version', 'must be a string, major.minor (e.g. "5.19")', version);
  }
  const rule = unsupportedVersionRule(engine);
  if (rule !== undefined) {
    throw invalidProp(scope, 'engine.version', rule, version);
  }
}

/** Every other check of the props that needs no resource, in the order a user most likely gets them wrong. */
export function validateBrokerProps(scope: IConstruct, props: MessageBrokerProps, chosen: ResolvedBrokerChoices): void {
  validateInstanceType(scope, chosen.engine, chosen.highAvailability, chosen.instanceType);
  validateBrokerName(scope, props.brokerName);
  validateUsername(scope, 'adminUsername', ENGINES[chosen.engine.engineType], chosen.adminUsername);
  validateBoolean(scope, 'adminConsoleAccess', props.adminConsoleAccess);
  if (!ENGINES[chosen.engine.engineType].brokerManagedUsers && props.adminConsoleAccess !== undefined) {
    throw invalidProp(
      scope,
      'adminConsoleAccess',
      'is for ActiveMQ only (the one RabbitMQ user always has console access; open WEB_CONSOLE with allowClientsFrom to reach it)',
      props.adminConsoleAccess,
    );
  }
  validateMaintenanceWindow(scope, chosen.maintenanceWindow);
  validateRetention(scope, props.logRetention);
  validateIntegerInRange(
    scope,
    'connectionCountAlarmThreshold',
    props.connectionCountAlarmThreshold,
    1,
    MAX_CONNECTION_THRESHOLD,
  );
  validateConstructLike(scope, 'encryptionKey', props.encryptionKey, 'keyArn', 'a kms.IKey');
  validateConstructLike(scope, 'alarmTopic', props.alarmTopic, 'topicArn', 'an sns.ITopic');
  validateBoolean(scope, 'createLogsResourcePolicy', props.createLogsResourcePolicy);
}

function validateInstanceType(
  scope: IConstruct,
  engine: MessageBrokerEngine,
  highAvailability: boolean,
  instanceType: string,
): void {
  if (Token.isUnresolved(instanceType)) {
    return;
  }
  const allowed = allowedInstanceTypes(engine, highAvailability);
  if (allowed.includes(instanceType)) {
    return;
  }
  const mode = highAvailability ? ENGINES[engine.engineType].highAvailabilityDescription : 'a single-instance';
  const hint = allowedInstanceTypes(engine, false).includes(instanceType)
    ? ` (${instanceType} runs single instances only: set highAvailability to false, or pick a larger type)`
    : '';
  throw invalidProp(
    scope,
    'instanceType',
    `must be one of ${allowed.join(', ')} for ${mode} ${engine.toString()} broker${hint}`,
    instanceType,
  );
}

function validateBrokerName(scope: IConstruct, brokerName: string | undefined): void {
  if (brokerName === undefined || Token.isUnresolved(brokerName)) {
    return;
  }
  if (typeof brokerName !== 'string' || !BROKER_NAME_PATTERN.test(brokerName)) {
    throw invalidProp(
      scope,
      'brokerName',
      `must be 1 to ${BROKER_NAME_MAX_LENGTH} letters, digits, "-" or "_"`,
      brokerName,
    );
  }
}

/** A user name the engine accepts; `prop` names it in the message (`adminUsername`, `addUser username`). */
export function validateUsername(scope: IConstruct, prop: string, traits: EngineTraits, username: string): void {
  if (Token.isUnresolved(username)) {
    return;
  }
  const { pattern, reserved, rule } = traits.username;
  if (typeof username !== 'string' || !pattern.test(username) || reserved.includes(username)) {
    throw invalidProp(scope, prop, rule, username);
  }
}

function validateMaintenanceWindow(scope: IConstruct, window: MessageBrokerMaintenanceWindow): void {
  if (typeof window !== 'object' || window === null) {
    throw invalidProp(
      scope,
      'maintenanceWindow',
      'must be a MessageBrokerMaintenanceWindow: { dayOfWeek, timeOfDay, timeZone? }',
      window,
    );
  }
  if (window.dayOfWeek === undefined) {
    throw invalidProp(scope, 'maintenanceWindow.dayOfWeek', 'must be given: a MessageBrokerDayOfWeek', undefined);
  }
  if (!Token.isUnresolved(window.dayOfWeek)) {
    validateEnumValue(scope, 'maintenanceWindow.dayOfWeek', window.dayOfWeek, 'MessageBrokerDayOfWeek', DAYS);
  }
  const timeOfDay = window.timeOfDay;
  if (!Token.isUnresolved(timeOfDay) && (typeof timeOfDay !== 'string' || !TIME_OF_DAY_PATTERN.test(timeOfDay))) {
    throw invalidProp(
      scope,
      'maintenanceWindow.timeOfDay',
      'must be a 24-hour time HH:MM, from 00:00 to 23:59',
      timeOfDay,
    );
  }
  const timeZone = window.timeZone;
  if (
    timeZone !== undefined &&
    !Token.isUnresolved(timeZone) &&
    (typeof timeZone !== 'string' || !TIME_ZONE_PATTERN.test(timeZone))
  ) {
    throw invalidProp(
      scope,
      'maintenanceWindow.timeZone',
      'must be "UTC", an IANA time zone name such as "Europe/Berlin", or a UTC offset such as "UTC+01:00"',
      timeZone,
    );
  }
}

/** The days as MessageBrokerDayOfWeek names them; a type-only import cannot give the enum's values. */
const DAYS: Record<string, MessageBrokerMaintenanceWindow['dayOfWeek']> = Object.fromEntries(
  ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'].map((day) => [
    day,
    day as MessageBrokerMaintenanceWindow['dayOfWeek'],
  ]),
);

function validateRetention(scope: IConstruct, retention: logs.RetentionDays | undefined): void {
  if (retention === undefined || Token.isUnresolved(retention)) {
    return;
  }
  if (!RETENTION_DAYS.includes(retention)) {
    throw invalidProp(
      scope,
      'logRetention',
      `must be a logs.RetentionDays value (${RETENTION_DAYS.filter((d) => d !== logs.RetentionDays.INFINITE).join(', ')} days, ` +
        'or RetentionDays.INFINITE), the periods CloudWatch Logs accepts',
      retention,
    );
  }
}

/** `true` or `false`: a JavaScript caller's `'false'` or `0` would otherwise be read as a boolean. */
export function validateBoolean(scope: IConstruct, prop: string, value: boolean | undefined): void {
  if (value !== undefined && typeof value !== 'boolean' && !Token.isUnresolved(value)) {
    throw invalidProp(scope, prop, 'must be true or false', value);
  }
}

/** A construct interface given where a JavaScript caller might pass an ARN string or nothing usable. */
function validateConstructLike(scope: IConstruct, prop: string, value: unknown, attribute: string, what: string): void {
  if (value === undefined) {
    return;
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as Record<string, unknown>)[attribute] !== 'string'
  ) {
    throw invalidProp(scope, prop, `must be ${what}, not an ARN or a name`, value);
  }
}

/** The ActiveMQ groups of a user; `prop` names them in the message. */
export function validateGroups(scope: IConstruct, prop: string, groups: string[] | undefined): void {
  if (groups === undefined) {
    return;
  }
  if (!Array.isArray(groups)) {
    throw invalidProp(scope, prop, 'must be a list of group names', groups);
  }
  if (groups.length > MAX_GROUPS_PER_USER) {
    throw invalidProp(scope, prop, `must hold at most ${MAX_GROUPS_PER_USER} groups`, groups.length);
  }
  for (const group of groups) {
    if (!Token.isUnresolved(group) && (typeof group !== 'string' || !GROUP_PATTERN.test(group))) {
      throw invalidProp(scope, prop, 'must be 2 to 100 letters, digits, "-", ".", "_" or "~" each', group);
    }
  }
}
