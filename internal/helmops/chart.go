package helmops

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/repo"
)

// LoadFile loads a chart archive (.tgz) or directory: a server room without internet.
func LoadFile(path string) (*chart.Chart, error) {
	ch, err := loader.Load(path)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", path, err)
	}
	return ch, nil
}

// LoadFromRepo fetches a chart from a chart repository: its index, then the archive of that exact
// version, checked against the index's digest. Nothing is written under $HOME (Helm's own helpers keep
// a repository cache there).
func LoadFromRepo(repoURL, name, version string) (*chart.Chart, error) {
	hg, err := getter.NewHTTPGetter(getter.WithTimeout(2*time.Minute), getter.WithURL(repoURL))
	if err != nil {
		return nil, err
	}
	indexURL, err := repo.ResolveReferenceURL(repoURL, "index.yaml")
	if err != nil {
		return nil, fmt.Errorf("chart repository %q: %w", repoURL, err)
	}
	buf, err := hg.Get(indexURL)
	if err != nil {
		return nil, fmt.Errorf("chart repository %s: %w", repoURL, err)
	}
	// repo.LoadIndexFile is Helm's only exported index loader (it checks the entries and sorts them): it
	// reads a file, so the index goes through a temporary one.
	dir, err := os.MkdirTemp("", "cedille-chart-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "index.yaml")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		return nil, err
	}
	idx, err := repo.LoadIndexFile(path)
	if err != nil {
		return nil, fmt.Errorf("chart repository %s: its index: %w", repoURL, err)
	}
	cv, err := idx.Get(name, version)
	if err != nil {
		return nil, fmt.Errorf("chart %s %s is not in %s: %w", name, version, repoURL, err)
	}
	if len(cv.URLs) == 0 {
		return nil, fmt.Errorf("chart %s %s in %s has no URL", name, version, repoURL)
	}
	u, err := repo.ResolveReferenceURL(repoURL, cv.URLs[0])
	if err != nil {
		return nil, err
	}
	tgz, err := hg.Get(u)
	if err != nil {
		return nil, fmt.Errorf("download chart %s %s: %w", name, version, err)
	}
	if cv.Digest != "" {
		sum := sha256.Sum256(tgz.Bytes())
		if got := hex.EncodeToString(sum[:]); got != cv.Digest {
			return nil, fmt.Errorf("chart %s %s: SHA-256 %s, the index says %s", name, version, got, cv.Digest)
		}
	}
	ch, err := loader.LoadArchive(bytes.NewReader(tgz.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("chart %s %s: %w", name, version, err)
	}
	return ch, nil
}
