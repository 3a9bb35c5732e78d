#!/usr/bin/env bash
# Builds the Go test client against Debian's packaged AWS SDK for Go v2 (golang-go and
# golang-github-aws-aws-sdk-go-v2-dev, installed by Scripts/setup), in GOPATH mode: no module
# downloads. Prints the binary's path. Rebuilds only when the source is newer than the binary.
#
# Usage: Tests/Clients/go/build.sh [OUTPUT]   (default: a folder under the system's temporary folder)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
output="${1:-${TMPDIR:-/tmp}/iamscribe-clients/iamscribe-go-client}"
source="$here/src/iamscribe-go-client/main.go"
if [ -x "$output" ] && [ "$output" -nt "$source" ] && [ "$output" -nt "$0" ]; then
    echo "$output"
    exit 0
fi
command -v go >/dev/null || { echo "build.sh: go is not installed (Scripts/setup installs golang-go)" >&2; exit 1; }
packaged=/usr/share/gocode
[ -d "$packaged/src/github.com/aws/aws-sdk-go-v2" ] || {
    echo "build.sh: $packaged has no aws-sdk-go-v2 (Scripts/setup installs golang-github-aws-aws-sdk-go-v2-dev)" >&2; exit 1; }
mkdir -p "$(dirname "$output")"
cache="$(dirname "$output")/go-cache"
# Built into a temporary name and renamed, so that tests building at once never run a half-written binary.
partial="$output.$$"
GO111MODULE=off GOPATH="$here:$packaged" GOCACHE="$cache" GOPROXY=off \
    go build -o "$partial" iamscribe-go-client
mv -f "$partial" "$output"
echo "$output"
