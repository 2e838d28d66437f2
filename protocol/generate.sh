#!/usr/bin/env bash
# Regenerates all generated Swift of the protocol from protocol/proto:
#
#   proto/ttrpc/ttrpc.proto         -> protocol/Wire/Generated/
#   proto/corral/shim/v1/*.proto    -> protocol/ShimAPI/Generated/
#   proto/runtime/**/*.proto (CRI)  -> protocol/CRIAPI/Generated/ (messages),
#                                      protocol/CRIGRPC/Generated/ (gRPC stubs)
#   proto/corral/admin/v1/*.proto   -> protocol/AdminAPI/Generated/ (messages and gRPC stubs)
#
# Uses Debian's protoc (installed with apt-get when missing) and protoc plugins
# built from the pinned packages under /opt/swift-packages. Built plugins are
# cached in <repo>/.build-protoc (git-ignored); delete it to rebuild them.
# SwiftPM build plugins are deliberately not used: the generated code is
# checked in, so building the project never needs protoc.
#
# Environment overrides:
#   SWIFT_PACKAGES   where the local package mirrors live (default /opt/swift-packages)
#   PROTOC_CACHE     plugin cache directory (default <repo>/.build-protoc)
set -euo pipefail

SWIFT_PROTOBUF_VERSION=1.39.0
GRPC_SWIFT_PROTOBUF_VERSION=2.4.1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
proto_root="$here/proto"
packages="${SWIFT_PACKAGES:-/opt/swift-packages}"
cache="${PROTOC_CACHE:-$repo/.build-protoc}"

log() { printf 'generate.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/corral-protoc.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# --- protoc -----------------------------------------------------------------

# The well-known types (google/protobuf/*.proto) come with libprotobuf-dev.
wkt=/usr/include/google/protobuf/timestamp.proto
if ! command -v protoc >/dev/null 2>&1 || [[ ! -f $wkt ]]; then
    log "installing protobuf-compiler with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q protobuf-compiler libprotobuf-dev >&2 ||
        { apt-get update -q >&2 && apt-get install -y -q protobuf-compiler libprotobuf-dev >&2; } ||
        die "could not install protobuf-compiler"
fi
command -v protoc >/dev/null 2>&1 || die "protoc not found after installing protobuf-compiler"
[[ -f $wkt ]] || die "$wkt missing (package libprotobuf-dev)"
log "using $(protoc --version) at $(command -v protoc)"

# --- plugins ----------------------------------------------------------------

# build_plugin NAME REPO_DIR TAG PRODUCT: prints the path of the cached plugin
# binary, building it first when the cache lacks it.
build_plugin() {
    local name=$1 src=$2 tag=$3 product=$4
    local dest="$cache/$name-$tag/$product"
    if [[ -x $dest ]]; then
        printf '%s\n' "$dest"
        return
    fi
    [[ -d $src ]] || die "$src not found"
    log "building $product from $name $tag (cached in $cache)"
    local checkout="$work/$name"
    git clone -q -c advice.detachedHead=false --depth 1 -b "$tag" "file://$src" "$checkout" >&2
    local start=$SECONDS
    (cd "$checkout" && swift build -c release --product "$product" >&2) ||
        die "building $product failed"
    local bin
    bin="$(cd "$checkout" && swift build -c release --show-bin-path)/$product"
    [[ -x $bin ]] || die "$bin missing after build"
    mkdir -p "$(dirname "$dest")"
    cp "$bin" "$dest.tmp"
    mv "$dest.tmp" "$dest"
    log "built $product in $((SECONDS - start))s"
    printf '%s\n' "$dest"
}

protoc_gen_swift="$(build_plugin swift-protobuf "$packages/apple/swift-protobuf.git" \
    "$SWIFT_PROTOBUF_VERSION" protoc-gen-swift)"

# --- generation -------------------------------------------------------------

# replace_generated OUT_DIR STAGING_DIR: makes the generated files (*.pb.swift,
# *.grpc.swift) of OUT_DIR those of STAGING_DIR. A file whose .proto was
# removed goes too, an unchanged one is left alone (no needless rebuild), and
# a failed run leaves the old files in place. Other files there are kept.
replace_generated() {
    local out=$1 staging=$2 f changed=0
    mkdir -p "$out"
    shopt -s nullglob
    for f in "$out"/*.pb.swift "$out"/*.grpc.swift; do
        [[ -e $staging/${f##*/} ]] || { rm -f "$f"; changed=$((changed + 1)); }
    done
    for f in "$staging"/*.swift; do
        if ! cmp -s "$f" "$out/${f##*/}"; then
            cp "$f" "$out/${f##*/}.tmp"
            mv "$out/${f##*/}.tmp" "$out/${f##*/}"
            changed=$((changed + 1))
        fi
    done
    shopt -u nullglob
    log "${out#"$repo"/}: $changed file(s) changed"
}

# file_naming FILE...: DropPath unless two protos share a base name.
file_naming() {
    local dups
    dups="$(for f in "$@"; do basename "$f"; done | sort | uniq -d)"
    if [[ -z $dups ]]; then echo DropPath; else echo PathToUnderscores; fi
}

# protos DIR: the .proto files under DIR, relative to proto_root, sorted.
protos() {
    (cd "$proto_root" && find "$1" -name '*.proto' -type f | LC_ALL=C sort)
}

# generate_swift OUT_DIR PROTO...: message code only.
generate_swift() {
    local out=$1; shift
    local staging="$work/out-$(basename "$out")-$RANDOM"
    mkdir -p "$staging"
    (cd "$proto_root" && protoc \
        --proto_path="$proto_root" \
        --plugin=protoc-gen-swift="$protoc_gen_swift" \
        --swift_out="$staging" \
        --swift_opt=Visibility=Public \
        --swift_opt=FileNaming="$(file_naming "$@")" \
        "$@")
    replace_generated "$out" "$staging"
}

mapfile -t ttrpc_protos < <(protos ttrpc)
mapfile -t shim_protos < <(protos corral/shim/v1)
(( ${#ttrpc_protos[@]} )) || die "no .proto under $proto_root/ttrpc"
(( ${#shim_protos[@]} )) || die "no .proto under $proto_root/corral/shim/v1"

generate_swift "$here/Wire/Generated" "${ttrpc_protos[@]}"
generate_swift "$here/ShimAPI/Generated" "${shim_protos[@]}"

# The ttrpc method descriptors of the shim services (service and method names
# with their message types), written by the companion script when present.
if [[ -f $here/gen-ttrpc-methods.sh ]]; then
    staging="$work/out-methods"
    mkdir -p "$staging"
    # Services in the order of the design (Sandbox, Task, Events, Debug), so
    # that the output is stable; any other file follows, sorted.
    ordered=()
    for name in sandbox task events debug; do
        if [[ -f $proto_root/corral/shim/v1/$name.proto ]]; then
            ordered+=("corral/shim/v1/$name.proto")
        fi
    done
    for f in "${shim_protos[@]}"; do
        [[ " ${ordered[*]} " == *" $f "* ]] || ordered+=("$f")
    done
    (cd "$proto_root" && bash "$here/gen-ttrpc-methods.sh" "$staging/ShimMethods.swift" "${ordered[@]}")
    if ! cmp -s "$staging/ShimMethods.swift" "$here/ShimAPI/Generated/ShimMethods.swift"; then
        cp "$staging/ShimMethods.swift" "$here/ShimAPI/Generated/ShimMethods.swift"
        log "protocol/ShimAPI/Generated/ShimMethods.swift rewritten"
    fi
fi

# corrald's admin services (corral.admin.v1): messages and gRPC stubs in one module, since
# only gRPC peers (corrald, corralctl) use them.
if [[ -d $proto_root/corral/admin ]]; then
    mapfile -t admin_protos < <(protos corral/admin)
    protoc_gen_grpc="$(build_plugin grpc-swift-protobuf "$packages/grpc/grpc-swift-protobuf.git" \
        "$GRPC_SWIFT_PROTOBUF_VERSION" protoc-gen-grpc-swift-2)"
    staging="$work/out-admin"
    mkdir -p "$staging"
    (cd "$proto_root" && protoc \
        --proto_path="$proto_root" \
        --plugin=protoc-gen-swift="$protoc_gen_swift" \
        --plugin=protoc-gen-grpc-swift-2="$protoc_gen_grpc" \
        --swift_out="$staging" \
        --swift_opt=Visibility=Public \
        --swift_opt=FileNaming="$(file_naming "${admin_protos[@]}")" \
        --grpc-swift-2_out="$staging" \
        --grpc-swift-2_opt=Visibility=Public \
        --grpc-swift-2_opt=FileNaming="$(file_naming "${admin_protos[@]}")" \
        --grpc-swift-2_opt=Server=true \
        --grpc-swift-2_opt=Client=true \
        "${admin_protos[@]}")
    replace_generated "$here/AdminAPI/Generated" "$staging"
fi

# The CRI (runtime.v1): messages plus gRPC service stubs for grpc-swift 2.
if [[ -d $proto_root/runtime ]]; then
    mapfile -t cri_protos < <(protos runtime)
    if (( ${#cri_protos[@]} )); then
        protoc_gen_grpc="$(build_plugin grpc-swift-protobuf "$packages/grpc/grpc-swift-protobuf.git" \
            "$GRPC_SWIFT_PROTOBUF_VERSION" protoc-gen-grpc-swift-2)"
        naming="$(file_naming "${cri_protos[@]}")"
        # Messages and service stubs go to separate modules, so code that only needs the
        # messages (spec generation, stores) does not link gRPC.
        staging="$work/out-cri"
        staging_grpc="$work/out-cri-grpc"
        mkdir -p "$staging" "$staging_grpc"
        (cd "$proto_root" && protoc \
            --proto_path="$proto_root" \
            --plugin=protoc-gen-swift="$protoc_gen_swift" \
            --plugin=protoc-gen-grpc-swift-2="$protoc_gen_grpc" \
            --swift_out="$staging" \
            --swift_opt=Visibility=Public \
            --swift_opt=FileNaming="$naming" \
            --grpc-swift-2_out="$staging_grpc" \
            --grpc-swift-2_opt=Visibility=Public \
            --grpc-swift-2_opt=FileNaming="$naming" \
            --grpc-swift-2_opt=Server=true \
            --grpc-swift-2_opt=Client=true \
            --grpc-swift-2_opt=ExtraModuleImports=CRIAPI \
            "${cri_protos[@]}")
        replace_generated "$here/CRIAPI/Generated" "$staging"
        replace_generated "$here/CRIGRPC/Generated" "$staging_grpc"
    else
        log "no .proto under proto/runtime; skipping the CRI"
    fi
else
    log "proto/runtime does not exist; skipping the CRI"
fi
