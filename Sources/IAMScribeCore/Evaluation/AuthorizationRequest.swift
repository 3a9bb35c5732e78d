/// What the evaluator decides on: one action, the resource(s) it acts on, and the request context.
public struct AuthorizationRequest: Sendable, Hashable {
    /// How several resources combine.
    public enum ResourceScope: String, Sendable, Hashable {
        /// The call acts on every resource (an action with several required resource types): each
        /// must be allowed.
        case allOf
        /// The call acts on one of them but the capture does not tell which (an action whose
        /// resource types are all optional, called without known parameters): allowed only if each
        /// would be, denied only if each would be.
        case oneOf
    }

    /// The action, `prefix:Name`.
    public var action: String
    /// The resources; never empty (``ResourceText/any`` for an action without resource types).
    public var resources: [ResourceText]
    /// How the resources combine.
    public var scope: ResourceScope
    /// The condition keys the request carries.
    public var context: RequestContext

    /// Creates a request.
    ///
    /// - Parameters:
    ///   - action: The action, `prefix:Name`.
    ///   - resources: The resources; an empty list means ``ResourceText/any``.
    ///   - scope: How several resources combine.
    ///   - context: The condition keys the request carries.
    public init(action: String, resources: [ResourceText], scope: ResourceScope = .allOf, context: RequestContext = RequestContext()) {
        self.action = action
        self.resources = resources.isEmpty ? [.any] : resources
        self.scope = scope
        self.context = context
    }

    /// The resources as one line, for reports: `a`, or `a | b` for alternatives, `a + b` for all.
    public var resourceDescription: String {
        resources.map(\.description).joined(separator: scope == .oneOf ? " | " : " + ")
    }
}
