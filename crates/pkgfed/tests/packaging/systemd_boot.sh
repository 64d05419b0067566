#!/usr/bin/env bash
# Boots a private systemd (PID 1 of new PID, mount, cgroup, UTS and IPC namespaces)
# that starts the shipped packaging/systemd/pkgfed.service for real, with everything
# it writes kept inside the namespaces: /etc, /usr/local and /var/lib are overlays or
# tmpfs whose changes vanish, /run is a fresh tmpfs, and systemd's cgroups sit under a
# child cgroup of this process. The network namespace is shared, so pkgfed listens on
# this machine's loopback.
#
# Called by tests/packaging/systemd.rs with:
#   UNIT      the unit file to install as /etc/systemd/system/pkgfed.service (verbatim)
#   PKGFED    the pkgfed binary to install as /usr/local/bin/pkgfed
#   WORK      an empty scratch directory; results are written to $WORK/out
#   PORT      the loopback port pkgfed listens on
# The in-namespace check (pkgfed-check.service) writes its findings into $WORK/out.
set -euo pipefail
: "${UNIT:?}" "${PKGFED:?}" "${WORK:?}" "${PORT:?}"

if [ "${1:-}" != inner ]; then
  mkdir -p "$WORK/out"
  # A cgroup of our own, so the nested systemd manages a subtree and nothing else.
  cg="pkgfed-test-$$"
  for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
    if [ -w "$h/cgroup.procs" ]; then
      mkdir -p "$h/$cg" && echo $$ > "$h/$cg/cgroup.procs"
    fi
  done
  status=0
  timeout --kill-after=10 120 \
    unshare --pid --fork --kill-child --mount --propagation private --cgroup --uts --ipc \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin UNIT="$UNIT" PKGFED="$PKGFED" WORK="$WORK" PORT="$PORT" \
    bash "$0" inner || status=$?
  echo "$status" > "$WORK/out/manager-exit"
  # Back to the parent cgroup; remove ours and whatever the nested systemd left in it.
  for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
    if [ -d "$h/$cg" ]; then
      echo $$ > "$h/cgroup.procs"
      find "$h/$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    fi
  done
  exit 0
fi

# --- inside the namespaces (still before PID 1 is systemd) ---
mount -t proc proc /proc
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=0755 tmpfs /var/lib
# cgroupfs re-mounted so it shows this cgroup namespace's root (our child cgroup).
mount -t tmpfs -o mode=0755 tmpfs /sys/fs/cgroup
mkdir -p /sys/fs/cgroup/unified /sys/fs/cgroup/systemd
mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified
mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
for d in etc usr-local; do mkdir -p "$WORK/$d-upper" "$WORK/$d-work"; done
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$WORK/etc-upper,workdir=$WORK/etc-work" /etc
mount -t overlay overlay -o "lowerdir=/usr/local,upperdir=$WORK/usr-local-upper,workdir=$WORK/usr-local-work" /usr/local

install -m 0755 "$PKGFED" /usr/local/bin/pkgfed
install -m 0644 "$UNIT" /etc/systemd/system/pkgfed.service
mkdir -p /etc/pkgfed
cat > /etc/pkgfed/pkgfed.toml <<TOML
[server]
listen = "127.0.0.1:$PORT"
base_url = "https://pkgs.example.test"
shutdown_grace_seconds = 3

[packages]
ecosystems = ["cargo"]

[watch]
enabled = false
TOML
# The secret comes through EnvironmentFile (root-only file, read by systemd).
echo "PKGFED_ADMIN_TOKEN=systemd-test-admin-token-0123456789abcdef" > /etc/pkgfed/pkgfed.env
chmod 0600 /etc/pkgfed/pkgfed.env

# Test plumbing only (the shipped unit is untouched): pkgfed's stderr to a file, since
# no journald runs here, and no default dependencies (sysinit.target would start the
# whole distribution's boot).
mkdir -p /etc/systemd/system/pkgfed.service.d
cat > /etc/systemd/system/pkgfed.service.d/test.conf <<CONF
[Unit]
DefaultDependencies=no
[Service]
Environment=NO_COLOR=1
StandardOutput=append:$WORK/out/pkgfed.log
StandardError=append:$WORK/out/pkgfed.log
CONF
# Adds one package actor to the service's database as the service's own dynamic user
# (same User= name shares the UID and the state directory), as an operator would.
cat > /etc/systemd/system/pkgfed-seed.service <<CONF
[Unit]
DefaultDependencies=no
Before=pkgfed.service
[Service]
Type=oneshot
DynamicUser=yes
User=pkgfed
StateDirectory=pkgfed
WorkingDirectory=/var/lib/pkgfed
EnvironmentFile=-/etc/pkgfed/pkgfed.env
Environment=PKGFED_STORAGE_DATABASE_URL=sqlite:///var/lib/pkgfed/pkgfed.db
ExecStart=/usr/local/bin/pkgfed --config /etc/pkgfed/pkgfed.toml packages add pkg:cargo/serde --description "Serialization framework"
StandardOutput=append:$WORK/out/seed.log
StandardError=append:$WORK/out/seed.log
CONF
cat > /etc/systemd/system/pkgfed-check.service <<CONF
[Unit]
DefaultDependencies=no
After=pkgfed.service
[Service]
Type=oneshot
Environment=WORK=$WORK PORT=$PORT
ExecStart=/bin/bash $WORK/check.sh
StandardOutput=append:$WORK/out/check.log
StandardError=append:$WORK/out/check.log
CONF
cat > /etc/systemd/system/pkgfed-test.target <<CONF
[Unit]
DefaultDependencies=no
Wants=pkgfed-seed.service pkgfed.service pkgfed-check.service
CONF
cat > "$WORK/check.sh" <<'CHECK'
set -u
# Whatever happens, end the nested manager so the test never waits for its timeout.
trap 'systemctl exit 0' EXIT
out="$WORK/out"
base="http://127.0.0.1:$PORT"
# Wait until this pkgfed (the unit's main process) serves; a debug build needs a
# moment to generate its instance key.
for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "$base/.well-known/nodeinfo" 2>/dev/null && break
  sleep 0.2
done
curl -sS -o "$out/webfinger.json" -w '%{http_code}' \
  "$base/.well-known/webfinger?resource=acct:serde@pkgs.example.test" > "$out/webfinger.status" || true
pid=$(systemctl show -P MainPID pkgfed.service)
echo "$pid" > "$out/main-pid"
grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp):' "/proc/$pid/status" > "$out/proc-status" || true
# The admin token from the EnvironmentFile is in force.
curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cut -d= -f2 /etc/pkgfed/pkgfed.env)" \
  "$base/api/v1/admin/hosts" > "$out/admin.status" || true
stat -c '%a %U' /var/lib/private/pkgfed > "$out/state-dir" 2>&1 || true
stat -c '%a' /var/lib/private/pkgfed/pkgfed.db > "$out/db-mode" 2>&1 || true
systemctl stop pkgfed.service
systemctl show -p Result -p ExecMainCode -p ExecMainStatus -p ActiveState pkgfed.service > "$out/after-stop"
systemctl show -p Result -p ExecMainStatus pkgfed-seed.service > "$out/seed-result"
CHECK

export container=pkgfed-test
exec /lib/systemd/systemd --system --unit=pkgfed-test.target \
  --log-target=console --log-level=notice --show-status=false > "$WORK/out/manager.log" 2>&1
