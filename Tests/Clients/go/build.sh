#!/usr/bin/env bash
# Builds a Go test program of src/ in GOPATH mode with Debian's golang-go, no module downloads:
# by default the client against Debian's packaged AWS SDK for Go v2
# (golang-github-aws-aws-sdk-go-v2-dev; both installed by Scripts/setup). Prints the binary's
# path. Rebuilds only when the source is newer than the binary.
#
# Usage: Tests/Clients/go/build.sh [--program NAME] [OUTPUT]
#   NAME: a folder of src/ (default iamscribe-go-client; build-h2-endpoint.sh builds
#   iamscribe-h2-endpoint, Go's standard library alone); OUTPUT defaults to a folder under the
#   system's temporary folder.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
program=iamscribe-go-client
if [ "${1:-}" = "--program" ]; then program="$2"; shift 2; fi
output="${1:-${TMPDIR:-/tmp}/iamscribe-clients/$program}"
source="$here/src/$program/main.go"
if [ -x "$output" ] && [ "$output" -nt "$source" ] && [ "$output" -nt "$0" ]; then
    echo "$output"
    exit 0
fi
command -v go >/dev/null || { echo "build.sh: go is not installed (Scripts/setup installs golang-go)" >&2; exit 1; }
packaged=/usr/share/gocode
if [ "$program" = iamscribe-go-client ] && [ ! -d "$packaged/src/github.com/aws/aws-sdk-go-v2" ]; then
    echo "build.sh: $packaged has no aws-sdk-go-v2 (Scripts/setup installs golang-github-aws-aws-sdk-go-v2-dev)" >&2
    exit 1
fi
mkdir -p "$(dirname "$output")"
cache="$(dirname "$output")/go-cache"
# Built into a temporary name and renamed, so that tests building at once never run a half-written binary.
partial="$output.$$"
GO111MODULE=off GOPATH="$here:$packaged" GOCACHE="$cache" GOPROXY=off \
    go build -o "$partial" "$program"
mv -f "$partial" "$output"
echo "$output"
