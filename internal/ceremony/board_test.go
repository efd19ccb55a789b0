package ceremony

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// boardFixture is a board over fake replicas, with a counter of the releases.
type boardFixture struct {
	b        *Board
	vaults   []*fakeVault
	sink     *memSink
	clock    *clock
	opened   int // times Replicas was called
	released int
	fail     error // Replicas' error
}

func newBoard(t *testing.T, replicas int) *boardFixture {
	t.Helper()
	f := &boardFixture{vaults: newVaults(replicas), sink: &memSink{}, clock: &clock{t: time.Date(2026, 12, 7, 3, 12, 0, 0, time.UTC)}}
	f.b = NewBoard(BoardOptions{Sink: f.sink, Now: f.clock.now, Timeout: 10 * time.Minute,
		Replicas: func(context.Context) ([]Replica, func(), error) {
			f.opened++
			if f.fail != nil {
				return nil, nil, f.fail
			}
			return replicasOf(f.vaults), func() { f.released++ }, nil
		}})
	return f
}

func signalled(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestBoardOpen(t *testing.T) {
	ctx := context.Background()
	custodians := []string{"bob", "carol", "dave"}
	for _, tc := range []struct {
		name    string
		prepare func(f *boardFixture)
		want    string // "" when it opens
	}{
		{"a sealed Vault", func(*boardFixture) {}, ""},
		{"one replica of two sealed", func(f *boardFixture) { f.vaults[0].sealed = false }, ""},
		{"nothing sealed", func(f *boardFixture) { f.vaults[0].sealed, f.vaults[1].sealed = false, false },
			"Vault is not sealed (vault-0, vault-1 unsealed): there is nothing to unseal"},
		{"a replica unreachable", func(f *boardFixture) { f.fail = errors.New("vault-1: connection refused") },
			"a ceremony must see them all: vault-1: connection refused"},
		{"another open", func(f *boardFixture) {
			if _, err := f.b.Open(ctx, Unseal, admin, custodians); err != nil {
				t.Fatal(err)
			}
		}, "is open: join it, or alice aborts it first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newBoard(t, 2)
			tc.prepare(f)
			before := f.released
			c, err := f.b.Open(ctx, Unseal, admin, custodians)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got, ok := f.b.Current(); !ok || got != c {
					t.Fatal("the opened ceremony is not the board's")
				}
				for _, p := range c.Progress() {
					if !p.Known {
						t.Errorf("%s: progress not read at the opening", p.Name)
					}
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if tc.name == "nothing sealed" && f.released != before+1 {
				t.Error("the replicas of a refused opening are not released")
			}
		})
	}
}

func TestBoardGetAndWatch(t *testing.T) {
	ctx := context.Background()
	f := newBoard(t, 1)
	ch, stop := f.b.Watch()
	defer stop()
	if _, ok := f.b.Current(); ok {
		t.Fatal("an empty board has a ceremony")
	}
	c, err := f.b.Open(ctx, Unseal, admin, []string{"bob"})
	if err != nil {
		t.Fatal(err)
	}
	if !signalled(ch) {
		t.Fatal("watchers are not told of an opening")
	}
	if got, err := f.b.Get(strings.ToUpper(c.ID) + " "); err != nil || got != c {
		t.Fatalf("Get(%s): %v %v", c.ID, got, err)
	}
	if _, err := f.b.Get("00000000"); !errors.Is(err, ErrNone) {
		t.Fatalf("Get of an unknown id: %v", err)
	}
	if err := c.Join(bob); err != nil {
		t.Fatal(err)
	}
	if !signalled(ch) {
		t.Fatal("watchers are not told of a ceremony's change")
	}
}

func TestBoardTick(t *testing.T) {
	ctx := context.Background()
	t.Run("a restarted replica is given the held shares again", func(t *testing.T) {
		f := newBoard(t, 1)
		c, err := f.b.Open(ctx, Unseal, admin, []string{"bob", "carol", "dave"})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := secret(shares[0])
		if err := c.Submit(ctx, bob, s); err != nil {
			t.Fatal(err)
		}
		f.vaults[0].restart()
		if err := f.b.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		p := c.Progress()[0]
		if p.Progress != 1 || !strings.Contains(p.Note, "vault-0 restarted") {
			t.Fatalf("after the tick: %+v", p)
		}
	})
	t.Run("expired at its deadline, and released once", func(t *testing.T) {
		f := newBoard(t, 1)
		c, err := f.b.Open(ctx, Unseal, admin, []string{"bob"})
		if err != nil {
			t.Fatal(err)
		}
		s, handle := secret(shares[1])
		if err := c.Submit(ctx, bob, s); err != nil {
			t.Fatal(err)
		}
		f.clock.add(9 * time.Minute)
		_ = f.b.Tick(ctx)
		if c.View().Phase != Running || f.released != 0 {
			t.Fatalf("before its deadline: %v, %d releases", c.View().Phase, f.released)
		}
		f.clock.add(time.Minute)
		_ = f.b.Tick(ctx)
		_ = f.b.Tick(ctx)
		if v := c.View(); v.Phase != Expired || f.released != 1 {
			t.Fatalf("after its deadline: %v, %d releases", v.Phase, f.released)
		}
		wiped(t, handle, "an expired ceremony's held share")
		if got, ok := f.b.Current(); !ok || got != c {
			t.Fatal("the ended ceremony left the board: nobody would see how it ended")
		}
		if _, err := f.b.Open(ctx, Unseal, admin, []string{"bob"}); err != nil {
			t.Fatalf("a new ceremony after one expired: %v", err)
		}
	})
	t.Run("an empty board", func(t *testing.T) {
		if err := newBoard(t, 1).b.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
