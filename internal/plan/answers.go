package plan

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// AnswersError is a problem in an answers file, with the line it is on (0 when the field is absent).
type AnswersError struct {
	File    string
	Line    int
	Path    string
	Message string
}

func (e AnswersError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Path != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Path, e.Message)
	}
	return loc + ": " + e.Message
}

// AnswersErrors are all the problems of an answers file.
type AnswersErrors []AnswersError

func (es AnswersErrors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// ParseAnswers reads an answers file (the plan's YAML schema, assets/answers.example.yaml): unknown
// fields and wrong types are refused, defaults are filled, and the plan is validated on its own; every
// error names the file, the line and the field. Checks against Omni come later (Validate with an
// Inventory), mapped to lines with Lines.
func ParseAnswers(file string, data []byte) (Plan, *Lines, error) {
	p, lines, err := DecodeAnswers(file, data)
	if err != nil {
		return p, lines, err
	}
	if ps := p.Validate(nil); len(ps) > 0 {
		return p, lines, lines.Errors(ps)
	}
	return p, lines, nil
}

// DecodeAnswers reads an answers file into a plan with its defaults, without judging the plan: a run of
// some steps judges the fields those steps read (Problems.Only).
func DecodeAnswers(file string, data []byte) (Plan, *Lines, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Plan{}, nil, syntaxError(file, data, err)
	}
	lines := &Lines{file: file, root: &root}
	if len(root.Content) == 0 {
		return Plan{}, lines, AnswersErrors{{File: file, Message: "empty answers file"}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return Plan{}, lines, yamlErrors(file, err)
	}
	return p.WithDefaults(), lines, nil
}

// Lines maps a plan's field paths to the lines of the answers file they came from.
type Lines struct {
	file string
	root *yaml.Node
}

// Errors turns plan problems into answers-file errors with lines.
func (l *Lines) Errors(ps Problems) AnswersErrors {
	out := make(AnswersErrors, len(ps))
	for i, p := range ps {
		out[i] = AnswersError{File: l.file, Path: p.Path, Message: p.Message, Line: l.Line(p.Path)}
	}
	return out
}

var pathPart = regexp.MustCompile(`([A-Za-z0-9_]+)|\[(\d+)\]`)

// Line is the line of the deepest node of path ("machines[1].installDisk") present in the file.
func (l *Lines) Line(path string) int {
	if l == nil || l.root == nil || len(l.root.Content) == 0 {
		return 0
	}
	n := l.root.Content[0]
	line := 0
	for _, m := range pathPart.FindAllStringSubmatch(path, -1) {
		var next *yaml.Node
		switch {
		case m[1] != "" && n.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == m[1] {
					line = n.Content[i].Line
					next = n.Content[i+1]
					break
				}
			}
		case m[2] != "" && n.Kind == yaml.SequenceNode:
			if idx, _ := strconv.Atoi(m[2]); idx < len(n.Content) {
				next = n.Content[idx]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

var (
	yamlLine      = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownField  = regexp.MustCompile(`^field (\S+) not found in type plan\.(\w+)$`)
	wrongYAMLType = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")
)

// yamlErrors splits yaml's "unmarshal errors" into one error per line, with plain wording.
func yamlErrors(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		out := make(AnswersErrors, 0, len(te.Errors))
		for _, e := range te.Errors {
			ae := AnswersError{File: file, Message: e}
			if m := yamlLine.FindStringSubmatch(e); m != nil {
				ae.Line, _ = strconv.Atoi(m[1])
				ae.Message = friendly(m[2])
			}
			out = append(out, ae)
		}
		return out
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	ae := AnswersError{File: file, Message: msg}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		ae.Line, _ = strconv.Atoi(m[1])
		ae.Message = m[2]
	}
	return AnswersErrors{ae}
}

// syntaxError is a file that is not YAML, on the line its mistake is on. yaml's own line is not that
// line: most parser errors give the line before it, or the start of the construct it is in.
func syntaxError(file string, data []byte, err error) error {
	ae := AnswersError{File: file, Message: strings.TrimPrefix(err.Error(), "yaml: "), Line: syntaxLine(data)}
	if m := yamlLine.FindStringSubmatch(ae.Message); m != nil {
		ae.Message = m[2]
	}
	return AnswersErrors{ae}
}

// syntaxLine is the first line from which the file stops being YAML: the smallest n such that the file
// cut after line n, and after every later line, fails to parse. A construct still open at a cut (a list
// written over two lines) parses again once it closes, so only the mistake that nothing after it mends
// is found. 0 when the whole file parses.
func syntaxLine(data []byte) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	line := 0
	for n := len(lines); n > 0; n-- {
		var node yaml.Node
		if yaml.Unmarshal(bytes.Join(lines[:n], nil), &node) == nil {
			break
		}
		if len(bytes.TrimSpace(lines[n-1])) > 0 {
			line = n
		}
	}
	return line
}

// friendly rewords yaml's messages that name Go types.
func friendly(msg string) string {
	if m := unknownField.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("unknown field %q in %s (see assets/answers.example.yaml)", m[1], strings.ToLower(m[2]))
	}
	if m := wrongYAMLType.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s where %s is expected", yamlKindWord(m[1], m[2]), goTypeWord(m[3]))
	}
	return msg
}

func goTypeWord(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case t == "int", t == "uint64":
		return "a number"
	case t == "bool":
		return "true or false"
	case t == "string", t == "plan.Role":
		return "a string"
	default:
		return "a mapping"
	}
}

func yamlKindWord(tag, value string) string {
	w := map[string]string{"seq": "a list", "map": "a mapping", "str": "a string", "int": "a number",
		"bool": "true/false", "float": "a number"}[tag]
	if w == "" {
		w = "!!" + tag
	}
	if value != "" {
		w += " (" + value + ")"
	}
	return w
}

// Marshal renders the plan as YAML (the state file and --dry-run).
func (p Plan) Marshal() ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}
