// Package atomicfile replaces a file's contents so that a reader, or the next run after a crash, sees
// the old file or the new one, never a part of either.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data, mode mode: written and synced to a temporary file beside it, then
// renamed over it. The temporary file never outlives the call.
func Write(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone already after the rename
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
