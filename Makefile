# cedille-tui — build, test and the lab of real servers.
#   make build      the binary, in bin/
#   make test       unit tests, UI goldens and e2e tests against the lab (builds the lab when needed), -race
#   make lab-build  build the lab's real servers into the cache (cold: ~25 min; warm: nothing to do)
#   make lab-up     start the lab on 127.0.0.1 and write its env file; make lab-down stops it
#   make bench      benchmarks (figures to record in BENCHMARKS.md)
#   make release-check  validate .goreleaser.yaml and build the release targets

GO       ?= go
BIN      := bin/cedille-tui
LAB      := $(GO) run ./hack/lab/cmd/lab
PKG      := github.com/clubcedille/cedille-tui
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X $(PKG)/internal/version.version=$(VERSION)
# The e2e suite starts real servers; give it room on a 2-core machine.
E2E_TIMEOUT ?= 30m

.PHONY: all build test unit e2e lint deps lab-build lab-up lab-down bench release-check clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/cedille-tui

## deps: the tools the tests drive (tmux for terminal end-to-end tests, openssl and curl for the lab's
## checks). Installed with apt-get when running as root on Debian/Ubuntu; otherwise named, and make stops.
deps:
	@missing=""; for t in tmux openssl curl gcc; do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing:$$missing — install them with your package manager (gcc is needed by go test -race)"; exit 1; \
	  fi; \
	fi

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags e2e ./...

lab-build:
	@hack/lab/build.sh >/dev/null

# -count=1: the e2e tests build the binary and run servers, which Go's test cache cannot see: a cached
# pass could hide a change to the code they drive.
test: deps lint lab-build
	CEDILLE_LAB_BIN=$$(hack/lab/build.sh --print) $(GO) test -race -count=1 -tags e2e -timeout $(E2E_TIMEOUT) ./...

unit:
	$(GO) test -race ./...

e2e: deps lab-build
	CEDILLE_LAB_BIN=$$(hack/lab/build.sh --print) $(GO) test -race -count=1 -tags e2e -timeout $(E2E_TIMEOUT) ./test/e2e/... ./hack/lab/...

lab-up: lab-build
	$(LAB) up

lab-down:
	$(LAB) down

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## release-check: validate .goreleaser.yaml and build every release target (needs no network but the
## module proxy; GoReleaser is built once into the cache, pinned to a version that builds with Go 1.26).
GORELEASER_VERSION ?= v2.15.0
GORELEASER := $(HOME)/.cache/cedille-tui-tools/goreleaser-$(GORELEASER_VERSION)
release-check:
	@test -x $(GORELEASER) || { mkdir -p $(dir $(GORELEASER)) && GOBIN=$(dir $(GORELEASER)) $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION) && mv $(dir $(GORELEASER))goreleaser $(GORELEASER); }
	$(GORELEASER) check
	$(GORELEASER) build --snapshot --clean

clean:
	rm -rf bin dist
