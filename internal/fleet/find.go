package fleet

import (
	"cmp"
	"slices"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/health"
)

// Match is one cluster's finding a query names.
type Match struct {
	Cluster string         `json:"cluster"`
	Layer   health.Layer   `json:"layer"`
	Finding health.Finding `json:"finding"`
}

// Find searches every cluster's findings (the `:find` of the fleet overview): a finding matches when it
// holds each word of the query, case-insensitively, in its object ("CephCluster/…"), its reason, its
// layer or its cluster's name. A status word (ok, degraded, down, unknown) matches the status instead,
// and "bad" any status but OK: "CephCluster bad" is every CephCluster not OK, "VaultStaticSecret
// refreshed bad" every one synced but never refreshed. Matches come worst first, then by cluster.
func Find(r Report, query string) []Match {
	words := strings.Fields(strings.ToLower(query))
	if len(words) == 0 {
		return nil
	}
	var out []Match
	for _, row := range r.Clusters {
		for _, l := range row.Layers {
			for _, f := range l.Findings {
				if matches(words, row.Cluster, l.Name, f) {
					out = append(out, Match{Cluster: row.Cluster, Layer: l.Name, Finding: f})
				}
			}
		}
	}
	sortMatches(out)
	return out
}

func matches(words []string, cluster string, layer health.Layer, f health.Finding) bool {
	text := strings.ToLower(f.Object + " " + f.Reason + " " + string(layer) + " " + cluster)
	for _, w := range words {
		if st, err := health.ParseStatus(w); err == nil {
			if f.Status != st {
				return false
			}
			continue
		}
		if w == "bad" {
			if f.Status == health.OK {
				return false
			}
			continue
		}
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

func sortMatches(ms []Match) {
	slices.SortStableFunc(ms, func(a, b Match) int {
		return cmp.Or(cmp.Compare(b.Finding.Status, a.Finding.Status), cmp.Compare(a.Cluster, b.Cluster),
			cmp.Compare(a.Finding.Object, b.Finding.Object))
	})
}
