import { Token } from 'aws-cdk-lib';

/**
 * A description that quotes a construct path, made safe for the property it goes into. Construct ids may hold
 * any character but "/", and paths have no length limit, while AWS limits descriptions: an EC2 security group
 * description is at most 255 characters of `a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*` (CreateSecurityGroup API
 * reference, GroupDescription); IAM role and policy descriptions are at most 1,000 characters of printable
 * ASCII and Latin-1 (CreateRole / CreatePolicy API references); a Lambda function's at most 256 (CreateFunction).
 */
export function safeDescription(text: string, kind: 'securityGroup' | 'iam' | 'lambda'): string {
  if (Token.isUnresolved(text)) {
    return text;
  }
  const [pattern, maxLength] =
    kind === 'securityGroup'
      ? [/[^a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]/g, 255]
      : kind === 'iam'
        ? [/[^\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]/g, 1000]
        : [/[\u0000-\u001F]/g, 256];
  const cleaned = text.replace(pattern, '_');
  return cleaned.length <= maxLength ? cleaned : `${cleaned.slice(0, maxLength - 3)}...`;
}
