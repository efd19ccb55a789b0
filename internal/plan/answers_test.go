package plan

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestAnswersSyntaxErrorLines: a YAML syntax error names the line the mistake is on, not the line
// before it (yaml's parser reports its 0-based context line for most errors).
func TestAnswersSyntaxErrorLines(t *testing.T) {
	example, err := os.ReadFile("../../assets/answers.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lineOf := func(s, prefix string) int {
		for i, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, prefix) {
				return i + 1
			}
		}
		t.Fatalf("no line starts with %q", prefix)
		return 0
	}
	unclosed := strings.Replace(string(example), "  arch: amd64 ", "  arch: [amd64 ", 1)
	tests := []struct {
		name, data string
		line       int
		says       string
	}{
		{"an unclosed flow list", "version: 1\niso:\n  talosVersion: 1.8.0\n  arch: [amd64\n  dir: .\n", 4, "did not find expected ',' or ']'"},
		{"an unclosed flow list in the example", unclosed, lineOf(unclosed, "  arch: [amd64"), "did not find expected ',' or ']'"},
		{"an unclosed flow list on the last line", "version: 1\nvclusters: {clusters: [staging\n", 2, ""},
		{"an unclosed flow mapping", "version: 1\niso: {talosVersion: 1.8.0\ncluster:\n  name: x\n", 2, "did not find expected ',' or '}'"},
		{"a key less indented than its siblings", "version: 1\niso:\n  talosVersion: 1.8.0\n  arch: amd64\n dir: .\n", 5, "did not find expected key"},
		{"a mapping entry among list items", "version: 1\nmachines:\n  - id: a\n  role: worker\n", 4, ""},
		{"a list item after a mapping", "version: 1\n- id: a\n", 2, "did not find expected key"},
		{"an unterminated quoted string", "version: 1\ncluster:\n  name: \"cedille\n  kubernetesVersion: 1.31.1\n", 3, "found unexpected end of stream"},
		{"a tab for indentation", "version: 1\niso:\n  arch: amd64\n\tdir: .\n", 4, "tab character"},
		{"two colons", "version: 1\ncluster:\n  name: a: b\n", 3, "mapping values are not allowed"},
		{"a character that cannot start a token", "version: 1\n@cluster: x\n", 2, "cannot start any token"},
		{"an unknown alias", "version: 1\niso:\n  arch: *a\n", 3, "unknown anchor"},
		{"a valid multi-line list before the mistake", "version: 1\niso:\n  extensions: [a,\n    b]\n  kernelArgs: [c\n", 5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := DecodeAnswers("answers.yaml", []byte(tt.data))
			var ae AnswersErrors
			if !errors.As(err, &ae) || len(ae) != 1 {
				t.Fatalf("want one answers error, got %T %v", err, err)
			}
			if ae[0].Line != tt.line || !strings.Contains(ae[0].Message, tt.says) {
				t.Fatalf("got line %d %q, want line %d saying %q", ae[0].Line, ae[0].Message, tt.line, tt.says)
			}
		})
	}
}
