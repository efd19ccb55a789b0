package omnisim

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/cosi-project/runtime/pkg/state/impl/inmem"
	"github.com/cosi-project/runtime/pkg/state/impl/namespaced"
	"github.com/cosi-project/runtime/pkg/state/impl/store"
	"github.com/cosi-project/runtime/pkg/state/impl/store/bolt"
	"go.etcd.io/bbolt"
)

// openTimeout is how long opening a state file waits for another process to let go of it.
const openTimeout = time.Second

// newState is the server's COSI state: in memory, and with a file also kept in it as Omni keeps its
// own (COSI's BoltDB backing store: every write is stored, and the state is loaded back from it on the
// next start).
func newState(file string) (state.State, io.Closer, error) { //nolint:ireturn
	if file == "" {
		return state.WrapCore(namespaced.NewState(inmem.Build)), io.NopCloser(nil), nil
	}

	bs, err := bolt.NewBackingStore(func() (*bbolt.DB, error) {
		db, err := bbolt.Open(file, 0o600, &bbolt.Options{Timeout: openTimeout})
		if errors.Is(err, bbolt.ErrTimeout) {
			return nil, fmt.Errorf("%s is in use by another process", file)
		}

		return db, err
	}, store.ProtobufMarshaler{})
	if err != nil {
		return nil, nil, fmt.Errorf("open the simulated Omni's state: %w", err)
	}

	return state.WrapCore(namespaced.NewState(func(ns resource.Namespace) state.CoreState {
		return inmem.NewStateWithOptions(inmem.WithBackingStore(bs.WithNamespace(ns)))(ns)
	})), bs, nil
}
