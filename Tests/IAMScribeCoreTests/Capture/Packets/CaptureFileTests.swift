import Foundation
@testable import IAMScribeCore
import Testing

@Suite("Capture files and live capture")
struct CaptureFileTests {
    typealias B = PacketBuilder

    /// The actions the boto3 part of Scripts/lib/aws_workload.py needs.
    static let boto3Actions = [
        "dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem",
        "ec2:CreateTags", "ec2:CreateVpc", "ec2:DescribeInstances", "iam:CreateRole", "iam:TagRole",
        "kms:CreateKey", "kms:Encrypt", "lambda:GetFunction", "lambda:ListFunctions",
        "s3:CreateBucket", "s3:DeleteObject", "s3:GetBucketAcl", "s3:ListBucket", "s3:PutObject", "s3:PutObjectTagging",
        "sns:CreateTopic", "sns:Publish", "sqs:CreateQueue", "sqs:ReceiveMessage", "sqs:SendMessage", "sts:AssumeRole",
    ]

    static func actions(_ calls: [ObservedCall], failsOnly: Bool = false) -> [String] {
        var builder = PolicyBuilder(options: .init(failsOnly: failsOnly))
        for call in calls { builder.add(call) }
        return builder.actions
    }

    @Test("The recorded AWS CLI and boto3 capture: calls, parameters, statuses")
    func fixture() throws {
        let result = try CaptureFile.read(path: Fixtures.url("aws-moto.pcap").path)
        #expect(result.damage == nil)
        #expect(result.statistics.malformed == 0)
        #expect(result.statistics.skippedMissingData == 0)
        #expect(result.statistics.csmDatagrams == 6)
        let http = result.calls.filter { $0.source == .pcap }
        #expect(http.count == 28)
        let virtualPut = try #require(http.first { $0.operation == "PutObject" && $0.parameters?["Bucket"] == "pcap-virtual-bucket" })
        #expect(virtualPut.parameters?["Key"] == "a/b c.txt")
        #expect(virtualPut.parameters?["Tagging"] == "")
        #expect(virtualPut.httpStatus == 200)
        #expect(virtualPut.accessKeyID?.value == "AKIAIOSFODNN7EXAMPLE")
        #expect(virtualPut.region == "us-east-1")
        let missing = try #require(http.first { $0.operation == "DescribeTable" })
        #expect(missing.httpStatus == 400)
        #expect(missing.errorCode == "ResourceNotFoundException")
        #expect(http.map(\.time) == http.map(\.time).sorted())
        var expected = Self.boto3Actions + ["cloudwatch:ListMetrics", "s3:GetObject", "sqs:ListQueues"]
        expected.sort { $0.lowercased() < $1.lowercased() }
        #expect(Self.actions(result.calls) == expected)
        #expect(Self.actions(result.calls, failsOnly: true) == ["dynamodb:DescribeTable", "lambda:GetFunction", "s3:GetObject"])
    }

    @Test("A truncated file keeps the calls before the cut and says where it broke")
    func truncated() throws {
        let bytes = try [UInt8](Data(contentsOf: Fixtures.url("aws-moto.pcap")))
        let whole = try CaptureFile.read(bytes: bytes, name: "whole").calls.count
        var previous = 0
        for cut in stride(from: 24, to: bytes.count, by: 997) {
            let result = try CaptureFile.read(bytes: Array(bytes.prefix(cut)), name: "cut")
            #expect(result.calls.count <= whole)
            #expect(result.calls.count + 3 >= previous)  // a cut mid-exchange may lose the exchanges still open
            previous = result.calls.count
        }
        let cutMidRecord = try CaptureFile.read(bytes: Array(bytes.prefix(40_000)), name: "cut")
        #expect(cutMidRecord.damage?.message.contains("truncated") == true)
        #expect(!cutMidRecord.calls.isEmpty)
    }

    @Test("A corrupt record length stops the reading with the calls before it")
    func corrupt() throws {
        var bytes = B.pcapFile(B.exchange([PacketPipelineTests.getItem, PacketPipelineTests.putObject]))
        let clean = try CaptureFile.read(bytes: bytes, name: "clean")
        #expect(clean.calls.count == 2)
        // The last record's captured length, made absurd.
        let lastRecord = bytes.count - B.tcpPacket(.server4, .client4, sequence: 0, flags: 0x11).count - 16
        bytes.replaceSubrange((lastRecord + 8)..<(lastRecord + 12), with: [0xFF, 0xFF, 0xFF, 0x7F])
        let damaged = try CaptureFile.read(bytes: bytes, name: "damaged")
        #expect(damaged.damage != nil)
        #expect(damaged.calls.count == 2)
        #expect(throws: IAMScribeError.self) { try CaptureFile.read(bytes: Array(bytes.prefix(10)), name: "short") }
    }

    @Test("pcapng files decode like pcap files")
    func pcapng() throws {
        let packets = B.exchange([PacketPipelineTests.getItem, PacketPipelineTests.missingTable], link: .linuxCookedV2)
        let classic = try CaptureFile.read(bytes: B.pcapFile(packets, link: .linuxCookedV2), name: "pcap")
        let next = try CaptureFile.read(bytes: Self.pcapngFile(packets, dlt: 276), name: "pcapng")
        #expect(CaptureFile.format(of: Self.pcapngFile(packets, dlt: 276)) == .pcapng)
        #expect(classic.calls.map(\.operation) == ["GetItem", "DescribeTable"])
        #expect(next.calls.map(\.operation) == classic.calls.map(\.operation))
        #expect(next.calls.map(\.httpStatus) == [200, 400])
    }

    @Test("CallInput tells captures by their magic number")
    func callInput() throws {
        let result = try CallInput.read(path: Fixtures.url("aws-moto.pcap").path)
        #expect(result.format == .pcap)
        #expect(result.capture?.httpRequests == 28)
        let noCSM = try CallInput.read(path: Fixtures.url("aws-moto.pcap").path, capture: CaptureOptions(csmPorts: [9]))
        #expect(noCSM.capture?.csmDatagrams == 0)
    }

    @Test("Live capture errors say what to do")
    func liveErrors() throws {
        let error = #expect(throws: IAMScribeError.self) { try LiveCapture(interface: "no-such-if0") }
        #expect(error?.code == .unknownInterface || error?.code == .permissionDenied)
        if error?.code == .unknownInterface { #expect(error?.reason.contains("lo") == true) }
        if getuid() == 0 {
            let filter = #expect(throws: IAMScribeError.self) { try LiveCapture(interface: "lo", filter: "tcp port nonsense") }
            #expect(filter?.code == .invalidFilter)
        }
        let denied = PcapHandle.activationError(-8, interface: "eth0", detail: "socket: Operation not permitted")
        #expect(denied.code == .permissionDenied)
        #expect(denied.reason.contains("setcap cap_net_raw,cap_net_admin=eip"))
        #expect(denied.reason.contains("root"))
    }

    @Test("Live capture on the loopback interface decodes boto3 talking to moto",
          .enabled(if: LocalAWS.available(), "needs moto_server, boto3 and root"))
    func live() async throws {
        let server = try LocalAWS()
        let capture = try LiveCapture(interface: "lo", filter: "tcp port \(server.port)")
        let collected = Task {
            var calls: [ObservedCall] = []
            for await event in capture.events { if case .call(let call) = event { calls.append(call) } }
            return calls
        }
        // Waiting for packets does not spin: the capture thread blocks in libpcap between reads.
        let before = capture.reads.load(ordering: .relaxed)
        try await Task.sleep(for: .seconds(1))
        #expect(capture.reads.load(ordering: .relaxed) - before < 100)
        try server.runWorkload()
        try await Task.sleep(for: .milliseconds(300))
        capture.stop()
        let calls = await collected.value
        #expect(Self.actions(calls) == Self.boto3Actions)
        #expect(capture.statistics.httpRequests == calls.count)
        #expect(capture.statistics.skippedMissingData == 0)
        #expect(capture.failure == nil)
    }

    /// A pcapng file: a section header, one interface, and an enhanced packet block per packet.
    static func pcapngFile(_ packets: [[UInt8]], dlt: UInt16) -> [UInt8] {
        func le32(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8((value >> 24) & 0xFF)] }
        func block(_ type: Int, _ body: [UInt8]) -> [UInt8] {
            let padded = body + Array(repeating: 0, count: (4 - body.count % 4) % 4)
            return le32(type) + le32(padded.count + 12) + padded + le32(padded.count + 12)
        }
        var file = block(0x0A0D_0D0A, [0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0] + Array(repeating: 0xFF, count: 8))
        file += block(1, [UInt8(dlt & 0xFF), UInt8(dlt >> 8), 0, 0] + le32(262_144))
        for (index, packet) in packets.enumerated() {
            let micros = 1_700_000_000_000_000 + index * 1000
            file += block(6, le32(0) + le32(micros >> 32) + le32(micros & 0xFFFF_FFFF) + le32(packet.count) + le32(packet.count) + packet)
        }
        return file
    }
}
