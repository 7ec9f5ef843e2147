import { Token } from 'aws-cdk-lib';

/** The suffix SQS and SNS require on the name of a FIFO queue or topic, and forbid on any other. */
export const FIFO_SUFFIX = '.fifo';

/** Whether a name known at synth ends in `.fifo`; a token says nothing. */
export function nameSaysFifo(name: string | undefined): boolean {
  return name !== undefined && !Token.isUnresolved(name) && name.endsWith(FIFO_SUFFIX);
}

/** The name without its `.fifo` suffix, if it has one. */
export function withoutFifoSuffix(name: string): string {
  return name.endsWith(FIFO_SUFFIX) ? name.slice(0, -FIFO_SUFFIX.length) : name;
}

/** Whether a queue or topic is FIFO: as the prop says, else as its name says. */
export function resolveFifo(fifo: boolean | undefined, name: string | undefined): boolean {
  return fifo ?? nameSaysFifo(name);
}
