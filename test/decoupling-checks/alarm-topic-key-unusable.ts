import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CorpusCase, corpusStack } from './corpus';

/** An alarm notifying a topic encrypted with the AWS-managed key alias/aws/sns. */
export const alarmTopicKeyUnusable: CorpusCase = {
  rule: 'Decoupling-AlarmTopicKeyUnusable',
  mistake: 'the alarm topic is encrypted with alias/aws/sns, which CloudWatch cannot use',
  build(app, fixed) {
    const stack = corpusStack(app);
    let masterKey: kms.IKey;
    if (fixed) {
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
        }),
      );
      masterKey = key;
    } else {
      masterKey = kms.Alias.fromAliasName(stack, 'AwsManagedKey', 'alias/aws/sns');
    }
    const topic = new sns.Topic(stack, 'AlarmTopic', { masterKey });
    const alarm = new cloudwatch.Alarm(stack, 'ErrorsAlarm', {
      metric: new cloudwatch.Metric({ namespace: 'Orders', metricName: 'Errors' }),
      threshold: 1,
      evaluationPeriods: 1,
    });
    alarm.addAlarmAction(new actions.SnsAction(topic));
  },
};
