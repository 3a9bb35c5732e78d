data "aws_iam_policy_document" "iamscribe" {
  version = "2012-10-17"

  statement {
    effect    = "Allow"
    actions   = [
      "s3:GetObject",
      "s3:PutObject",
    ]
    resources = [
      "arn:aws:s3:::reports-bucket/$${aws:username}/*",
      "arn:aws:s3:::$${BucketName}/$${ObjectName}",
    ]
  }

  statement {
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::reports-bucket"]
  }

  statement {
    sid       = "Queues"
    effect    = "Allow"
    actions   = [
      "sqs:ReceiveMessage",
      "sqs:SendMessage",
    ]
    resources = [
      "arn:aws:sqs:eu-west-1:123456789012:jobs",
      "arn:aws:sqs:eu-west-1:123456789012:jobs-dlq",
    ]
  }

  statement {
    effect    = "Allow"
    actions   = ["ssm:GetParameter"]
    resources = ["arn:aws:ssm:us-east-1:123456789012:parameter/app/%%{x}\"quoted\"\\back"]
  }

  statement {
    effect    = "Allow"
    actions   = [
      "sqs:ListQueues",
      "sts:GetCallerIdentity",
    ]
    resources = ["*"]
  }
}
