package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWrite: a new file and a replaced one hold exactly the data, with the mode asked (whatever the old
// file's), and no temporary file is left beside them; a directory that does not exist is an error.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	for _, tt := range []struct {
		data string
		mode os.FileMode
	}{{"first, longer contents", 0o644}, {"second", 0o600}} {
		if err := Write(path, []byte(tt.data), tt.mode); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil || string(b) != tt.data {
			t.Fatalf("read back %q, %v; want %q", b, err, tt.data)
		}
		fi, _ := os.Stat(path)
		if fi.Mode().Perm() != tt.mode {
			t.Errorf("mode %v, want %v", fi.Mode().Perm(), tt.mode)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries in the directory, want only the file", len(entries))
	}
	if err := Write(filepath.Join(dir, "missing", "f"), []byte("x"), 0o600); err == nil {
		t.Error("a write into a missing directory succeeded")
	}
}
