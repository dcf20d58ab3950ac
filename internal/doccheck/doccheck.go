// Package doccheck holds the repository's own consistency tests: every
// exported name of the module carries a doc comment, and the packages keep
// the import rules of DESIGN.md ("Target layout"). It has no code of its
// own; the checks are tests, so `go test ./...` (and `make test`) runs them.
package doccheck
