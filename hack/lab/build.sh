#!/usr/bin/env bash
# Builds the lab's real servers (etcd, kube-apiserver, kube-controller-manager, kwok, Vault) from the
# wrapper modules in hack/lab/wrappers, into a cache outside the work tree. Each wrapper's binaries are
# keyed on a hash of its go.mod, go.sum, tools.go, the build flags and `go version`, so a warm run does
# nothing and a change to any of them rebuilds just that wrapper.
#
#   hack/lab/build.sh            build what is missing, print the bin dir
#   hack/lab/build.sh --print    print the bin dir only (exit 1 when something is not built)
#
# Environment: CEDILLE_LAB_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/cedille-tui-lab).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${CEDILLE_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cedille-tui-lab}
bin="$cache/bin"
mode=${1:-build}

# Fixed flags: changing CGO_ENABLED or -trimpath invalidates Go's build cache for these huge trees.
export CGO_ENABLED=0
export GOFLAGS=
goflags=(-buildvcs=false)

k8s_ldflags() {
  local v=v1.34.4 ma=1 mi=34 x=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    x+=" -X $p.gitVersion=$v -X $p.gitMajor=$ma -X $p.gitMinor=$mi -X $p.gitTreeState=clean"
  done
  echo "-s -w$x"
}

# name | packages (space separated, "pkg=binary") | ldflags
wrappers() {
  echo "etcd|go.etcd.io/etcd/server/v3=etcd|-s -w"
  echo "kwok|sigs.k8s.io/kwok/cmd/kwok=kwok|-s -w"
  echo "kube|k8s.io/kubernetes/cmd/kube-apiserver=kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager=kube-controller-manager|$(k8s_ldflags)"
  echo "vault|github.com/hashicorp/vault=vault|-s -w"
}

key_of() {
  local name=$1 ldflags=$2
  {
    cat "$here/wrappers/$name/go.mod" "$here/wrappers/$name/go.sum" "$here/wrappers/$name/tools.go"
    echo "CGO_ENABLED=$CGO_ENABLED ${goflags[*]} ldflags=$ldflags"
    go version
  } | sha256sum | cut -c1-16
}

mkdir -p "$bin"
missing=0
while IFS='|' read -r name pkgs ldflags; do
  key=$(key_of "$name" "$ldflags")
  stamp="$cache/$name-$key.ok"
  # The stamp counts only while the binaries it stands for are still there.
  present=1
  for spec in $pkgs; do
    [ -x "$bin/${spec##*=}" ] || present=0
  done
  if [ "$name" = kwok ] && [ ! -f "$bin/kwok-stages.yaml" ]; then
    present=0
  fi
  if [ -f "$stamp" ] && [ "$present" = 1 ]; then
    continue
  fi
  if [ "$mode" = "--print" ]; then
    missing=1
    continue
  fi
  start=$(date +%s)
  echo "lab: building $name (key $key); cold builds take minutes" >&2
  for spec in $pkgs; do
    pkg=${spec%%=*} out=${spec##*=}
    (cd "$here/wrappers/$name" && go build "${goflags[@]}" -ldflags "$ldflags" -o "$bin/$out.tmp" "$pkg")
    mv "$bin/$out.tmp" "$bin/$out"
  done
  # kwok's standalone binary has no default stages: keep the ones the lab needs beside it.
  if [ "$name" = kwok ]; then
    dir=$(cd "$here/wrappers/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
    for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml pod/fast/pod-ready.yaml \
      pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
      cat "$dir/kustomize/stage/$f"
      echo "---"
    done > "$bin/kwok-stages.yaml"
  fi
  rm -f "$cache/$name"-*.ok
  touch "$stamp"
  echo "lab: built $name in $(($(date +%s) - start))s" >&2
done < <(wrappers)

if [ "$mode" = "--print" ] && [ "$missing" = 1 ]; then
  echo "lab: servers not built yet; run: make lab-build" >&2
  exit 1
fi
echo "$bin"
