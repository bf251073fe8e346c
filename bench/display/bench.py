#!/usr/bin/python3
# bench/display/bench.py: vireo-vmm's display against QEMU's, on the same
# animating guest, through the same VNC client.
#
#   /usr/bin/python3 bench/display/bench.py [--runs N] [--seconds N]
#                     [--idle-seconds N] [--encodings LIST] [--qemu-accel kvm|tcg]
#
# The guest is tests/guests/display.elf with anim=1: a 64x64 square moving
# over a 1024x768x32 picture, drawn from 64-bit user mode (native speed on
# this machine's KVM), paced at 60 frames a second (fps=60), or as fast as
# it goes (fps=0).  vireo-vmm runs it with --display vnc=unix:...; QEMU
# with -M pc -device bochs-display -vnc unix:... (KVM, as vireo-vmm).
# build/bench/display/vnc-bench-client connects, keeps asking for updates
# and counts, for --seconds after 2 s of warm-up:
#   fps          framebuffer updates delivered a second
#   CPU/frame    CPU time of the VMM's threads other than the vCPUs (the
#                display refresh and the VNC server), per delivered frame
#   bytes/frame  what the server sent, per frame
# Idle: the guest draws 120 frames then halts; with the client connected,
# the whole VMM process's CPU over --idle-seconds, as % of one core.
# Every figure is the median of --runs runs.
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD = os.path.join(TOP, 'build')
VMM = os.path.join(BUILD, 'src', 'vmm', 'vireo-vmm')
GUEST = os.path.join(BUILD, 'tests', 'guests', 'display.elf')
CLIENT = os.path.join(BUILD, 'bench', 'display', 'vnc-bench-client')


def cpu_ns(pid):
    """(all threads, vCPU threads) CPU time in ns, from each thread's
    schedstat: finer than the clock ticks of /proc/PID/stat.  Threads
    alive at both samples are what counts: the VNC client's threads live
    through the whole window."""
    total = vcpu = 0
    for tid in os.listdir('/proc/%d/task' % pid):
        try:
            with open('/proc/%d/task/%s/comm' % (pid, tid)) as f:
                comm = f.read().strip()
            with open('/proc/%d/task/%s/schedstat' % (pid, tid)) as f:
                ns = int(f.read().split()[0])
        except (OSError, ValueError):
            continue
        total += ns
        if comm.startswith('vcpu ') or comm.startswith('CPU '):
            vcpu += ns
    return total, vcpu


def wait_serial(path, needle, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError('the VMM ended early (status %d)' % proc.returncode)
        try:
            with open(path, 'rb') as f:
                if needle.encode() in f.read():
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    raise RuntimeError('no "%s" on the serial port in %d s' % (needle, timeout))


def start(kind, tmp, cmdline, accel):
    sock = os.path.join(tmp, 'vnc.sock')
    serial = os.path.join(tmp, 'serial.log')
    if kind == 'vireo-vmm':
        argv = [VMM, '--name', 'bench', '--memory', '64M', '--kernel', GUEST,
                '--serial', 'file:' + serial, '--display', 'vnc=unix:' + sock,
                '--cmdline', cmdline]
    else:
        argv = ['qemu-system-x86_64', '-name', 'bench,debug-threads=on',
                '-M', 'pc', '-m', '64M', '-nodefaults', '-no-user-config',
                '-display', 'none', '-vnc', 'unix:' + sock,
                '-device', 'bochs-display',
                '-device', 'isa-debug-exit,iobase=0xf4,iosize=4',
                '-serial', 'file:' + serial, '-kernel', GUEST,
                '-append', cmdline]
        if accel == 'kvm':
            argv += ['-accel', 'kvm', '-cpu', 'host,-arch-capabilities']
        else:
            argv += ['-accel', 'tcg', '-cpu', 'max']
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, sock, serial


def stop(proc):
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def client(sock, seconds, encodings, pid):
    """Runs the counting client; returns its figures and the VMM's CPU
    time (total, vCPU) over the counting window."""
    argv = [CLIENT, '--unix', sock, '--seconds', str(seconds), '--warmup', '2']
    if encodings:
        argv += ['--encodings', encodings]
    c = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    line = c.stdout.readline()
    if line.strip() != 'counting':
        c.wait()
        raise RuntimeError('the VNC client did not connect')
    before = cpu_ns(pid)
    result = json.loads(c.stdout.readline())
    after = cpu_ns(pid)
    c.wait()
    result['cpu_s'] = (after[0] - before[0]) / 1e9
    result['vcpu_s'] = (after[1] - before[1]) / 1e9
    return result


def measure(kind, cmdline, ready, seconds, args):
    """Boots the guest under @kind, waits for @ready on its serial port,
    then counts with the VNC client for @seconds."""
    with tempfile.TemporaryDirectory(prefix='vireo-bench-display-') as tmp:
        proc, sock, serial = start(kind, tmp, cmdline, args.qemu_accel)
        try:
            wait_serial(serial, ready, proc, 120)
            return client(sock, seconds, args.encodings, proc.pid)
        finally:
            stop(proc)


def animation(kind, fps, args):
    r = measure(kind, 'anim=1 fps=%d' % fps, 'display: frame 60',
                args.seconds, args)
    frames = max(r['updates'], 1)
    return {
        'fps': r['updates'] / r['seconds'],
        'cpu_ms_per_frame': 1000 * (r['cpu_s'] - r['vcpu_s']) / frames,
        'bytes_per_frame': r['bytes'] / frames,
        'kib_per_s': r['bytes'] / r['seconds'] / 1024,
    }


def idle(kind, args):
    r = measure(kind, 'anim=1 fps=60 frames=120', 'animation done',
                args.idle_seconds, args)
    return {'idle_cpu_percent': 100 * r['cpu_s'] / r['seconds'],
            'idle_updates': r['updates']}


def median_of(runs):
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--seconds', type=float, default=10)
    ap.add_argument('--idle-seconds', type=float, default=30)
    ap.add_argument('--encodings', default='tight',
                    help='what the client asks for (libvncclient names)')
    ap.add_argument('--qemu-accel', default='kvm', choices=['kvm', 'tcg'])
    ap.add_argument('--only', choices=['vireo-vmm', 'qemu'])
    args = ap.parse_args()
    for path in (VMM, GUEST, CLIENT):
        if not os.path.exists(path):
            sys.exit('bench.py: %s is missing; run ./tools/build first' % path)
    kinds = [args.only] if args.only else ['vireo-vmm', 'qemu']
    scenarios = [('paced 60 fps', lambda k: animation(k, 60, args)),
                 ('unpaced', lambda k: animation(k, 0, args)),
                 ('idle', lambda k: idle(k, args))]
    for label, run in scenarios:
        # the VMMs take turns, run by run, so that the load of a shared
        # machine falls on both alike
        results = {k: [] for k in kinds}
        for _ in range(args.runs):
            for k in kinds:
                results[k].append(run(k))
        for k in kinds:
            m = median_of(results[k])
            if label == 'idle':
                print('%-10s %-13s CPU %.3f%% of a core over %d s (%d updates)'
                      % (k, label, m['idle_cpu_percent'], args.idle_seconds,
                         m['idle_updates']), flush=True)
            else:
                print('%-10s %-13s fps %6.1f  CPU/frame %6.3f ms  %8.0f '
                      'bytes/frame  %7.1f KiB/s' %
                      (k, label, m['fps'], m['cpu_ms_per_frame'],
                       m['bytes_per_frame'], m['kib_per_s']), flush=True)
    print('encodings asked for: %s; medians of %d runs; QEMU accel %s; '
          'load average %.2f' % (args.encodings, args.runs, args.qemu_accel,
                                 os.getloadavg()[0]))


if __name__ == '__main__':
    main()
