import Foundation
import Testing

/// Role hand-off (`iam:PassRole`) through the built binary: `lookup --json` for the required and
/// optional cases, `table stats` and `table passrole`.
@Suite("Role hand-off: lookup, table stats and table passrole, through the binary")
struct PassRoleCommandTests {
    @Test("A required top-level role member: always needed")
    func topLevel() throws {
        let result = try Binary.run(["lookup", "CloudWatch Logs", "PutDestination", "--json"])
        #expect(result.status == 0)
        #expect(result.stdout == #"""
        {"service":"CloudWatch Logs","module":"logs","iamPrefix":"logs","operation":"PutDestination","known":true,"permissionless":false,"unmapped":false,"actions":["logs:PutDestination","iam:PassRole"],"mayAlsoNeed":["logs:TagResource"],"conditions":[{"action":"logs:TagResource","kind":"parameter","when":["tags"],"unless":[]}],"resources":[{"action":"logs:PutDestination","resourceType":"destination","arn":"arn:${Partition}:logs:${Region}:${Account}:destination:${DestinationName}","required":true},{"action":"iam:PassRole","resourceType":"role","arn":"arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}","required":true}]}

        """#)
        let text = try Binary.run(["lookup", "SFN", "CreateStateMachine"])
        #expect(text.stdout.contains("actions:\n  states:CreateStateMachine\n  iam:PassRole\n"))
    }

    @Test("An instance profile and an attribute map: conditional on the member")
    func conditional() throws {
        let profile = try Binary.run(["lookup", "Auto Scaling", "CreateLaunchConfiguration", "--json"])
        #expect(profile.stdout == #"""
        {"service":"Auto Scaling","module":"autoscaling","iamPrefix":"autoscaling","operation":"CreateLaunchConfiguration","known":true,"permissionless":false,"unmapped":false,"actions":["autoscaling:CreateLaunchConfiguration"],"mayAlsoNeed":["iam:PassRole"],"conditions":[{"action":"iam:PassRole","kind":"parameter","when":["IamInstanceProfile"],"unless":[]}],"resources":[{"action":"autoscaling:CreateLaunchConfiguration","resourceType":"launchConfiguration","arn":"arn:${Partition}:autoscaling:${Region}:${Account}:launchConfiguration:${Id}:launchConfigurationName/${LaunchConfigurationName}","required":true}]}

        """#)
        let topic = try Binary.run(["lookup", "SNS", "CreateTopic", "--json"])
        #expect(topic.stdout == #"""
        {"service":"SNS","module":"sns","iamPrefix":"sns","operation":"CreateTopic","known":true,"permissionless":false,"unmapped":false,"actions":["sns:CreateTopic"],"mayAlsoNeed":["iam:PassRole","sns:TagResource"],"conditions":[{"action":"iam:PassRole","kind":"parameter","when":["Attributes.HTTPSuccessFeedbackRoleArn","Attributes.HTTPFailureFeedbackRoleArn","Attributes.FirehoseSuccessFeedbackRoleArn","Attributes.FirehoseFailureFeedbackRoleArn","Attributes.LambdaSuccessFeedbackRoleArn","Attributes.LambdaFailureFeedbackRoleArn","Attributes.ApplicationSuccessFeedbackRoleArn","Attributes.ApplicationFailureFeedbackRoleArn","Attributes.SQSSuccessFeedbackRoleArn","Attributes.SQSFailureFeedbackRoleArn"],"unless":[]},{"action":"sns:TagResource","kind":"parameter","when":["Tags"],"unless":[]}],"resources":[{"action":"sns:CreateTopic","resourceType":"topic","arn":"arn:${Partition}:sns:${Region}:${Account}:${TopicName}","required":true}]}

        """#)
        let text = try Binary.run(["lookup", "EC2", "RunInstances"])
        #expect(text.stdout.contains("may also need:\n"))
        #expect(text.stdout.contains("\n  iam:PassRole  (when IamInstanceProfile is given)\n"))
    }

    /// Every case, top level, nested, instance profile and attribute map, required and optional:
    /// `lookup --json` gives exactly the stored line (Fixtures/passrole-lookups.tsv: service,
    /// operation, output).
    @Test("lookup --json: the exact output of every role hand-off case")
    func storedOutputs() throws {
        let stored = try Fixtures.text("passrole-lookups.tsv")
        var cases = 0
        for line in stored.split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 2).map(String.init)
            try #require(fields.count == 3)
            let result = try Binary.run(["lookup", fields[0], fields[1], "--json"])
            #expect(result.status == 0)
            #expect(result.stdout == fields[2] + "\n", "lookup \(fields[0]) \(fields[1])")
            cases += 1
        }
        #expect(cases == 14)
        // Spot checks, so that the stored file is read for what it says.
        #expect(stored.contains("CodePipeline\tCreatePipeline\t" + #"{"service":"CodePipeline","module":"codepipeline","iamPrefix":"codepipeline","operation":"CreatePipeline","known":true,"permissionless":false,"unmapped":false,"actions":["codepipeline:CreatePipeline","iam:PassRole"]"#))
        #expect(stored.contains(#""operation":"CreateTopicRule","known":true,"permissionless":false,"unmapped":false,"actions":["iot:CreateTopicRule"],"mayAlsoNeed":["iam:PassRole","iot:TagResource"],"conditions":[{"action":"iam:PassRole","kind":"parameter","when":["topicRulePayload.actions.dynamoDB","#))
        #expect(stored.contains(#""operation":"CreateAccount","known":true,"permissionless":false,"unmapped":false,"actions":["organizations:CreateAccount"],"mayAlsoNeed":["organizations:TagResource"]"#))
    }

    @Test("table stats counts the operations that hand a role over")
    func stats() throws {
        let text = try Binary.run(["table", "stats"])
        #expect(text.stdout.contains("iam:PassRole:   845 operations hand a role over (303 always, 542 conditional)\n"))
        let json = try Binary.run(["table", "stats", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["passRoleAlways"] as? Int == 303)
        #expect(object["passRoleConditional"] as? Int == 542)
    }

    @Test("table passrole lists them, with each member's path")
    func list() throws {
        let text = try Binary.run(["table", "passrole"])
        #expect(text.status == 0)
        let lines = text.stdout.split(separator: "\n")
        #expect(lines.count == 846)
        #expect(lines.last == "845 operations: 303 always, 542 conditional")
        #expect(lines.contains("EC2\tRunInstances\twhen IamInstanceProfile is given\tIamInstanceProfile (instance profile) [when IamInstanceProfile is given]"))
        #expect(lines.contains("Lambda\tCreateFunction\talways\tRole [always]"))
        #expect(lines.contains("SNS\tSetSubscriptionAttributes\twhen AttributeName is SubscriptionRoleArn\tAttributeValue (attribute) [when AttributeName is SubscriptionRoleArn]"))
        #expect(!lines.contains { $0.hasPrefix("Organizations\tCreateAccount\t") })

        let json = try Binary.run(["table", "passrole", "--json"])
        let objects = json.stdout.split(separator: "\n")
        #expect(objects.count == 845)
        #expect(objects.contains(#"{"service":"EC2","module":"ec2","operation":"RunInstances","always":false,"when":["IamInstanceProfile"],"members":[{"path":"IamInstanceProfile","kind":"profile","always":false,"when":["IamInstanceProfile"]}]}"#))
        #expect(objects.contains(#"{"service":"SNS","module":"sns","operation":"CreateTopic","always":false,"when":["Attributes.HTTPSuccessFeedbackRoleArn","Attributes.HTTPFailureFeedbackRoleArn","Attributes.FirehoseSuccessFeedbackRoleArn","Attributes.FirehoseFailureFeedbackRoleArn","Attributes.LambdaSuccessFeedbackRoleArn","Attributes.LambdaFailureFeedbackRoleArn","Attributes.ApplicationSuccessFeedbackRoleArn","Attributes.ApplicationFailureFeedbackRoleArn","Attributes.SQSSuccessFeedbackRoleArn","Attributes.SQSFailureFeedbackRoleArn"],"members":[{"path":"Attributes.*FeedbackRoleArn","kind":"attribute","always":false,"when":["Attributes.HTTPSuccessFeedbackRoleArn","Attributes.HTTPFailureFeedbackRoleArn","Attributes.FirehoseSuccessFeedbackRoleArn","Attributes.FirehoseFailureFeedbackRoleArn","Attributes.LambdaSuccessFeedbackRoleArn","Attributes.LambdaFailureFeedbackRoleArn","Attributes.ApplicationSuccessFeedbackRoleArn","Attributes.ApplicationFailureFeedbackRoleArn","Attributes.SQSSuccessFeedbackRoleArn","Attributes.SQSFailureFeedbackRoleArn"]}]}"#))
        for object in objects {
            #expect((try? JSONSerialization.jsonObject(with: Data(object.utf8))) is [String: Any])
        }
    }

    @Test("run --mode pcap: boto3 hands SNS a delivery-status role; iam:PassRole is granted for that call only",
          .enabled(if: Workloads.available && getuid() == 0, "needs moto_server, python3 with boto3, and root"))
    func capturedRoleHandOff() throws {
        let moto = try Moto()
        // SetTopicAttributes passes a role only when AttributeName names a role attribute (a value
        // trigger); DisplayName passes none. CreateTopic passes one only when its Attributes hold a
        // delivery-status role attribute (the capture sees the attribute names).
        let plain = """
            import boto3
            sns = boto3.client("sns")
            arn = sns.create_topic(Name="orders", Attributes={"DisplayName": "Orders"})["TopicArn"]
            sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Orders")
            """
        let createdWithRole = """
            import boto3
            sns = boto3.client("sns")
            sns.create_topic(Name="audited", Attributes={"SQSFailureFeedbackRoleArn": "arn:aws:iam::123456789012:role/sns-feedback"})
            """
        let withRole = plain + """

            sns.set_topic_attributes(TopicArn=arn, AttributeName="LambdaSuccessFeedbackRoleArn",
                                     AttributeValue="arn:aws:iam::123456789012:role/sns-feedback")
            """
        func policy(_ script: String) throws -> [String] {
            let result = try Binary.run(["run", "--mode", "pcap", "--interface", "lo", "--filter", "tcp port \(moto.port)",
                                         "--", "python3", "-c", script],
                                        environment: Workloads.clientEnvironment(moto: moto))
            #expect(result.status == 0, "\(result.stderr)")
            return try Workloads.actions(inPolicy: result.stdout)
        }
        #expect(try policy(plain) == ["sns:CreateTopic", "sns:SetTopicAttributes"])
        #expect(try policy(withRole) == ["iam:PassRole", "sns:CreateTopic", "sns:SetTopicAttributes"])
        #expect(try policy(createdWithRole) == ["iam:PassRole", "sns:CreateTopic"])
    }
}
