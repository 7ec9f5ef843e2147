import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { allowedInstanceTypes, EngineTraits, ENGINES, unsupportedVersionRule } from './engine-catalog';
import type { MessageBrokerMaintenanceWindow, MessageBrokerProps } from '../../message-broker';
import { MessageBrokerEngine } from '../../message-broker-engine';
import { invalidProp, validateIntegerInRange } from '../validation';

const BROKER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,50}$/;
const TIME_OF_DAY_PATTERN = /^([01]\d|2[0-3]):[0-5]\d$/;
const TIME_ZONE_PATTERN = /^(UTC|[A-Z][A-Za-z_-]+(\/[A-Za-z0-9_+-]+){1,2})$/;
const GROUP_PATTERN = /^[A-Za-z0-9._~-]{2,100}$/;
const MAX_GROUPS_PER_USER = 20;

/** What the constructor has already decided from the props (defaults applied). */
export interface ResolvedBrokerChoices {
  readonly engine: MessageBrokerEngine;
  readonly highAvailability: boolean;
  readonly instanceType: string;
  readonly adminUsername: string;
  readonly maintenanceWindow: MessageBrokerMaintenanceWindow;
}

/** Every check of the props that needs no resource, in the order a user most likely gets them wrong. */
export function validateBrokerProps(scope: IConstruct, props: MessageBrokerProps, chosen: ResolvedBrokerChoices): void {
  validateEngine(scope, chosen.engine);
  validateInstanceType(scope, chosen.engine, chosen.highAvailability, chosen.instanceType);
  validateBrokerName(scope, props.brokerName);
  validateUsername(scope, 'adminUsername', ENGINES[chosen.engine.engineType], chosen.adminUsername);
  if (!ENGINES[chosen.engine.engineType].brokerManagedUsers && props.adminConsoleAccess !== undefined) {
    throw invalidProp(
      scope,
      'adminConsoleAccess',
      'applies to ActiveMQ only (the one RabbitMQ user always has console access; open WEB_CONSOLE with allowClientsFrom to reach it)',
      props.adminConsoleAccess,
    );
  }
  validateMaintenanceWindow(scope, chosen.maintenanceWindow);
  validateIntegerInRange(scope, 'connectionCountAlarmThreshold', props.connectionCountAlarmThreshold, 1, 1_000_000);
}

function validateEngine(scope: IConstruct, engine: MessageBrokerEngine): void {
  if (Token.isUnresolved(engine.version)) {
    return;
  }
  const rule = unsupportedVersionRule(engine);
  if (rule !== undefined) {
    throw invalidProp(scope, 'engine version', rule, engine.version);
  }
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
  if (!BROKER_NAME_PATTERN.test(brokerName)) {
    throw invalidProp(scope, 'brokerName', 'must be 1 to 50 letters, digits, "-" or "_"', brokerName);
  }
}

/** A user name the engine accepts; `prop` names it in the message (`adminUsername`, `addUser username`). */
export function validateUsername(scope: IConstruct, prop: string, traits: EngineTraits, username: string): void {
  if (Token.isUnresolved(username)) {
    return;
  }
  const { pattern, reserved, rule } = traits.username;
  if (!pattern.test(username) || reserved.includes(username)) {
    throw invalidProp(scope, prop, rule, username);
  }
}

function validateMaintenanceWindow(scope: IConstruct, window: MessageBrokerMaintenanceWindow): void {
  if (!Token.isUnresolved(window.timeOfDay) && !TIME_OF_DAY_PATTERN.test(window.timeOfDay)) {
    throw invalidProp(
      scope,
      'maintenanceWindow.timeOfDay',
      'must be a 24-hour time HH:MM, from 00:00 to 23:59',
      window.timeOfDay,
    );
  }
  const timeZone = window.timeZone;
  if (timeZone !== undefined && !Token.isUnresolved(timeZone) && !TIME_ZONE_PATTERN.test(timeZone)) {
    throw invalidProp(
      scope,
      'maintenanceWindow.timeZone',
      'must be "UTC" or an IANA time zone name such as "Europe/Berlin"',
      timeZone,
    );
  }
}

/** The ActiveMQ groups of a user; `prop` names them in the message. */
export function validateGroups(scope: IConstruct, prop: string, groups: string[] | undefined): void {
  if (groups === undefined) {
    return;
  }
  if (groups.length > MAX_GROUPS_PER_USER) {
    throw invalidProp(scope, prop, `must hold at most ${MAX_GROUPS_PER_USER} groups`, groups.length);
  }
  for (const group of groups) {
    if (!Token.isUnresolved(group) && !GROUP_PATTERN.test(group)) {
      throw invalidProp(scope, prop, 'must be 2 to 100 letters, digits, "-", ".", "_" or "~" each', group);
    }
  }
}
