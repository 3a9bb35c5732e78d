#!/usr/bin/env bash
# Builds the HTTP/2 test endpoint and clients (src/iamscribe-h2-endpoint: Go's standard library
# only) with Debian's golang-go, in GOPATH mode: no module downloads. Prints the binary's path.
#
# Usage: Tests/Clients/go/build-h2-endpoint.sh [OUTPUT]   (default: under the system's temporary folder)
exec "$(dirname "${BASH_SOURCE[0]}")/build.sh" --program iamscribe-h2-endpoint "$@"
