#!/bin/sh
# Regenerates the Go code of the connector contract (pluginapi/proto) into
# pluginapi/internal/connectorv1 with pinned tools, fetched and built through
# the Go module proxy by `go run pkg@version` (no protoc needed: buf compiles
# the .proto itself). The first run on a machine builds buf (a few minutes);
# later runs use the Go build cache.
#
#   sh pluginapi/generate.sh          regenerate in place
#   sh pluginapi/generate.sh --check  fail if the committed code is stale
#
# Tool versions are pinned here and in buf.gen.yaml; change them together.
set -eu

BUF=github.com/bufbuild/buf/cmd/buf@v1.75.0
OUT=internal/connectorv1

cd "$(dirname "$0")"

case "${1:-}" in
"")
	go run "$BUF" lint
	go run "$BUF" generate --template buf.gen.yaml
	echo "generated pluginapi/$OUT"
	;;
--check)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	go run "$BUF" lint
	go run "$BUF" generate --template buf.gen.yaml -o "$tmp"
	if ! diff -r "$tmp/$OUT" "$OUT" >"$tmp.diff" 2>&1; then
		cat "$tmp.diff"
		rm -f "$tmp.diff"
		echo "pluginapi/$OUT is stale: run 'make generate' and commit the result" >&2
		exit 1
	fi
	rm -f "$tmp.diff"
	echo "pluginapi/$OUT is up to date"
	;;
*)
	echo "usage: sh pluginapi/generate.sh [--check]" >&2
	exit 2
	;;
esac
