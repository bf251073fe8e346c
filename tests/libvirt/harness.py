#!/usr/bin/python3
# tests/libvirt/harness.py: run a command against a real libvirt daemon.
#
#   /usr/bin/python3 tests/libvirt/harness.py [--keep] -- CMD ARGS...
#
# Takes the machine-wide lock (so that users of the one system libvirtd run
# one at a time), starts virtlogd and libvirtd unless they already run, an
# sshd on a free 127.0.0.1 port with generated keys, builds the test guest
# (tools/make-linux-guest, cached), runs CMD with this environment:
#
#   VIREO_TEST_LIBVIRT_URI    qemu:///system
#   VIREO_TEST_LIBVIRTD_PID   the daemon's pid
#   VIREO_TEST_LIBVIRTD_START a script that starts virtlogd and libvirtd again
#                             if they are not running (after a test killed
#                             the daemon), waits until it answers, prints its pid
#   VIREO_TEST_SSH_URI        qemu+ssh://root@127.0.0.1:PORT/system?keyfile=...
#                             (no prompts; a private known_hosts)
#   VIREO_TEST_SSH_LOG        sshd's log ("Accepted publickey" = one login)
#   VIREO_TEST_SSH_KEY        the private key sshd accepts
#   VIREO_TEST_SSH_WRONG_KEY  a private key sshd refuses
#   VIREO_TEST_SSH_PORT       sshd's port
#   VIREO_TEST_SSH_COMMAND    the ssh wrapper the URI names (command=)
#   VIREO_TEST_GUEST_KERNEL   a Debian kernel
#   VIREO_TEST_GUEST_INITRD   a busybox initramfs: prints VIREO-GUEST-READY on
#                             ttyS0, shells on ttyS0 and tty1
#   VIREO_TEST_NAME_PREFIX    prefix for every domain, pool, network and volume
#                             CMD creates ("vireo-test-<run>-"); the harness
#                             removes everything with that prefix afterwards
#   VIREO_TEST_TMPDIR         a per-run directory (mode 0755 so that QEMU can
#                             read files in it), removed afterwards
#
# and exits with CMD's status.  It stops what it started, and only that.
#
# Why the daemon is started in its own mount namespace: without udev (this
# machine, containers), /dev/kvm is root:root 0600, while Debian's udev rule
# makes it root:kvm 0660.  libvirt checks that the QEMU user (libvirt-qemu,
# group kvm) can open /dev/kvm; when it cannot, every cached QEMU capability
# file "was probed with KVM, but KVM is not available now", so libvirtd
# re-probes every QEMU binary (~4 s each, and again on every capability
# lookup: each define and start).  The harness gives its libvirtd a private
# /dev/kvm node with udev's ownership, which changes nothing for anyone else;
# Second, libvirt compares the host's CPUID data, read when the daemon
# starts, with the data stored beside the cached capabilities ("host CPU
# changed" -> re-probe).  On this machine CPUID leaf 0x1f reports the x2APIC
# ID of the CPU that runs the reading thread, so the data differs between
# CPU 0 and CPU 1 and every other start re-probed.  The harness pins libvirtd
# to CPU 0 while it starts and hands back all CPUs once it answers (QEMU
# inherits the daemon's affinity).  With both, the capability cache stays
# valid and a start takes ~0.2 s instead of ~8 s (on the first start after
# installation it probes once).
#
# SPDX-License-Identifier: GPL-3.0-or-later

import argparse
import fcntl
import grp
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

LOCK_PATH = "/run/lock/vireo-libvirt-test.lock"
LIBVIRT_URI = "qemu:///system"
PREFIX_ROOT = "vireo-test-"
LOCK_WAIT_S = 3600
DAEMON_WAIT_S = 120

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.environ.get("VIREO_SOURCE_ROOT") or os.path.dirname(os.path.dirname(HERE))


def log(msg):
    print("harness: " + msg, file=sys.stderr, flush=True)


class Harness:
    def __init__(self, keep):
        self.keep = keep
        self.sshd = None
        self.started_libvirtd = False
        self.started_virtlogd = False
        self.kvm_fix = False
        self.tmpdir = None
        self.lock_fd = None
        self.prefix = None
        self.libvirtd_pid = None

    # ---- lock ---------------------------------------------------------
    def take_lock(self):
        os.makedirs(os.path.dirname(LOCK_PATH), exist_ok=True)
        fd = os.open(LOCK_PATH, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + LOCK_WAIT_S
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    holder = os.pread(fd, 512, 0).decode(errors="replace").strip()
                    log("waiting for the libvirt test lock (%s), held by: %s"
                        % (LOCK_PATH, holder or "unknown"))
                    told = True
                if time.monotonic() > deadline:
                    raise SystemExit("harness: gave up waiting for %s after %d s"
                                     % (LOCK_PATH, LOCK_WAIT_S))
                time.sleep(0.5)
        os.ftruncate(fd, 0)
        os.pwrite(fd, ("pid %d: %s\n" % (os.getpid(), " ".join(sys.argv))).encode(), 0)
        self.lock_fd = fd

    # ---- daemons --------------------------------------------------------
    @staticmethod
    def pid_from(pidfile):
        try:
            pid = int(open(pidfile).read().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    @staticmethod
    def libvirtd_answers():
        r = subprocess.run(["virsh", "-q", "-c", LIBVIRT_URI, "version"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return r.returncode == 0

    @staticmethod
    def qemu_logging_to(virtlogd_pid):
        """Whether a QEMU process writes its log through virtlogd @virtlogd_pid
        (they share a pipe)."""
        def pipes(pid):
            found = set()
            try:
                for fd in os.listdir("/proc/%d/fd" % pid):
                    try:
                        target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
                    except OSError:
                        continue
                    if target.startswith("pipe:"):
                        found.add(target)
            except OSError:
                pass
            return found
        logd = pipes(virtlogd_pid)
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/comm" % pid) as f:
                    if not f.read().startswith("qemu-system"):
                        continue
            except OSError:
                continue
            if pipes(int(pid)) & logd:
                return True
        return False

    def write_start_script(self):
        """$T/start-libvirtd: starts virtlogd and libvirtd when they are not
        running and waits until libvirtd answers.  Tests that kill the
        daemon run it to bring it back."""
        node = ""
        try:
            st = os.stat("/dev/kvm")
            kvm_gid = grp.getgrnam("kvm").gr_gid
            if not (st.st_gid == kvm_gid and st.st_mode & 0o060 == 0o060):
                node = os.path.join(self.tmpdir, "kvm")
                os.mknod(node, 0o660 | stat.S_IFCHR, st.st_rdev)
                os.chown(node, 0, kvm_gid)
                os.chmod(node, 0o660)
        except (OSError, KeyError):
            node = ""
        # Pinned to CPU 0 while it starts (see the header), then let go.
        if node:
            libvirtd = ('taskset -c 0 unshare --mount --propagation slave sh -c '
                        '\'mount --bind "$0" /dev/kvm && exec /usr/sbin/libvirtd --daemon\' %s'
                        % node)
        else:
            libvirtd = "taskset -c 0 /usr/sbin/libvirtd --daemon"
        script = os.path.join(self.tmpdir, "start-libvirtd")
        with open(script, "w") as f:
            f.write("""#!/bin/sh
# Written by tests/libvirt/harness.py: start virtlogd and libvirtd if needed.
set -e
# A killed daemon stays a zombie until init reaps it: that is not running.
running() {
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null &&
    ! grep -q '^State:[[:space:]]*Z' "/proc/$(cat "$1")/status" 2>/dev/null
}
mkdir -p /run/libvirt
if ! running /run/virtlogd.pid; then
  LIBVIRT_LOG_OUTPUTS="3:file:%(t)s/virtlogd.log" /usr/sbin/virtlogd --daemon
fi
started=""
if ! running /run/libvirtd.pid; then
  LIBVIRT_LOG_OUTPUTS="3:file:%(t)s/libvirtd.log" %(libvirtd)s
  started=1
fi
fail() {
  echo "start-libvirtd: $1; its log (%(t)s/libvirtd.log) ends:" >&2
  tail -n 30 %(t)s/libvirtd.log >&2 || true
  exit 1
}
i=0
until virsh -q -c %(uri)s version >/dev/null 2>&1; do
  i=$((i + 1))
  [ $i -le %(tries)d ] || fail "libvirtd does not answer"
  [ $i -le 100 ] || running /run/libvirtd.pid || fail "libvirtd exited"
  sleep 0.05
done
if [ -n "$started" ]; then
  # The QEMU processes it forks inherit its affinity: give back every CPU.
  taskset -a -p -c "$(taskset -p -c $$ | sed 's/.*: //')" "$(cat /run/libvirtd.pid)" >/dev/null
fi
cat /run/libvirtd.pid
""" % {"t": self.tmpdir, "libvirtd": libvirtd, "uri": LIBVIRT_URI,
       "tries": DAEMON_WAIT_S * 20})
        os.chmod(script, 0o755)
        self.start_script = script
        return node != ""

    def start_daemons(self, record=True):
        """Returns the libvirtd pid; with @record, remembers what this run
        started so that it stops it at the end."""
        had_virtlogd = self.pid_from("/run/virtlogd.pid") is not None
        had_libvirtd = self.pid_from("/run/libvirtd.pid") is not None and self.libvirtd_answers()
        t0 = time.monotonic()
        r = subprocess.run([self.start_script], stdout=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise SystemExit("harness: could not start libvirtd (%s)" % self.start_script)
        pid = int(r.stdout.strip())
        if not had_virtlogd and record:
            self.started_virtlogd = True
        if not had_libvirtd:
            self.started_libvirtd |= record
            log("started libvirtd pid %d in %.2f s" % (pid, time.monotonic() - t0))
        elif self.kvm_fix:
            log("reusing libvirtd pid %d; if it was started without the harness it "
                "re-probes QEMU on every capability lookup (see the harness header)" % pid)
        return pid

    @staticmethod
    def stop_pidfile(pidfile, name):
        pid = Harness.pid_from(pidfile)
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                return
            time.sleep(0.05)
        log("%s pid %d ignored SIGTERM; killing it" % (name, pid))
        os.kill(pid, signal.SIGKILL)

    def stop_daemons(self):
        if self.started_libvirtd:
            self.stop_pidfile("/run/libvirtd.pid", "libvirtd")
        pid = self.pid_from("/run/virtlogd.pid")
        if self.started_virtlogd and pid is not None:
            if self.qemu_logging_to(pid):
                log("leaving virtlogd running: QEMU processes still log through it")
            else:
                self.stop_pidfile("/run/virtlogd.pid", "virtlogd")

    # ---- sshd ---------------------------------------------------------
    def start_sshd(self):
        d = os.path.join(self.tmpdir, "ssh")
        os.makedirs(d)
        os.makedirs("/run/sshd", exist_ok=True)
        for key in ("hostkey", "id", "wrong_id"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                            "vireo-test-" + key, "-f", os.path.join(d, key)], check=True)
        shutil.copy(os.path.join(d, "id.pub"), os.path.join(d, "authorized_keys"))
        os.chmod(os.path.join(d, "authorized_keys"), 0o600)
        known_hosts = os.path.join(d, "known_hosts")
        with open(known_hosts, "w") as f:
            hostpub = open(os.path.join(d, "hostkey.pub")).read().split()
            # Filled in once the port is known.
            self._hostpub = " ".join(hostpub[:2])
        client_cfg = os.path.join(d, "ssh_config")
        with open(client_cfg, "w") as f:
            f.write("Host *\n"
                    "  UserKnownHostsFile %s\n"
                    "  GlobalKnownHostsFile /dev/null\n"
                    "  StrictHostKeyChecking yes\n"
                    "  BatchMode yes\n"
                    "  IdentitiesOnly yes\n"
                    "  PasswordAuthentication no\n"
                    "  KbdInteractiveAuthentication no\n"
                    "  ConnectTimeout 30\n" % known_hosts)
        wrapper = os.path.join(d, "ssh")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' % client_cfg)
        os.chmod(wrapper, 0o755)
        self.ssh_wrapper = wrapper
        self.ssh_log = os.path.join(d, "sshd.log")

        for attempt in range(20):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            cfg = os.path.join(d, "sshd_config")
            with open(cfg, "w") as f:
                f.write("Port %d\nListenAddress 127.0.0.1\nHostKey %s/hostkey\n"
                        "PidFile %s/sshd.pid\nPermitRootLogin prohibit-password\n"
                        "AuthorizedKeysFile %s/authorized_keys\nPasswordAuthentication no\n"
                        "KbdInteractiveAuthentication no\nStrictModes no\nUsePAM no\n"
                        "LogLevel VERBOSE\nMaxStartups 100\nMaxSessions 100\n"
                        % (port, d, d, d))
            p = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", cfg],
                                 stdin=subprocess.DEVNULL, stdout=open(self.ssh_log, "ab"),
                                 stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.monotonic() + 30
            up = False
            while time.monotonic() < deadline and p.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", port), 1).close()
                    up = True
                    break
                except OSError:
                    time.sleep(0.05)
            if up:
                self.sshd = p
                break
            if p.poll() is None:
                p.kill()
            p.wait()
        else:
            raise SystemExit("harness: sshd did not start; see %s" % self.ssh_log)
        with open(known_hosts, "w") as f:
            f.write("[127.0.0.1]:%d %s\n" % (port, self._hostpub))
        self.ssh_port = port
        self.ssh_key = os.path.join(d, "id")
        self.ssh_wrong_key = os.path.join(d, "wrong_id")
        self.ssh_uri = ("qemu+ssh://root@127.0.0.1:%d/system?keyfile=%s&command=%s&no_tty=1"
                        % (port, self.ssh_key, wrapper))

    # ---- guest --------------------------------------------------------
    def prepare_guest(self):
        out = os.environ.get("VIREO_TEST_GUEST_DIR")
        if not out:
            build = os.environ.get("VIREO_BUILD_ROOT") or os.path.join(SRC_ROOT, "build")
            out = os.path.join(build, "guest-linux")
        subprocess.run([os.path.join(SRC_ROOT, "tools", "make-linux-guest"), out], check=True)
        # QEMU (libvirt-qemu) must reach the files: every parent must be searchable.
        path = os.path.abspath(out)
        while path != "/":
            mode = os.stat(path).st_mode
            if mode & 0o001 == 0:
                raise SystemExit("harness: %s is not searchable by others, so QEMU cannot "
                                 "read the guest; set VIREO_TEST_GUEST_DIR elsewhere" % path)
            path = os.path.dirname(path)
        self.kernel = os.path.join(out, "vmlinuz")
        self.initrd = os.path.join(out, "initrd.img")

    # ---- libvirt objects ----------------------------------------------
    def cleanup_objects(self, prefix):
        """Remove domains, pools and networks whose names start with @prefix."""
        import libvirt
        libvirt.registerErrorHandler(lambda *a: None, None)
        try:
            conn = libvirt.open(LIBVIRT_URI)
        except libvirt.libvirtError as e:
            log("cannot clean up libvirt objects: %s" % e)
            return
        try:
            for dom in conn.listAllDomains():
                if not dom.name().startswith(prefix):
                    continue
                try:
                    if dom.isActive():
                        dom.destroy()
                except libvirt.libvirtError:
                    pass
                try:
                    dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                      libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                                      libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
                except libvirt.libvirtError:
                    pass
            for pool in conn.listAllStoragePools():
                if not pool.name().startswith(prefix):
                    continue
                try:
                    if pool.isActive():
                        for vol in pool.listAllVolumes():
                            try:
                                vol.delete()
                            except libvirt.libvirtError:
                                pass
                        pool.destroy()
                    pool.undefine()
                except libvirt.libvirtError:
                    pass
            for net in conn.listAllNetworks():
                if not net.name().startswith(prefix):
                    continue
                try:
                    if net.isActive():
                        net.destroy()
                    net.undefine()
                except libvirt.libvirtError:
                    pass
        finally:
            conn.close()

    # ---- run ----------------------------------------------------------
    def run(self, cmd):
        self.take_lock()
        self.tmpdir = tempfile.mkdtemp(prefix="vireo-libvirt-")
        os.chmod(self.tmpdir, 0o755)
        self.prefix = "%s%d-%s-" % (PREFIX_ROOT, os.getpid(), os.path.basename(self.tmpdir)[-6:])
        child = None
        status = 1
        try:
            self.kvm_fix = self.write_start_script()
            self.libvirtd_pid = self.start_daemons()
            # We hold the lock: anything with the common prefix is a leftover.
            self.cleanup_objects(PREFIX_ROOT)
            self.start_sshd()
            self.prepare_guest()
            env = dict(os.environ,
                       VIREO_TEST_LIBVIRT_URI=LIBVIRT_URI,
                       VIREO_TEST_LIBVIRTD_PID=str(self.libvirtd_pid),
                       VIREO_TEST_LIBVIRTD_START=self.start_script,
                       VIREO_TEST_SSH_URI=self.ssh_uri,
                       VIREO_TEST_SSH_LOG=self.ssh_log,
                       VIREO_TEST_SSH_KEY=self.ssh_key,
                       VIREO_TEST_SSH_WRONG_KEY=self.ssh_wrong_key,
                       VIREO_TEST_SSH_PORT=str(self.ssh_port),
                       VIREO_TEST_SSH_COMMAND=self.ssh_wrapper,
                       VIREO_TEST_GUEST_KERNEL=self.kernel,
                       VIREO_TEST_GUEST_INITRD=self.initrd,
                       VIREO_TEST_NAME_PREFIX=self.prefix,
                       VIREO_TEST_TMPDIR=self.tmpdir)
            child = subprocess.Popen(cmd, env=env)

            def forward(signum, frame):
                if child.poll() is None:
                    child.send_signal(signum)
            for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(s, forward)
            status = child.wait()
            for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(s, signal.SIG_IGN)
        finally:
            if child is not None and child.poll() is None:
                child.kill()
                child.wait()
            if self.sshd is not None:
                self.sshd.terminate()
                self.sshd.wait()
            try:
                if self.tmpdir and os.path.exists(getattr(self, "start_script", "")):
                    # The command may have killed the daemon (a test of that
                    # very case): bring it back, then remove what it made.
                    if not self.libvirtd_answers():
                        self.start_daemons(record=False)
                    self.cleanup_objects(self.prefix)
                self.stop_daemons()
            except (SystemExit, OSError) as e:
                log(str(e))
            if self.keep:
                log("kept %s" % self.tmpdir)
            else:
                shutil.rmtree(self.tmpdir, ignore_errors=True)
            os.close(self.lock_fd)
        if status < 0:
            return 128 - status
        return status


def main():
    ap = argparse.ArgumentParser(description="Run CMD against a real libvirtd (see the header).")
    ap.add_argument("--keep", action="store_true", help="keep the per-run directory")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        ap.error("no command given (harness.py -- CMD ARGS...)")
    if os.geteuid() != 0:
        raise SystemExit("harness: must run as root to manage the system libvirtd "
                         "(qemu:///system) and sshd")
    sys.exit(Harness(args.keep).run(cmd))


if __name__ == "__main__":
    main()
