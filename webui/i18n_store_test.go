package webui

import (
	"go/ast"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// storeMessages is every message the store's validation gives a field
// (telephony/store: the literal format of each call to a function whose
// parameter "format" takes it), as the forms show it: made a sentence().
func storeMessages(t *testing.T) []message {
	files, err := filepath.Glob("../telephony/store/*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	formatAt := map[string]map[int]bool{}
	note := func(name string, ft *ast.FuncType) {
		i := 0
		for _, p := range ft.Params.List {
			for _, n := range p.Names {
				if n.Name == "format" {
					if formatAt[name] == nil {
						formatAt[name] = map[int]bool{}
					}
					formatAt[name][i] = true
				}
				i++
			}
		}
	}
	parsed := parseGoFiles(t, fset, files)
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				note(n.Name.Name, n.Type)
			case *ast.AssignStmt:
				for i, r := range n.Rhs {
					if fl, ok := r.(*ast.FuncLit); ok && i < len(n.Lhs) {
						if id, ok := n.Lhs[i].(*ast.Ident); ok {
							note(id.Name, fl.Type)
						}
					}
				}
			case *ast.Field:
				if ft, ok := n.Type.(*ast.FuncType); ok {
					for _, nm := range n.Names {
						note(nm.Name, ft)
					}
				}
			}
			return true
		})
	}
	delete(formatAt, "Errorf")
	delete(formatAt, "Sprintf")
	var out []message
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			for i := range formatAt[callName(c)] {
				if i >= len(c.Args) {
					continue
				}
				lit, ok := c.Args[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil || messageKey(verbRE.ReplaceAllString(s, "")) == "" || !strings.Contains(s, " ") {
					continue
				}
				out = append(out, message{sentence(s), fset.Position(lit.Pos()).String()})
			}
			return true
		})
	}
	return out
}
