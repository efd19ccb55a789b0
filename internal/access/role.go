package access

import (
	"fmt"
	"strings"
)

// Role is what a user may do in the console: viewer < operator < admin. The zero Role is no role and
// allows nothing. Being a custodian is not a role but a capability beside it (User.Custodian).
type Role int

// The roles, in rising order.
const (
	Viewer Role = iota + 1
	Operator
	Admin
)

// roleNames are the roles' names in the access file, in rising order.
var roleNames = [...]string{Viewer: "viewer", Operator: "operator", Admin: "admin"}

// RoleNames lists the roles as the access file spells them, for messages: "viewer, operator or admin".
const RoleNames = "viewer, operator or admin"

// Valid tells whether r is one of the three roles.
func (r Role) Valid() bool { return r >= Viewer && r <= Admin }

// Allows tells whether a user with role r may do what needs the role required: r is at least
// required. An invalid role on either side allows nothing.
func (r Role) Allows(required Role) bool {
	return r.Valid() && required.Valid() && r >= required
}

// String is the role's name in the access file ("viewer"), or "none" for an invalid role.
func (r Role) String() string {
	if !r.Valid() {
		return "none"
	}
	return roleNames[r]
}

// ParseRole reads a role's name as the access file spells it (lower case).
func ParseRole(s string) (Role, error) {
	for r := Viewer; r <= Admin; r++ {
		if roleNames[r] == s {
			return r, nil
		}
	}
	if lower := strings.ToLower(s); lower != s {
		if r, err := ParseRole(lower); err == nil {
			return 0, fmt.Errorf("role %q is spelled %q: the roles are %s", s, r, RoleNames)
		}
	}
	return 0, fmt.Errorf("unknown role %q: the roles are %s", s, RoleNames)
}

// MarshalText writes the role's name, so that audit records and JSON carry "admin", not 3.
func (r Role) MarshalText() ([]byte, error) {
	if !r.Valid() {
		return nil, fmt.Errorf("invalid role %d", int(r))
	}
	return []byte(r.String()), nil
}

// UnmarshalText reads a role's name.
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
