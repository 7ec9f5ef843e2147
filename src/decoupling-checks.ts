import * as path from 'path';
import { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { evaluate, PLUGIN_NAME, RULE_IDS } from './private/decoupling-checks/evaluate';
import { libraryVersion } from './private/library-version';

/**
 * Finds the wiring mistakes of decoupled systems that lose messages or stall consumers, in any CDK app,
 * as an aws-cdk-lib policy validation plugin: mistakes that span two or three resources (a topic and the
 * queue it delivers to, a queue and its dead-letter queue and their alarms, a queue and the function that
 * reads it, a stream and its readers), which rule packs that check one resource at a time cannot see.
 *
 * Add it to your app with `Validations.of(app).addPlugins(new DecouplingChecks())`: synthesis then fails
 * with a validation report when an app breaks an error-level rule, and reports warnings. In a test, or on
 * any construct tree, call `new DecouplingChecks().validateScope(scope)`: it evaluates the whole app that
 * holds `scope` and reports the findings on resources at or below `scope`.
 *
 * It reads the templates: `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`/`Fn::Split`, literal ARNs
 * and URLs, the exports of the app's stacks (`Fn::ImportValue`, as aws-cdk-lib writes cross-stack
 * references) and nested stacks' parameters and outputs. A value it cannot resolve (a parameter, a
 * condition, a resource of another app) makes the rule silent: it never guesses.
 *
 * Acknowledge a finding on the resource it names, or on any construct above it, with
 * `Validations.of(construct).acknowledge({ id: 'Decoupling-...', reason })`: it removes that rule's
 * findings for the resources at or below that construct only. (The id with the plugin's prefix,
 * `Decoupling::Decoupling-...`, is honoured the same way, but at synthesis aws-cdk-lib itself also
 * suppresses a rule acknowledged in that form for the whole app.)
 *
 * Rules (E = error, W = warning):
 * - `Decoupling-SnsQueueAwsManagedKey` (E): SNS delivers to a queue encrypted with `alias/aws/sqs`.
 * - `Decoupling-SnsQueueKeyPolicy` (E): ... to a queue whose customer-managed key SNS may not use.
 * - `Decoupling-SnsQueueNoSendPermission` (E): ... to a queue whose policy does not let the topic send.
 * - `Decoupling-SnsQueuePolicyNoSourceArn` (E): a queue policy trusts `sns.amazonaws.com` without `aws:SourceArn`.
 * - `Decoupling-StandardTopicToFifoQueue` (E): a standard topic feeds a FIFO queue.
 * - `Decoupling-FifoTopicToNonSqs` (E): a FIFO topic feeds something other than SQS.
 * - `Decoupling-RawDeliveryUnsupportedProtocol` (E): raw delivery on a protocol that has none.
 * - `Decoupling-SnsLambdaNoInvokePermission` (E): SNS invokes a function that does not let it.
 * - `Decoupling-AlarmTopicKeyUnusable` (E): an alarm notifies a topic whose key CloudWatch may not use.
 * - `Decoupling-DlqRetentionTooShort` (E): a standard queue keeps messages as long as its dead-letter queue, or longer.
 * - `Decoupling-DlqTypeMismatch` (E): FIFO and standard mixed between a source and its dead-letter queue.
 * - `Decoupling-ConsumedQueueNoRedrive` (E): a queue read by a function or a worker has no dead-letter queue.
 * - `Decoupling-DlqNoAlarm` (E): a dead-letter queue no alarm watches.
 * - `Decoupling-DlqAlarmOnMessagesSent` (E): a dead-letter queue watched only on `NumberOfMessagesSent`.
 * - `Decoupling-VisibilityTimeoutTooShort` (E): a queue's visibility timeout under six times its function's timeout.
 * - `Decoupling-SqsMappingNoPartialBatchResponse` (W): batches without `ReportBatchItemFailures`.
 * - `Decoupling-StreamMappingInfiniteRetries` (E): a stream mapping retries forever with no on-failure destination.
 * - `Decoupling-FifoMappingUnsupportedSetting` (E): a batching window or a batch over 10 on a FIFO queue.
 * - `Decoupling-MappingCannotDecryptSource` (E): a function cannot decrypt the queue or stream it reads.
 * - `Decoupling-LambdaMaxReceiveCountTooLow` (W): a queue read by Lambda gives up after fewer than 5 receives.
 * - `Decoupling-KinesisStreamUnencrypted` (E): a stream without server-side encryption.
 * - `Decoupling-FirehoseCannotDecryptSource` (E): a Firehose delivery role cannot decrypt its source stream.
 * - `Decoupling-TooManyEnhancedFanOutConsumers` (E): more consumers than the stream allows.
 * - `Decoupling-ScalingOnRawQueueDepth` (W): target tracking on raw queue depth, not backlog per worker.
 */
export class DecouplingChecks implements IPolicyValidationPlugin {
  /**
   * The name of the plugin, shown in the validation report. It is also the prefix aws-cdk-lib offers
   * for acknowledgments (`Decoupling::Decoupling-...`).
   */
  public readonly name: string = PLUGIN_NAME;

  /**
   * The version of the plugin: the version of this library.
   */
  public readonly version?: string = libraryVersion();

  /**
   * The ids of the rules the plugin evaluates.
   */
  public readonly ruleIds?: string[] = [...RULE_IDS];

  /**
   * Takes no arguments: register the instance with `Validations.of(app).addPlugins(...)`, or call
   * `validateScope` on it.
   */
  constructor() {}

  /**
   * Called by aws-cdk-lib at synthesis for the stacks of the stage the plugin was added to. Reads their
   * templates (nested stacks' included) from the cloud assembly and reports the findings that are not
   * acknowledged, each naming the resource's logical id, template and construct path.
   *
   * @param context the validation context aws-cdk-lib passes: the app's construct tree and the stacks' templates
   */
  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const root = context.appConstruct;
    if (root === undefined) {
      throw new Error(
        'DecouplingChecks evaluates the construct tree, and this version of aws-cdk-lib does not pass it ' +
          '(IPolicyValidationContext.appConstruct). Use aws-cdk-lib 2.258.0 or later, or call validateScope(app).',
      );
    }
    // Older aws-cdk-lib versions may not pass stackTemplates: render every stack's template then.
    const stackTemplates = context.stackTemplates as typeof context.stackTemplates | undefined;
    if (stackTemplates === undefined) {
      return evaluate(root, root, () => ({}));
    }
    const byPath = new Map(stackTemplates.map((s) => [s.stackConstructPath, s.templatePath]));
    const byFile = new Map(stackTemplates.map((s) => [path.basename(s.templatePath), s.templatePath]));
    return evaluate(root, root, (stack: Stack) => {
      const templatePath = byPath.get(stack.node.path) ?? byFile.get(stack.templateFile);
      // A stack of another stage: not validated by this registration of the plugin.
      return templatePath === undefined ? undefined : { templatePath };
    });
  }

  /**
   * Evaluates the app that holds `scope` (which need not be synthesized: templates are rendered from the
   * construct tree; references across stacks are followed once the app is synthesized) and reports the
   * findings on resources at or below `scope` that are not acknowledged on the resource or an ancestor.
   *
   * @param scope the construct tree to report on, usually the app
   */
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    return evaluate(scope.node.root, scope, () => ({}));
  }
}
