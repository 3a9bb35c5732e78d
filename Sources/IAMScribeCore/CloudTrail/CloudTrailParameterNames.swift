/// The `requestParameters` members a CloudTrail call's policy can depend on, taken from the
/// action table: the reader keeps only these of each call, and `cloudtrail query` keeps only
/// these in its SQL, so that calls differing in nothing else (a timestamp, an item's key, a page
/// token) are one call, one row.
///
/// A member counts when some stage reads it:
///
/// - ``RequestResolver``, filling ARN templates: the candidate members
///   (``RequestResolver/Parameters/candidates(for:)``: aliases, the name, with `name`/`id` taken
///   off or added; the names hold the variable and its aliases, ``keeps(_:)`` the rest) of every variable of the templates of the resource types of every action an
///   operation of the table needs (always or conditionally, and `iam:PassRole`): the resolver
///   fills no other template for a call; and each operation's ``ResourceFill`` members;
/// - `iam:PassRole`: the members that hand a role over;
/// - the conditional actions' triggers (present, absent and required members);
/// - ``EncryptedResourceRules``: the members naming a resource, its object, and its key;
/// - the coverage report: `bucketName`, `functionName`, `tableName`.
///
/// Names are compared as the resolver compares them (``RequestResolver/Parameters/normalize(_:)``:
/// lowercase letters and digits), which matches every spelling the other stages accept (they
/// compare case-insensitively or exactly), so the policy from the kept members is the policy
/// from all of them.
struct CloudTrailParameterNames: Sendable {
    /// The normalized names, sorted.
    let names: [String]
    private let set: Set<String>

    /// The names of the bundled table, worked out once.
    static let bundled = CloudTrailParameterNames(table: .bundled)

    /// Members the coverage report reads (``CloudTrailCallMaker``).
    static let coverageMembers = ["bucketName", "functionName", "tableName"]

    init(table: ActionTable) {
        var found = Set<String>()
        func add(_ member: String?) {
            guard let member else { return }
            let name = RequestResolver.Parameters.normalize(member)
            if !name.isEmpty { found.insert(name) }
        }
        // The templates of the resource types of every action an operation can need: the only
        // ones the resolver fills for a call.
        var templates = Set<String>()
        func addTemplates(of action: String) {
            let parts = action.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let iam = table.iamService(prefix: String(parts[0])),
                  let known = iam.action(named: String(parts[1])) else { return }
            for type in known.resourceTypes {
                if let template = iam.arnTemplates[type.name] { templates.insert(template) }
            }
        }
        for service in table.services {
            for operation in table.operations(of: service) {
                operation.actions.forEach(addTemplates)
                operation.conditionalActions.forEach { addTemplates(of: $0.action) }
                for fill in operation.resourceFills {
                    for variable in fill.variables {
                        add(variable.member)
                        add(variable.secondMember)
                    }
                }
                for member in operation.resourceMembers where member.isRole { add(member.name) }
                for conditional in operation.conditionalActions {
                    for trigger in conditional.members + conditional.absentMembers + conditional.requiredMembers {
                        add(String(OperationInfo.ConditionalAction.member(of: trigger)))
                    }
                }
            }
        }
        // The roles a call hands over (the role template, filled from the passing members).
        addTemplates(of: "iam:PassRole")
        // A variable's own name and its aliases: ``keeps(_:)`` derives the other candidates.
        for template in templates {
            for variable in Self.variables(in: template) where !["Partition", "Region", "Account"].contains(variable) {
                let name = RequestResolver.Parameters.normalize(variable)
                found.insert(name)
                found.formUnion(RequestResolver.Parameters.aliases[name] ?? [])
            }
        }
        for markers in EncryptedResourceRules.markers.values {
            for marker in markers.values {
                marker.resourceMembers.forEach { add($0) }
                marker.keys.forEach { add($0.member) }
                add(marker.keyValueMember)
                add(marker.objectMember)
            }
        }
        EncryptedResourceRules.objectMembers.values.forEach { add($0) }
        EncryptedResourceRules.resourceMembers.values.joined().forEach { add($0) }
        Self.coverageMembers.forEach { add($0) }
        set = found
        names = found.sorted()
    }

    /// Whether a member is one a policy can depend on: one of its ``forms(of:)`` is among the
    /// names. This covers every candidate the resolver looks a variable up under (its own name,
    /// an alias, the name with `name` or `id` added or taken off) with a list of names a quarter
    /// as long, so that the SQL stays small; the Athena query tests the same forms.
    func keeps(_ member: String) -> Bool {
        Self.forms(of: RequestResolver.Parameters.normalize(member)).contains { set.contains($0) }
    }

    /// The forms of a normalized member name looked up among the names: itself, with `name` and
    /// with `id` added (a member `function` for the variable `FunctionName`), and without a
    /// trailing `name` or `id` (a member `functionnameid` or `bucketname`... for `FunctionName`
    /// and `Bucket`).
    static func forms(of name: String) -> [String] {
        var forms = [name, name + "name", name + "id"]
        if name.hasSuffix("name") {
            forms.append(String(name.dropLast(4)))
        } else if name.hasSuffix("id") {
            forms.append(String(name.dropLast(2)))
        }
        return forms
    }

    /// The variables of an ARN template (`${BucketName}` gives `BucketName`).
    static func variables(in template: String) -> [String] {
        var variables: [String] = []
        var rest = Substring(template)
        while let open = rest.firstRange(of: "${"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            variables.append(String(rest[open.upperBound..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return variables
    }
}
