#!/usr/bin/env bash
# CI hook: builds the Dockerfile and runs the image (PING, write, restart, read back) with
# container-check.sh (buildah + chroot; no Docker engine needed). Last line of output:
#   "container-check: ok ..."       exit 0
#   "container-check: skipped (why)" exit 0  (buildah cannot be installed or cannot run here)
#   "container-check: FAILED (why)"  exit 1  (the image does not build or does not work)
# Everything it keeps (buildah's image store, the debootstrapped base image) is under
# $CONTAINER_CHECK_TMP (default /tmp/holdfast-container-check); packages are installed with apt.
# Environment: CONTAINER_CHECK (the tool, default /work/shared/tools/container-check.sh),
# CONTAINER_CHECK_PORT (first port to try, default 16379), CONTAINER_CHECK_TIMEOUT (s, 600).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export DEBIAN_FRONTEND=noninteractive
tool=${CONTAINER_CHECK:-/work/shared/tools/container-check.sh}
port=${CONTAINER_CHECK_PORT:-16379}
limit=${CONTAINER_CHECK_TIMEOUT:-600}
work=${CONTAINER_CHECK_TMP:-/tmp/holdfast-container-check}
start=$(date +%s)
mkdir -p "$work" || skip "cannot create $work"

skip() { echo "container-check: skipped ($*)"; exit 0; }
fail() { echo "container-check: FAILED ($*)"; exit 1; }

[ -f "$tool" ] || skip "$tool not found"
[ -f Dockerfile ] || fail "no Dockerfile at the top of the repository"
if [ "$(id -u)" = 0 ]; then SUDO=""
elif sudo -n true 2>/dev/null; then SUDO="sudo -n"
else skip "needs root or password-less sudo (apt-get, mount, chroot)"; fi

# ---- tools ------------------------------------------------------------------------------------
missing=""
for t in buildah:buildah debootstrap:debootstrap redis-cli:redis-tools python3:python3; do
	command -v "${t%%:*}" >/dev/null || missing="$missing ${t#*:}"
done
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	{ $SUDO apt-get update -qq && $SUDO apt-get install -y -qq $missing; } >"$work/apt.log" 2>&1 \
		|| skip "apt-get install$missing failed: $(tail -1 "$work/apt.log")"
fi

# ---- buildah's storage under $work, so that nothing is kept outside /tmp -----------------------
cat >"$work/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$work/storage"
runroot = "$work/run"
CONF
export CONTAINERS_STORAGE_CONF="$work/storage.conf"
bah() { $SUDO env CONTAINERS_STORAGE_CONF="$CONTAINERS_STORAGE_CONF" buildah "$@"; }
# overlay needs a kernel and a file system that allow it; vfs (plain copies) works everywhere
if ! bah images >/dev/null 2>"$work/probe.log"; then
	sed -i 's/^driver = .*/driver = "vfs"/' "$work/storage.conf"
	bah images >/dev/null 2>"$work/probe.log" || skip "buildah cannot open its storage: $(tail -1 "$work/probe.log")"
fi
# can this sandbox mount a container's file system and bind-mount into it?
probe=$(bah from scratch 2>"$work/probe.log") || skip "buildah cannot create a container: $(tail -1 "$work/probe.log")"
mnt=$(bah mount "$probe" 2>>"$work/probe.log")
ok=$?
if [ $ok = 0 ]; then
	mkdir -p "$mnt/probe" && $SUDO mount --bind "$work" "$mnt/probe" 2>>"$work/probe.log" \
		&& $SUDO umount "$mnt/probe" || ok=1
fi
bah rm "$probe" >/dev/null 2>&1
[ $ok = 0 ] || skip "no permission to mount here: $(tail -1 "$work/probe.log")"

# ---- base image debian:bookworm-slim, made with debootstrap (no image registry needed) --------
# (container-check.sh makes it too, but with "buildah import", which buildah does not have,
# or podman; this needs buildah only)
base=docker.io/library/debian:bookworm-slim
if ! bah images --format '{{.Name}}:{{.Tag}}' 2>/dev/null | grep -qx "$base"; then
	echo "making $base with debootstrap"
	root="$work/rootfs"
	$SUDO rm -rf "$root"
	$SUDO debootstrap --variant=minbase bookworm "$root" >"$work/debootstrap.log" 2>&1 \
		|| skip "debootstrap failed (no Debian mirror or no mknod here?): $(tail -1 "$work/debootstrap.log")"
	if ! { c=$(bah from scratch) && m=$(bah mount "$c") && $SUDO tar -C "$root" -c . | $SUDO tar -C "$m" -x \
		&& bah umount "$c" >/dev/null && bah commit --rm "$c" "$base" >/dev/null; } 2>"$work/commit.log"; then
		fail "could not make the base image from $root: $(tail -1 "$work/commit.log")"
	fi
	$SUDO rm -rf "$root"
fi

# ---- a free port (the image shares the host's network) ----------------------------------------
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
	port=$((port + 1))
done

# ---- the check ---------------------------------------------------------------------------------
echo "container-check: building and running the image (port $port)"
# BUILDAH_FORMAT=docker: the image format "docker build" makes; the OCI format has no HEALTHCHECK
out=$($SUDO env CONTAINERS_STORAGE_CONF="$CONTAINERS_STORAGE_CONF" BUILDAH_FORMAT=docker timeout "$limit" bash "$tool" "$PWD" "$port" 2>&1)
rc=$?
echo "$out" | grep -v '^container-check: ok'
bah rmi --prune >/dev/null 2>&1   # images left untagged by earlier builds
took=$(( $(date +%s) - start ))
[ $rc = 124 ] && fail "did not finish within ${limit}s"
if [ $rc = 0 ] && echo "$out" | grep -q '^container-check: ok'; then
	echo "$out" | grep '^container-check: ok' | sed "s/\$/ [${took}s]/"
	exit 0
fi
fail "container-check.sh exit $rc; build log /tmp/container-check.build.log, server log /tmp/container-check.run.log"
