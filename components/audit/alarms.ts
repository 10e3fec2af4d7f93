// The CIS AWS Foundations Benchmark's monitoring alarms, as AWS Security Hub checks them: each
// metric filter pattern exactly as AWS publishes it ("This control fails if the exact metric filters
// prescribed by CIS are not used. Additional fields or terms cannot be added", Security Hub user
// guide, "Security Hub controls for Amazon CloudWatch", CloudWatch.1-14).

export interface CisAlarm {
  /** The metric's name and the alarm's suffix. */
  id: string;
  /** Security Hub's control. */
  control: string;
  title: string;
  pattern: string;
}

export const CIS_ALARMS: CisAlarm[] = [
  {
    id: "root-usage",
    control: "CloudWatch.1",
    title: "The root user was used",
    pattern: `{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`,
  },
  {
    id: "unauthorized-api-calls",
    control: "CloudWatch.2",
    title: "API calls were refused",
    pattern: `{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}`,
  },
  {
    id: "console-sign-in-without-mfa",
    control: "CloudWatch.3",
    title: "A console sign-in without MFA",
    pattern: `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }`,
  },
  {
    id: "iam-policy-changes",
    control: "CloudWatch.4",
    title: "An IAM policy changed",
    pattern: `{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}`,
  },
  {
    id: "cloudtrail-changes",
    control: "CloudWatch.5",
    title: "A trail was changed, stopped or deleted",
    pattern: `{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}`,
  },
  {
    id: "kms-key-disabled-or-deleted",
    control: "CloudWatch.7",
    title: "A customer managed KMS key was disabled or scheduled for deletion",
    pattern: `{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}`,
  },
  {
    id: "s3-bucket-policy-changes",
    control: "CloudWatch.8",
    title: "An S3 bucket's policy, ACL, CORS, lifecycle or replication changed",
    pattern: `{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}`,
  },
  {
    id: "security-group-changes",
    control: "CloudWatch.10",
    title: "A security group changed",
    pattern: `{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}`,
  },
  {
    id: "nacl-changes",
    control: "CloudWatch.11",
    title: "A network ACL changed",
    pattern: `{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}`,
  },
  {
    id: "network-gateway-changes",
    control: "CloudWatch.12",
    title: "A network gateway changed",
    pattern: `{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}`,
  },
  {
    id: "route-table-changes",
    control: "CloudWatch.13",
    title: "A route table changed",
    pattern: `{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}`,
  },
  {
    id: "vpc-changes",
    control: "CloudWatch.14",
    title: "A VPC changed",
    pattern: `{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}`,
  },
];
