// A Java client of AWS on the JDK alone (run as `java Client.java PREFIX`, no build tool): the
// HTTP, TLS and proxy paths that the AWS SDK for Java v2 takes, without the SDK (Maven is not
// reachable here).
//
// - The proxy: the JVM's default ProxySelector, which reads -Dhttps.proxyHost/-Dhttps.proxyPort
//   (java.net.http.HttpClient uses it when no other is given), and so CONNECT tunnels.
// - Trust: the JVM's default SSLContext, so -Djavax.net.ssl.trustStore; nothing here.
// - HTTP/1.1, or with a second argument `http2` HttpClient's default: h2 offered in ALPN, HTTP/1.1
//   when the server does not take it. Says which version the last response came in.
// - SigV4 by hand with javax.crypto, checked first against the AWS documentation's example.
// - Calls, to the real AWS host names of us-east-1: SQS CreateQueue (query protocol), DynamoDB
//   CreateTable and PutItem (JSON 1.0), S3 CreateBucket (REST).
//
// Usage: java Client.java PREFIX [http2]      Exits non-zero, saying why, on the first failed call.
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public class Client {
    static final String REGION = System.getenv().getOrDefault("AWS_REGION", "us-east-1");
    static HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static HttpClient.Version lastVersion;

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    static byte[] hmac(byte[] key, String data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    // Signs a request: adds x-amz-date, x-amz-security-token (when a token is given) and
    // authorization to `headers` (lower-case names; host included), returns the signature.
    static String sign(String method, String path, String query, TreeMap<String, String> headers, byte[] body,
                       String region, String service, Instant now, String accessKeyId, String secret, String token)
            throws Exception {
        String amzDate = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC).format(now);
        String day = amzDate.substring(0, 8);
        headers.put("x-amz-date", amzDate);
        if (token != null) headers.put("x-amz-security-token", token);
        String signedHeaders = String.join(";", headers.keySet());
        String canonicalHeaders = headers.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue().trim() + "\n")
            .collect(Collectors.joining());
        String payload = headers.getOrDefault("x-amz-content-sha256", sha256(body));
        String canonical = String.join("\n", method, path, query, canonicalHeaders, signedHeaders, payload);
        String scope = day + "/" + region + "/" + service + "/aws4_request";
        String toSign = String.join("\n", "AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical.getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), day);
        for (String part : new String[] {region, service, "aws4_request"}) key = hmac(key, part);
        String signature = HexFormat.of().formatHex(hmac(key, toSign));
        headers.put("authorization", "AWS4-HMAC-SHA256 Credential=" + accessKeyId + "/" + scope
            + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature);
        return signature;
    }

    // The signer against the AWS documentation's example (IAM ListUsers, 2015-08-30): a wrong
    // signature would pass moto unnoticed, so the client refuses to run with one.
    static void checkSigner() throws Exception {
        TreeMap<String, String> headers = new TreeMap<>(Map.of(
            "content-type", "application/x-www-form-urlencoded; charset=utf-8", "host", "iam.amazonaws.com"));
        String signature = sign("GET", "/", "Action=ListUsers&Version=2010-05-08", headers, new byte[0], "us-east-1", "iam",
            Instant.parse("2015-08-30T12:36:00Z"), "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", null);
        if (!signature.equals("5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")) {
            throw new IllegalStateException("the SigV4 signer is wrong: " + signature + " for the AWS documentation's example");
        }
    }

    // Sends one signed request to https://HOST/PATH and returns its body; throws on a status
    // other than 2xx.
    static String call(String service, String host, String method, String path, Map<String, String> extra, String body)
            throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        TreeMap<String, String> headers = new TreeMap<>(extra);
        headers.put("host", host);
        if (service.equals("s3")) headers.put("x-amz-content-sha256", sha256(bytes));
        sign(method, path, "", headers, bytes, REGION, service, Instant.now(), System.getenv("AWS_ACCESS_KEY_ID"),
            System.getenv("AWS_SECRET_ACCESS_KEY"), System.getenv("AWS_SESSION_TOKEN"));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://" + host + path))
            .method(method, HttpRequest.BodyPublishers.ofByteArray(bytes));
        // HttpClient sets Host itself (from the URI, as signed) and refuses to be given it.
        headers.forEach((name, value) -> { if (!name.equals("host")) request.header(name, value); });
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        lastVersion = response.version();
        if (response.statusCode() / 100 != 2) {
            String text = response.body();
            throw new IllegalStateException(service + " " + method + " " + path + ": HTTP " + response.statusCode() + ": "
                + text.substring(0, Math.min(300, text.length())));
        }
        return response.body();
    }

    static String json(String service, String target, String body) throws Exception {
        return call(service, service + "." + REGION + ".amazonaws.com", "POST", "/",
            Map.of("content-type", "application/x-amz-json-1.0", "x-amz-target", target), body);
    }

    public static void main(String[] arguments) {
        String prefix = arguments.length > 0 ? arguments[0] : "java";
        if (arguments.length > 1 && arguments[1].equals("http2")) {
            http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        }
        try {
            checkSigner();
            // SQS in the query protocol.
            call("sqs", "sqs." + REGION + ".amazonaws.com", "POST", "/",
                Map.of("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
                "Action=CreateQueue&QueueName=" + prefix + "-queue&Version=2012-11-05");
            // DynamoDB in JSON 1.0.
            String table = prefix + "-table";
            json("dynamodb", "DynamoDB_20120810.CreateTable", "{\"TableName\":\"" + table + "\",\"BillingMode\":\"PAY_PER_REQUEST\","
                + "\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"}],"
                + "\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}]}");
            json("dynamodb", "DynamoDB_20120810.PutItem", "{\"TableName\":\"" + table + "\",\"Item\":{\"id\":{\"S\":\"1\"}}}");
            // S3 (REST, path style on the regional host).
            call("s3", "s3." + REGION + ".amazonaws.com", "PUT", "/" + prefix + "-bucket", Map.of(), "");
            System.err.println("Client.java: 4 calls done over " + lastVersion);
        } catch (Exception error) {
            System.err.println("Client.java: " + error);
            for (Throwable cause = error.getCause(); cause != null; cause = cause.getCause()) {
                System.err.println("  caused by: " + cause);
            }
            System.exit(1);
        }
    }
}
