package doccheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// What TestExportedNamesDocumented requires, decided once here:
//
//   - every package (one directory, one package name, test files aside) has
//     a package doc comment in at least one of its files;
//   - outside package main, every exported top-level func, type, const and
//     var, and every exported method on an exported type, has a doc
//     comment. A const or var may be documented by its group's comment or
//     by a comment at the end of its line, as gofmt'ed Go usually does;
//   - every exported method of an exported interface has a comment, above
//     it or at the end of its line: it is a contract implementers must
//     meet, and the comment is where its terms are written. The one method
//     of a single-method interface is documented by the type's comment;
//   - struct fields are not required: most are plain data (the protocol's
//     message fields above all) whose name, type and the type's comment
//     say enough;
//   - package main exports nothing anybody can import, so only its package
//     comment (the command's description) is required;
//   - files marked generated (// Code generated ... DO NOT EDIT.) are
//     skipped, and a package of generated files only (the gRPC code of
//     pluginapi/internal/connectorv1, documented by its .proto) needs no
//     package comment, since generate-check forbids adding a file there;
//     test files are skipped too, and so are test files, testdata, node_modules and hidden
//     directories. Files of every GOOS are read, whatever the build tags.

// moduleRoot finds the directory of go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// pkgKey names one package: its directory and its package clause.
type pkgKey struct{ dir, name string }

// parsedPkg is one package's non-test, non-generated files.
type parsedPkg struct {
	files       []*ast.File
	handWritten bool // any file not marked generated
	hasDoc      bool
}

// parseModule parses every non-test Go file under root, by package.
func parseModule(t *testing.T, root string) (*token.FileSet, map[pkgKey]*parsedPkg) {
	t.Helper()
	fset := token.NewFileSet()
	pkgs := map[pkgKey]*parsedPkg{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return fmt.Errorf("parse %s: %w", path, err)
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		k := pkgKey{filepath.ToSlash(rel), f.Name.Name}
		p := pkgs[k]
		if p == nil {
			p = &parsedPkg{}
			pkgs[k] = p
		}
		if !ast.IsGenerated(f) {
			p.handWritten = true
		}
		if f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
			p.hasDoc = true
		}
		if !ast.IsGenerated(f) {
			p.files = append(p.files, f)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	return fset, pkgs
}

// documented reports whether any of the comment groups has text.
func documented(groups ...*ast.CommentGroup) bool {
	for _, g := range groups {
		if g != nil && strings.TrimSpace(g.Text()) != "" {
			return true
		}
	}
	return false
}

// receiverName is the base type name of a method's receiver.
func receiverName(recv *ast.FieldList) string {
	if recv == nil || len(recv.List) == 0 {
		return ""
	}
	e := recv.List[0].Type
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// undocumented lists the exported names of f without a doc comment, each
// as "file:line: kind Name".
func undocumented(fset *token.FileSet, root string, f *ast.File) []string {
	var out []string
	report := func(pos token.Pos, kind, name string) {
		p := fset.Position(pos)
		rel, _ := filepath.Rel(root, p.Filename)
		out = append(out, fmt.Sprintf("%s:%d: %s %s", filepath.ToSlash(rel), p.Line, kind, name))
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || documented(d.Doc) {
				continue
			}
			if d.Recv == nil {
				report(d.Pos(), "func", d.Name.Name)
				continue
			}
			if recv := receiverName(d.Recv); ast.IsExported(recv) {
				report(d.Pos(), "method", recv+"."+d.Name.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					if !documented(s.Doc, d.Doc) {
						report(s.Pos(), "type", s.Name.Name)
					}
					if it, ok := s.Type.(*ast.InterfaceType); ok && len(it.Methods.List) > 1 {
						for _, m := range it.Methods.List {
							for _, n := range m.Names {
								if n.IsExported() && !documented(m.Doc, m.Comment) {
									report(n.Pos(), "interface method", s.Name.Name+"."+n.Name)
								}
							}
						}
					}
				case *ast.ValueSpec:
					if documented(s.Doc, s.Comment, d.Doc) {
						continue
					}
					for _, n := range s.Names {
						if n.IsExported() {
							report(n.Pos(), d.Tok.String(), n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

func TestExportedNamesDocumented(t *testing.T) {
	root := moduleRoot(t)
	fset, pkgs := parseModule(t, root)
	if len(pkgs) < 10 {
		t.Fatalf("found only %d packages under %s; the walk is broken", len(pkgs), root)
	}
	var findings []string
	for k, p := range pkgs {
		if !p.hasDoc && p.handWritten {
			findings = append(findings, fmt.Sprintf("%s: package %s has no package doc comment", k.dir, k.name))
		}
		if k.name == "main" {
			continue
		}
		for _, f := range p.files {
			findings = append(findings, undocumented(fset, root, f)...)
		}
	}
	sort.Strings(findings)
	if len(findings) > 0 {
		t.Errorf("%d exported names or packages without a doc comment (say why the name exists, not what it is called):\n%s",
			len(findings), strings.Join(findings, "\n"))
	}
}

// TestUndocumentedFindsMissingComments keeps the checker honest: a file
// with one documented and several undocumented names must yield exactly
// the undocumented ones.
func TestUndocumentedFindsMissingComments(t *testing.T) {
	const src = `// Package p is a fixture.
package p

// Documented is fine.
func Documented() {}

func Bare() {}

type T struct{}

// U is fine.
type U struct{}

func (U) M() {}

func (u *U) unexported() {}

type hidden struct{}

func (hidden) Exported() {}

// Grouped constants share this comment.
const (
	A = 1
	B = 2
)

const (
	C = 3 // C has a line comment.
	D = 4
)

var E, F int

func (g *G[K]) Method() {}

// I is fine, but not all its methods are.
type I interface {
	// Documented is fine.
	Documented()
	Trailing() // Trailing is fine too.
	Bare()
	io.Reader
	unexported()
}

// One's comment covers its method.
type One interface {
	M()
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "/m/p/p.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	got := undocumented(fset, "/m", f)
	want := []string{
		"p/p.go:7: func Bare",
		"p/p.go:9: type T",
		"p/p.go:14: method U.M",
		"p/p.go:30: const D",
		"p/p.go:33: var E",
		"p/p.go:33: var F",
		"p/p.go:35: method G.Method",
		"p/p.go:42: interface method I.Bare",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("undocumented:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
