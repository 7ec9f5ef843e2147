import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';

/** One ReceiveMessage (up to 10, no waiting) and a DeleteMessageBatch of what came. */
export async function receiveAndDelete(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageAttributeNames: ['All'],
    }),
  );
  if (Messages.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  return Messages;
}

/**
 * Receives and deletes until `expected` messages came and a receive returns a partial batch
 * (so extra deliveries are counted too), or until three receives in a row come back empty.
 * Meant for moto, where SNS delivers to SQS synchronously: an empty queue means nothing is on its way.
 */
export async function drainQueue(
  sqs: SQSClient,
  queueUrl: string,
  expected: number,
  onMessage: (message: Message) => void,
): Promise<number> {
  let received = 0;
  let emptyPolls = 0;
  while (emptyPolls < 3) {
    const messages = await receiveAndDelete(sqs, queueUrl);
    messages.forEach(onMessage);
    received += messages.length;
    emptyPolls = messages.length === 0 ? emptyPolls + 1 : 0;
    if (received >= expected && messages.length < 10) {
      break;
    }
  }
  return received;
}

/** A queue's approximate counts: messages waiting, and messages received but not yet deleted. */
export async function queueDepth(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ readonly visible: number; readonly inFlight: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}
