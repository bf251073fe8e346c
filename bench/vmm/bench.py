#!/usr/bin/python3
"""vireo-vmm against QEMU (-M microvm, -M pc, KVM) on one PVH test guest.

For each VMM, several runs of the very same guest ELF (tests/guests/hello.elf):
  first byte  exec -> the guest's first serial byte on the VMM's stdout
  exit        exec -> the VMM's exit through the debug-exit port
  overhead    RSS beyond guest memory, with the guest idle (hello wait=1):
              the VMM's whole RSS minus what the guest RAM mapping holds;
              private is the same for private (unshared) pages only
and the same for vireo-vmm with its D-Bus control server and microvm with
QMP, the control planes Vireo and libvirt use.
Prints the medians as a table (and --json for machines).  Timings belong
here, never in tests.  See README.md.
"""
import argparse
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time

MEM_MIB = 256


def vmm_cmds(build, guest, wait, sockdir):
    cmdline = "wait=1" if wait else ""
    vireo = [os.path.join(build, "src", "vmm", "vireo-vmm"),
             "--memory", "%dM" % MEM_MIB, "--kernel", guest,
             "--serial", "stdio", "--cmdline", cmdline]
    qemu = ["qemu-system-x86_64", "-enable-kvm", "-cpu", "host,-arch-capabilities",
            "-m", "%dM" % MEM_MIB, "-nodefaults", "-no-user-config",
            "-display", "none", "-serial", "stdio",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
            "-kernel", guest, "-append", cmdline]
    microvm = qemu[:1] + ["-M", "microvm"] + qemu[1:]
    return {
        "vireo-vmm": vireo,
        "qemu microvm": microvm,
        "qemu pc": qemu[:1] + ["-M", "pc"] + qemu[1:],
        # with their control planes, as Vireo and libvirt run them: the
        # D-Bus server (GLib, GIO) against QMP
        "vireo +control": vireo + ["--control",
                                   "unix:" + os.path.join(sockdir, "vmm.sock")],
        "microvm +qmp": microvm + ["-qmp", "unix:%s,server=on,wait=off"
                                   % os.path.join(sockdir, "qmp.sock")],
    }


def clean(sockdir):
    for name in os.listdir(sockdir):
        os.unlink(os.path.join(sockdir, name))


def timed_run(cmd, timeout):
    """(seconds to first stdout byte, seconds to exit, exit status)"""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    first = None
    fd = p.stdout.fileno()
    while True:
        left = timeout - (time.monotonic() - t0)
        if left <= 0:
            p.kill()
            p.wait()
            raise RuntimeError("%s timed out" % cmd[0])
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        data = os.read(fd, 4096)
        now = time.monotonic()
        if data and first is None:
            first = now - t0
        if not data:
            break
    p.wait()
    end = time.monotonic() - t0
    return first, end, p.returncode


def rss_overhead(cmd, timeout):
    """(total RSS, RSS beyond the guest RAM mapping, private beyond it) KiB"""
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    try:
        t0 = time.monotonic()
        buf = b""
        while b"waiting" not in buf:
            if time.monotonic() - t0 > timeout:
                raise RuntimeError("%s: the guest never said waiting" % cmd[0])
            r, _, _ = select.select([p.stdout], [], [], 1)
            if r:
                buf += os.read(p.stdout.fileno(), 4096)
        time.sleep(0.5)  # let the VMM settle
        if p.poll() is not None:
            raise RuntimeError("%s ended while idle (status %d)" % (cmd[0], p.returncode))
        total = ram = private = ram_private = 0
        size = 0
        cur_is_ram = False
        with open("/proc/%d/smaps" % p.pid) as f:
            for line in f:
                parts = line.split()
                if "-" in parts[0] and len(parts) >= 5 and ":" not in parts[0]:
                    lo, hi = (int(x, 16) for x in parts[0].split("-"))
                    size = hi - lo
                    # guest RAM: the one mapping of (at least) the guest's size
                    cur_is_ram = size >= MEM_MIB * 1024 * 1024
                    continue
                if parts[0] == "Rss:":
                    total += int(parts[1])
                    if cur_is_ram:
                        ram += int(parts[1])
                elif parts[0] in ("Private_Clean:", "Private_Dirty:"):
                    private += int(parts[1])
                    if cur_is_ram:
                        ram_private += int(parts[1])
        return total, total - ram, private - ram_private
    finally:
        p.kill()
        p.wait()


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(top, "build"),
                    help="the meson build directory (default: ./build)")
    ap.add_argument("--runs", type=int, default=7, help="runs per VMM (default 7)")
    ap.add_argument("--pc-runs", type=int, default=3,
                    help="runs of the slow -M pc (default 3)")
    ap.add_argument("--json", action="store_true", help="print JSON too")
    args = ap.parse_args()

    guest = os.path.join(args.build, "tests", "guests", "hello.elf")
    if not os.path.exists(guest):
        sys.exit("bench/vmm: build first (%s is missing)" % guest)
    sockdir = tempfile.mkdtemp(prefix="vireo-bench-vmm-")
    timed = vmm_cmds(args.build, guest, False, sockdir)
    idle = vmm_cmds(args.build, guest, True, sockdir)
    results = {}
    for name, cmd in timed.items():
        runs = args.pc_runs if name == "qemu pc" else args.runs
        firsts, ends, rss = [], [], []
        for _ in range(runs):
            clean(sockdir)
            first, end, status = timed_run(cmd, 120)
            if status != 1:
                sys.exit("bench/vmm: %s exited %d, not 1 (a pass)" % (name, status))
            firsts.append(first * 1000)
            ends.append(end * 1000)
        for _ in range(min(runs, 3)):
            clean(sockdir)
            rss.append(rss_overhead(idle[name], 120))
        results[name] = {
            "runs": runs,
            "first_byte_ms": median(firsts),
            "exit_ms": median(ends),
            "rss_kib": median([r[0] for r in rss]),
            "overhead_kib": median([r[1] for r in rss]),
            "private_overhead_kib": median([r[2] for r in rss]),
        }
        print("%-15s done (%d runs)" % (name, runs), file=sys.stderr)

    print("guest: %s, %d MiB, medians" % (guest, MEM_MIB))
    print("%-15s %14s %12s %14s %14s" % ("VMM", "first byte ms", "exit ms",
                                         "overhead MiB", "private MiB"))
    for name, r in results.items():
        print("%-15s %14.1f %12.1f %14.2f %14.2f" % (
            name, r["first_byte_ms"], r["exit_ms"], r["overhead_kib"] / 1024,
            r["private_overhead_kib"] / 1024))
    v = results["vireo-vmm"]
    for q in ("qemu microvm", "qemu pc"):
        print("first byte: vireo-vmm takes %.3f of %s's time (goal <= 0.1)"
              % (v["first_byte_ms"] / results[q]["first_byte_ms"], q))
    print("overhead: %.2f MiB (goal <= 3 MiB)" % (v["overhead_kib"] / 1024))
    c, q = results["vireo +control"], results["microvm +qmp"]
    print("with control planes: %.2f MiB (D-Bus) vs %.2f MiB (QMP): %.3f"
          % (c["overhead_kib"] / 1024, q["overhead_kib"] / 1024,
             c["overhead_kib"] / q["overhead_kib"]))
    clean(sockdir)
    os.rmdir(sockdir)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
