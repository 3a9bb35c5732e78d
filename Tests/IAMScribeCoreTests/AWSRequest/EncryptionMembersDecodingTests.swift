@testable import IAMScribeCore
import Testing

@Suite("The decoder keeps what tells a recording that a resource is encrypted")
struct EncryptionMembersDecodingTests {
    typealias B = PacketBuilder

    private func call(_ request: String) throws -> ObservedCall? {
        try B.decode(B.exchange([(request, B.response(200))])).calls.first
    }

    @Test("SQS JSON: KmsMasterKeyId inside Attributes; the queue URL of later calls")
    func sqsJSON() throws {
        let queue = try #require(try call(B.signedRequest("POST", "/", service: "sqs", headers: ["X-Amz-Target: AmazonSQS.CreateQueue"],
                                                          body: #"{"QueueName":"orders","Attributes":{"KmsMasterKeyId":"alias/orders"}}"#)))
        // The key id is kept (it is no secret) so that an AWS managed key is told apart.
        #expect(queue.parameters == ["QueueName": "orders", "Attributes.KmsMasterKeyId": "alias/orders"])
        let plain = try #require(try call(B.signedRequest("POST", "/", service: "sqs", headers: ["X-Amz-Target: AmazonSQS.CreateQueue"],
                                                          body: #"{"QueueName":"plain","Attributes":{"DelaySeconds":"0"}}"#)))
        #expect(plain.parameters == ["QueueName": "plain"])
    }

    @Test("SQS and SNS query forms: a map's keys travel as values")
    func forms() throws {
        let queue = try #require(try call(B.signedRequest("POST", "/", service: "sqs", headers: ["Content-Type: application/x-www-form-urlencoded"],
                                                          body: "Action=CreateQueue&QueueName=orders&Attribute.1.Name=KmsMasterKeyId&Attribute.1.Value=k")))
        #expect(queue.parameters?["Attributes.KmsMasterKeyId"] == "k")
        let topic = try #require(try call(B.signedRequest("POST", "/", service: "sns", headers: ["Content-Type: application/x-www-form-urlencoded"],
                                                          body: "Action=CreateTopic&Name=alerts&Attributes.entry.1.key=KmsMasterKeyId&Attributes.entry.1.value=k")))
        #expect(topic.parameters?["Attributes.KmsMasterKeyId"] == "k")
        let other = try #require(try call(B.signedRequest("POST", "/", service: "sns", headers: ["Content-Type: application/x-www-form-urlencoded"],
                                                          body: "Action=CreateTopic&Name=alerts&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=KmsMasterKeyIdX")))
        #expect(other.parameters?["Attributes.KmsMasterKeyId"] == nil)
        let publish = try #require(try call(B.signedRequest("POST", "/", service: "sns", headers: ["Content-Type: application/x-www-form-urlencoded"],
                                                            body: "Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3Aalerts&Message=hi")))
        #expect(publish.parameters?["TopicArn"] == "arn:aws:sns:us-east-1:1:alerts")
        #expect(publish.parameters?["Message"] == nil)
    }

    @Test("AWS managed keys inside attribute maps do not mark the resource, in every encoding")
    func managedKeys() throws {
        let form = try #require(try call(B.signedRequest("POST", "/", service: "sqs", headers: ["Content-Type: application/x-www-form-urlencoded"],
                                                         body: "Action=CreateQueue&QueueName=q&Attribute.1.Name=KmsMasterKeyId&Attribute.1.Value=alias%2Faws%2Fsqs")))
        #expect(form.parameters?["Attributes.KmsMasterKeyId"] == "alias/aws/sqs")
        let topic = try #require(try call(B.signedRequest("POST", "/", service: "sns", headers: ["Content-Type: application/x-www-form-urlencoded"],
                                                          body: "Action=CreateTopic&Name=t&Attributes.entry.1.key=KmsMasterKeyId&Attributes.entry.1.value=alias%2Faws%2Fsns")))
        let json = try #require(try call(B.signedRequest("POST", "/", service: "sqs", headers: ["X-Amz-Target: AmazonSQS.CreateQueue"],
                                                         body: #"{"QueueName":"j","Attributes":{"KmsMasterKeyId" : "alias/aws/sqs"}}"#)))
        for created in [form, topic, json] {
            var tracker = EncryptedResourceTracker()
            let service = try #require(ActionTable.bundled.service(named: created.service))
            let info = try #require(ActionTable.bundled.operation(created.operation, of: service))
            _ = tracker.parameters(module: service.module, operation: info, try #require(created.parameters))
            #expect(tracker.resources.isEmpty, "\(created.service) \(created.operation)")
        }
    }

    @Test("SSM GetParameter keeps WithDecryption's value")
    func withDecryption() throws {
        let get = try #require(try call(B.signedRequest("POST", "/", service: "ssm", headers: ["X-Amz-Target: AmazonSSM.GetParameter"],
                                                        body: #"{"Name":"/app/db","WithDecryption":true}"#)))
        #expect(get.parameters?["WithDecryption"] == "true")
        let permissions = try ActionTable.bundled.permissions(service: get.service, operation: get.operation, parameters: get.parameters).get()
        #expect(permissions.mayAlsoNeed == ["kms:Decrypt"])
        let plain = try ActionTable.bundled.permissions(service: "ssm", operation: "GetParameter", parameters: ["Name": "/app/db"]).get()
        #expect(plain.mayAlsoNeed.isEmpty)
    }

    @Test("Secrets Manager: the secret's id, never its value; Redshift Data's credential members")
    func secrets() throws {
        let get = try #require(try call(B.signedRequest("POST", "/", service: "secretsmanager", headers: ["X-Amz-Target: secretsmanager.GetSecretValue"],
                                                        body: #"{"SecretId":"db"}"#)))
        #expect(get.parameters == ["SecretId": "db"])
        let put = try #require(try call(B.signedRequest("POST", "/", service: "secretsmanager", headers: ["X-Amz-Target: secretsmanager.PutSecretValue"],
                                                        body: #"{"SecretId":"db","SecretString":"hunter2"}"#)))
        #expect(!"\(put.parameters ?? [:])".contains("hunter2"))
        let statement = try #require(try call(B.signedRequest("POST", "/", service: "redshift-data", headers: ["X-Amz-Target: RedshiftData.ExecuteStatement"],
                                                              body: #"{"ClusterIdentifier":"c","DbUser":"u","Database":"d","Sql":"select 1"}"#)))
        let permissions = try ActionTable.bundled.permissions(service: statement.service, operation: statement.operation,
                                                              parameters: statement.parameters).get()
        #expect(permissions.actions == ["redshift-data:ExecuteStatement", "redshift:GetClusterCredentials"])
    }
}
