package access_test

import (
	"fmt"

	"github.com/clubcedille/cedille-tui/internal/access"
)

func ExampleParse() {
	_, err := access.Parse([]byte("users:\n  - name: alice\n    role: root\n    keys: [\"ssh-ed25519 AAAA alice@laptop\"]\n"), "access.yaml")
	fmt.Println(err)
	// Output:
	// access.yaml:3: user "alice": unknown role "root": the roles are viewer, operator or admin
	// access.yaml:4: user "alice", key 1: not an SSH public key: paste the whole line of a .pub file, "type base64 comment" (as in ~/.ssh/id_ed25519.pub)
}
