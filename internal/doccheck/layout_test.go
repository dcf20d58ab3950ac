package doccheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"testing"
)

// thinMain checks DESIGN.md's "plugin binaries are thin" on one main.go:
// it declares func main and nothing else, and main's one statement calls
// pluginapi.Serve, so the transport lives where tests can run it in
// process.
func thinMain(f *ast.File) error {
	var main *ast.FuncDecl
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			if d.Tok != token.IMPORT {
				return fmt.Errorf("main.go declares a %s; move it beside the transport", d.Tok)
			}
		case *ast.FuncDecl:
			if d.Name.Name != "main" || d.Recv != nil {
				return fmt.Errorf("main.go declares func %s; move it beside the transport", d.Name.Name)
			}
			main = d
		}
	}
	if main == nil || main.Body == nil {
		return fmt.Errorf("main.go has no func main")
	}
	if len(main.Body.List) != 1 {
		return fmt.Errorf("func main has %d statements, want one call to pluginapi.Serve", len(main.Body.List))
	}
	call, ok := main.Body.List[0].(*ast.ExprStmt)
	if ok {
		if c, ok := call.X.(*ast.CallExpr); ok {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "pluginapi" && sel.Sel.Name == "Serve" {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("func main does not call pluginapi.Serve")
}

func TestPluginMainsAreThin(t *testing.T) {
	root := moduleRoot(t)
	mains, err := filepath.Glob(filepath.Join(root, "plugins", "*", "main.go"))
	if err != nil || len(mains) == 0 {
		t.Fatalf("no plugins/*/main.go under %s (%v)", root, err)
	}
	fset := token.NewFileSet()
	for _, path := range mains {
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		if err := thinMain(f); err != nil {
			rel, _ := filepath.Rel(root, path)
			t.Errorf("%s: %v", filepath.ToSlash(rel), err)
		}
	}
}

func TestThinMainRejectsFatMains(t *testing.T) {
	tests := []struct {
		name, src string
		ok        bool
	}{
		{"thin", `package main; import "x/pluginapi"; func main() { pluginapi.Serve(t()) }`, true},
		{"extra func", `package main; import "x/pluginapi"; func t() int { return 1 }; func main() { pluginapi.Serve(t()) }`, false},
		{"extra var", `package main; var v = 1; func main() { pluginapi.Serve(v) }`, false},
		{"two statements", `package main; func main() { println(); pluginapi.Serve(t()) }`, false},
		{"other call", `package main; func main() { other.Serve(t()) }`, false},
		{"no main", `package main; import "x/pluginapi"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parser.ParseFile(token.NewFileSet(), "main.go", tt.src, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := thinMain(f); (err == nil) != tt.ok {
				t.Errorf("thinMain = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
