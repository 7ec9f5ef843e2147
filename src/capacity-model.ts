import { Duration } from 'aws-cdk-lib';

// The shapes every capacity model shares (BacklogCapacityModel for EC2 fleets and Fargate services,
// LambdaSqsScalingModel for Lambda), so that one spike can be run through each and printed side by side.

/**
 * A backlog to run through a capacity model, minute by minute.
 */
export interface CapacitySimulationProps {
  /** Messages waiting in the queue at minute 0: a whole number of at least 0. */
  readonly initialBacklog: number;

  /**
   * How long one worker (an instance, a task, one invocation) takes to process one message. Each model
   * says how long it may be.
   */
  readonly processingTimePerMessage: Duration;

  /** How many minutes to simulate (1 to 10,080, a week). */
  readonly minutes: number;

  /**
   * Messages that arrive in each minute (whole numbers of at least 0); minute `i` gets
   * `arrivalsPerMinute[i]`, and minutes beyond the list get none.
   *
   * @default - no arrivals after the initial backlog
   */
  readonly arrivalsPerMinute?: number[];
}

/**
 * One minute of a capacity model, in the terms every kind of worker shares.
 *
 * Nothing is lost or made up: over a run, the messages processed plus those still waiting after the last
 * minute (its `visibleMessages − processedMessages`) are the initial backlog plus the arrivals.
 */
export interface CapacityModelMinute {
  /** The minute, from 0. */
  readonly minute: number;

  /**
   * Messages waiting at the start of the minute, after that minute's arrivals. The models count a message
   * as waiting until it is processed, so this is also what target tracking sees as
   * `ApproximateNumberOfMessagesVisible` (they do not split off the messages in flight).
   */
  readonly visibleMessages: number;

  /** Workers processing messages during the minute: in-service instances, running tasks, or concurrent invocations. */
  readonly workers: number;

  /** Messages processed (and deleted) during the minute. */
  readonly processedMessages: number;
}
