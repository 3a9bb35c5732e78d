// Command iamscribe-go-client is a test workload for iamscribe: it calls S3, DynamoDB, SQS and STS
// with Debian's AWS SDK for Go v2, which sends no client-side monitoring and (in the packaged
// version) speaks the query protocol to SQS.
//
// Built in GOPATH mode against the packaged sources (see build.sh), so it needs no module downloads.
//
// The endpoint is the -endpoint flag, else AWS_ENDPOINT_URL; with neither, the SDK's own AWS host
// names are used (for a proxy that forwards AWS hosts elsewhere). Credentials and region come from
// the usual environment variables.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamodbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	endpoint := flag.String("endpoint", os.Getenv("AWS_ENDPOINT_URL"), "the endpoint of every service (default: AWS_ENDPOINT_URL, else AWS host names)")
	prefix := flag.String("prefix", "go", "the prefix of the bucket, table and queue names")
	flag.Parse()
	if err := run(context.Background(), *endpoint, *prefix); err != nil {
		fmt.Fprintln(os.Stderr, "iamscribe-go-client:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, endpoint, prefix string) error {
	var options []func(*config.LoadOptions) error
	if endpoint != "" {
		resolver := aws.EndpointResolverWithOptionsFunc(func(service, region string, _ ...interface{}) (aws.Endpoint, error) {
			return aws.Endpoint{URL: endpoint, SigningRegion: region, HostnameImmutable: true}, nil
		})
		options = append(options, config.WithEndpointResolverWithOptions(resolver))
	}
	cfg, err := config.LoadDefaultConfig(ctx, options...)
	if err != nil {
		return fmt.Errorf("loading the configuration: %w", err)
	}

	// S3: a bucket, an object written, read back, listed. Path-style addressing when an endpoint
	// is given, since a local server has no per-bucket host names.
	s3Client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = endpoint != "" })
	bucket := aws.String(prefix + "-bucket")
	if _, err := s3Client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil {
		return fmt.Errorf("s3 CreateBucket: %w", err)
	}
	key := aws.String("hello.txt")
	if _, err := s3Client.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: key, Body: strings.NewReader("hello")}); err != nil {
		return fmt.Errorf("s3 PutObject: %w", err)
	}
	object, err := s3Client.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: key})
	if err != nil {
		return fmt.Errorf("s3 GetObject: %w", err)
	}
	object.Body.Close()
	if _, err := s3Client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket}); err != nil {
		return fmt.Errorf("s3 ListObjectsV2: %w", err)
	}

	// DynamoDB: a table, an item written and read.
	db := dynamodb.NewFromConfig(cfg)
	table := aws.String(prefix + "-table")
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            table,
		AttributeDefinitions: []dynamodbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: dynamodbtypes.ScalarAttributeTypeS}},
		KeySchema:            []dynamodbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: dynamodbtypes.KeyTypeHash}},
		BillingMode:          dynamodbtypes.BillingModePayPerRequest,
	}); err != nil {
		return fmt.Errorf("dynamodb CreateTable: %w", err)
	}
	item := map[string]dynamodbtypes.AttributeValue{"id": &dynamodbtypes.AttributeValueMemberS{Value: "1"}}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: item}); err != nil {
		return fmt.Errorf("dynamodb PutItem: %w", err)
	}
	if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: item}); err != nil {
		return fmt.Errorf("dynamodb GetItem: %w", err)
	}

	// SQS: a queue and a message (the packaged SDK sends these in the query protocol).
	queues := sqs.NewFromConfig(cfg)
	queue, err := queues.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(prefix + "-queue")})
	if err != nil {
		return fmt.Errorf("sqs CreateQueue: %w", err)
	}
	if _, err := queues.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: queue.QueueUrl, MessageBody: aws.String("job")}); err != nil {
		return fmt.Errorf("sqs SendMessage: %w", err)
	}

	// STS: who is calling (needs no permission).
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		return fmt.Errorf("sts GetCallerIdentity: %w", err)
	}
	fmt.Fprintln(os.Stderr, "iamscribe-go-client: every call succeeded")
	return nil
}
