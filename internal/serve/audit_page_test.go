package serve

import (
	"context"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/ui/console"
)

// TestAdminAudit: the audit page's source exists only for an admin, and a role lowered since refuses reads.
func TestAdminAudit(t *testing.T) {
	read := func(context.Context) (console.AuditTrail, error) { return console.AuditTrail{Total: 1}, nil }
	for _, tc := range []struct {
		name          string
		start, later  access.Role
		ended         bool
		offered, read bool
	}{
		{"admin", access.Admin, access.Admin, false, true, true},
		{"operator", access.Operator, access.Operator, false, false, false},
		{"viewer", access.Viewer, access.Admin, false, false, false},
		{"admin lowered", access.Admin, access.Operator, false, true, false},
		{"ended", access.Admin, access.Admin, true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			role, live := tc.start, !tc.ended
			current := func() (access.User, bool) { return access.User{Name: "alice", Role: role}, live }
			src := adminAudit(current, read)
			if (src != nil) != tc.offered {
				t.Fatalf("offered %v, want %v", src != nil, tc.offered)
			}
			if src == nil {
				return
			}
			role = tc.later
			tr, err := src(context.Background())
			if got := err == nil && tr.Total == 1; got != tc.read {
				t.Errorf("read %v (%v), want %v", got, err, tc.read)
			}
		})
	}
}
