import { DEAD_LETTER_RULES } from './dead-letter';
import { LAMBDA_RULES } from './lambda';
import { Rule } from './rule';
import { SCALING_RULES } from './scaling';
import { SNS_SQS_RULES } from './sns-sqs';
import { STREAM_RULES } from './streams';

/** Every rule of DecouplingChecks, in the order of the README's table. */
export const RULES: readonly Rule[] = [
  ...SNS_SQS_RULES,
  ...DEAD_LETTER_RULES,
  ...LAMBDA_RULES,
  ...STREAM_RULES,
  ...SCALING_RULES,
];
