import TestSupport

/// The shared fixtures (Tests/TestSupport/Fixtures), named here so that test files need no import.
typealias Fixtures = TestSupport.Fixtures
