# Sourced by ci.sh: QEMU, installed without removing anything, and the
# instruction-count plugin.

# Installs qemu-system-arm unless present. apt must remove nothing: with
# --no-remove it refuses instead. Debian 12's QEMU 7.2 cannot sit beside a
# newer qemu-utils from backports (which Breaks qemu-system-common < 8), so
# when the plain install would remove a package, take QEMU from the
# backports suite of the release, read from a private sources folder (the
# machine's apt sources stay as they are), and check again that nothing goes.
install_qemu() {
  if command -v qemu-system-arm >/dev/null; then
    return 0
  fi
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -qq --no-install-recommends --no-remove)
  timed apt-get update -qq
  local removed
  removed=$(apt-get -s --no-install-recommends install qemu-system-arm | sed -n 's/^Remv \([^ ]*\).*/\1/p' | tr '\n' ' ')
  if [ -z "$removed" ]; then
    timed "${apt[@]}" install qemu-system-arm >/dev/null
    return 0
  fi
  echo "installing Debian's qemu-system-arm would remove: $removed; trying the backports suite instead"
  local codename mirror parts=$EMB/target/apt-sources
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -m 1 '/debian$' || true)
  rm -rf "$parts" && mkdir -p "$parts"
  cp /etc/apt/sources.list.d/*.sources "$parts/" 2>/dev/null || true
  printf 'Types: deb\nURIs: %s\nSuites: %s-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "${mirror:-http://deb.debian.org/debian}" "$codename" >"$parts/backports.sources"
  local private=(-o "Dir::Etc::SourceParts=$parts" -o APT::Get::List-Cleanup=false)
  timed apt-get "${private[@]}" update -qq
  removed=$(apt-get "${private[@]}" -s --no-install-recommends -t "$codename-backports" install qemu-system-arm |
    sed -n 's/^Remv \([^ ]*\).*/\1/p' | tr '\n' ' ')
  if [ -n "$removed" ]; then
    echo "error: installing qemu-system-arm would remove $removed, from the release and from backports alike;" \
      "install QEMU by hand (or set PATH to one) and rerun" >&2
    exit 1
  fi
  timed "${apt[@]}" "${private[@]}" -t "$codename-backports" install qemu-system-arm >/dev/null
}

# Builds the QEMU instruction-count plugin (a measuring tool kept beside the
# repository) twice under two names: loaded twice, one run counts both the
# training and the inference region.
build_plugins() {
  local major api=1 src=${FLAMBEAU_INSNCOUNT_SRC:-$ROOT/../shared/tools/qemu-insncount/insncount.c}
  major=$(qemu-system-arm --version | sed -n '1s/.*version \([0-9]*\)\..*/\1/p')
  [ "$major" -ge 9 ] && api=2
  if [ ! -f "$src" ]; then
    echo "error: the QEMU instruction-count plugin source is missing: $src (set FLAMBEAU_INSNCOUNT_SRC)" >&2
    exit 1
  fi
  mkdir -p "$EMB/target/ci"
  PLUGIN_TRAIN=$EMB/target/ci/libinsncount-train.so
  PLUGIN_INFER=$EMB/target/ci/libinsncount-infer.so
  timed gcc -O2 -Wall -shared -fPIC -DQEMU_API=$api -o "$PLUGIN_TRAIN" "$src"
  cp "$PLUGIN_TRAIN" "$PLUGIN_INFER"
  QEMU_VERSION=$(qemu-system-arm --version | sed -n '1s/.*version \([0-9.]*\).*/\1/p')
  echo "qemu-system-arm $QEMU_VERSION, plugin API $api"
}

# Runs ELF ($1) on board $2 under QEMU with both counting plugins; output in
# $3.out, the plugins' counts in $3.insns; returns QEMU's exit status.
qemu_counted() {
  local elf=$1 board=$2 log=$3 qemu
  qemu=$(board_field "$board" qemu)
  # shellcheck disable=SC2086 # the board's QEMU arguments are words
  timeout 600 qemu-system-arm $qemu -nographic -semihosting-config enable=on,target=native -kernel "$elf" \
    -plugin "$PLUGIN_TRAIN,start=bench_train_start,stop=bench_train_stop" \
    -plugin "$PLUGIN_INFER,start=bench_infer_start,stop=bench_infer_stop" \
    -d plugin -D "$log.insns" </dev/null >"$log.out" 2>&1
}

# Instructions per call of a region in $1.insns: QEMU runs the plugins'
# exit reports last-loaded first, so the inference count comes first.
per_region() {
  local nth=1
  [ "$2" = train ] && nth=2
  awk -v n="$nth" '/^region_insns=/ { k++; if (k == n) { split($1, i, "="); split($2, c, "=");
    if (c[2] > 0) printf "%d", i[2] / c[2]; else printf "-" } }' "$1.insns"
}

# Calls of a region in $1.insns (same order as per_region).
region_calls() {
  local nth=1
  [ "$2" = train ] && nth=2
  awk -v n="$nth" '/^region_insns=/ { k++; if (k == n) { split($2, c, "="); print c[2] } }' "$1.insns"
}
