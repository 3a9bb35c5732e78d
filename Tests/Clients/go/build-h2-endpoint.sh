#!/usr/bin/env bash
# Builds the HTTP/2 test endpoint and clients (src/iamscribe-h2-endpoint: Go's standard library
# only) with Debian's golang-go, in GOPATH mode: no module downloads. Prints the binary's path.
# Rebuilds only when the source is newer than the binary.
#
# Usage: Tests/Clients/go/build-h2-endpoint.sh [OUTPUT]   (default: under the system's temporary folder)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
output="${1:-${TMPDIR:-/tmp}/iamscribe-clients/iamscribe-h2-endpoint}"
source="$here/src/iamscribe-h2-endpoint/main.go"
if [ -x "$output" ] && [ "$output" -nt "$source" ] && [ "$output" -nt "$0" ]; then
    echo "$output"
    exit 0
fi
command -v go >/dev/null || { echo "build-h2-endpoint.sh: go is not installed (Scripts/setup installs golang-go)" >&2; exit 1; }
mkdir -p "$(dirname "$output")"
cache="$(dirname "$output")/go-cache"
# Built into a temporary name and renamed, so that tests building at once never run a half-written binary.
partial="$output.$$"
GO111MODULE=off GOPATH="$here" GOCACHE="$cache" GOPROXY=off go build -o "$partial" iamscribe-h2-endpoint
mv -f "$partial" "$output"
echo "$output"
