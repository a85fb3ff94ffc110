#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""qemu_run.py - run one QEMU guest with a time limit, and drive memory
hot-plug over QMP.

Usage: qemu_run.py --log FILE --timeout SECONDS [--hotplug KINDS --cycles N
                   --size SIZE --ktap FILE] [--pmem ADDR+SIZE ...]
                   -- qemu-system-... ARGS

The guest console (serial on stdio) goes to --log.  QEMU is killed after
--timeout seconds, not counting the hot-plug cycles, whose every step has
its own time limit (exit 124), 60 s after an Oops/panic/BUG line if the
guest has not finished by then, 10 s if its init has printed @@DONE
(exit 125), or on SIGINT/SIGTERM (exit 130);
its process group is always cleaned up.

With --hotplug "pc-dimm virtio-mem", QMP is added on a unix socket.  When
the guest's init prints "@@HOTPLUG-READY" (scripts/guest/mmtest.c), each kind
is cycled --cycles times:
  pc-dimm:    object-add memory-backend-ram + device_add pc-dimm, wait until
              the guest reports more memory, all of it online; device_del,
              wait for DEVICE_DELETED (ACPI eject: the guest offlines and
              removes it), object-del.  Cycle i uses DIMM slot i mod the
              -m slots= count: QEMU sends DEVICE_DELETED when the guest
              writes _EJ0, before the guest re-reads the slot's _STA; a DIMM
              plugged into the same slot in that window makes the guest log
              "Eject incomplete - status 0xf" and drop the insert event;
  virtio-mem: qom-set requested-size SIZE on vm0, then 0 (qom-get size == 0).
After each cycle, MemTotal and the memory block count the guest reports
("@@MEM ...") must be back at their start values.  The results are written
as KTAP to --ktap; then "quit" is written to the guest console and QEMU is
left to finish.  Exit status: QEMU's, or 1 if a hot-plug step failed.

With --pmem ADDR+SIZE (arm64 virt, direct kernel boot), the machine's own
device tree is dumped by QEMU with the same command line (-machine
dumpdtb=), a "pmem-region" node (drivers/nvdimm/of_pmem.c) with one reg
entry per --pmem is added with fdtput, and the guest boots with -dtb.  The
ranges must be guest RAM that the kernel is told to leave alone (mem=).
"""
import argparse
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

MEM_RE = re.compile(r'@@MEM total_kb=(\d+) blocks=(\d+) online=(\d+)')
# a guest that printed one of these gets CRASH_GRACE seconds to finish, or
# DONE_GRACE once its init has printed @@DONE (after an Oops, the reboot
# can hang on a lock that the dead task holds)
CRASH_RE = re.compile(r'Oops|Kernel panic|BUG: |kernel BUG at')
CRASH_GRACE = 60
DONE_GRACE = 10


class Guest:
    """QEMU process, its console log, and the memory reports of its init."""

    def __init__(self, cmd, log_path):
        self.log = open(log_path, 'w', encoding='utf-8', errors='replace')
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.ready = threading.Event()
        self.crashed_at = None     # when the first crash line was seen
        self.done = False          # the init printed @@DONE
        self.mem = None            # latest (total_kb, blocks, online)
        self.mem_changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode('utf-8', 'replace')
            self.log.write(line)
            self.log.flush()
            if '@@HOTPLUG-READY' in line:
                self.ready.set()
            if '@@DONE' in line:
                self.done = True
            if self.crashed_at is None and CRASH_RE.search(line):
                self.crashed_at = time.monotonic()
            m = MEM_RE.search(line)
            if m:
                with self.mem_changed:
                    self.mem = tuple(int(x) for x in m.groups())
                    self.mem_changed.notify_all()

    def wait_mem(self, pred, timeout):
        """Wait until the guest's memory report satisfies pred.

        The guest reports only when its memory changes, and a kernel
        message printed at the same moment can split that line on the
        console, so that it never parses: ask for the report again
        ("mem") every few seconds while waiting."""
        end = time.monotonic() + timeout
        ask = time.monotonic() + 5
        with self.mem_changed:
            while self.mem is None or not pred(self.mem):
                now = time.monotonic()
                left = end - now
                if left <= 0 or self.proc.poll() is not None:
                    return False
                if now >= ask:
                    self.send('mem\n')
                    ask = now + 5
                self.mem_changed.wait(min(left, 1.0))
            return True

    def send(self, text):
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    def kill(self):
        if self.proc.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(5)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self.reader.join(5)
        self.log.close()


class QMP:
    """A minimal QMP client; a reader thread sorts replies from events."""

    def __init__(self, path, timeout=60):
        end = time.monotonic() + timeout
        while True:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > end:
                    raise
                time.sleep(0.2)
        self.file = self.sock.makefile('rwb')
        self.replies = queue.Queue()
        self.events = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.replies.get(timeout=timeout)          # greeting
        self.cmd('qmp_capabilities')

    def _read(self):
        for line in self.file:
            msg = json.loads(line)
            (self.events if 'event' in msg else self.replies).put(msg)
        self.replies.put({'error': {'desc': 'QMP connection closed'}})

    def cmd(self, name, **args):
        self.file.write(json.dumps({'execute': name, 'arguments': args}).encode() + b'\n')
        self.file.flush()
        try:
            msg = self.replies.get(timeout=120)
        except queue.Empty as err:
            raise RuntimeError(f'{name}: no QMP reply') from err
        if 'error' in msg:
            raise RuntimeError(f'{name}: {msg["error"].get("desc", msg["error"])}')
        return msg.get('return')

    def wait_event(self, name, timeout, match=None):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                ev = self.events.get(timeout=1.0)
            except queue.Empty:
                continue
            if ev['event'] == name and (match is None or match(ev.get('data', {}))):
                return ev
        return None


def parse_size(text):
    units = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}
    return int(text[:-1]) * units[text[-1].upper()] if text[-1].upper() in units else int(text)


def parse_region(text):
    """ADDR+SIZE (numbers in C syntax) -> (addr, size)"""
    addr, size = text.split('+')
    return int(addr, 0), int(size, 0)


def pmem_dtb(cmd, regions, path):
    """The QEMU command line booting a device tree with a pmem-region node."""
    dump = subprocess.run(cmd + ['-machine', f'dumpdtb={path}'], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120, check=False)
    if dump.returncode != 0 or not os.path.exists(path):
        raise RuntimeError(f'QEMU could not dump the device tree: {dump.stderr.strip()}')
    node = f'/pmem@{regions[0][0]:x}'
    cells = []
    for addr, size in regions:
        cells += [f'{addr >> 32:x}', f'{addr & 0xffffffff:x}', f'{size >> 32:x}', f'{size & 0xffffffff:x}']
    for fdt in (['-c', path, node], ['-t', 's', path, node, 'compatible', 'pmem-region'],
                ['-t', 'x', path, node, 'reg'] + cells):
        subprocess.run(['fdtput'] + fdt, check=True)
    return cmd + ['-dtb', path]


def dimm_slots(cmd):
    """The number of DIMM slots of the QEMU command line (-m ...,slots=N)."""
    for arg in cmd:
        m = re.search(r'(?:^|,)slots=(\d+)', arg)
        if m:
            return int(m.group(1))
    return 1


def hotplug(guest, qmp, kinds, cycles, size, slots, results):
    """Cycle every kind; append (name, ok, diagnostic) to results."""
    if not guest.wait_mem(lambda m: True, 60):
        results.append(('hotplug start', False, 'no @@MEM report from the guest'))
        return
    start = guest.mem
    size_kb = size >> 10
    for kind in kinds:
        for i in range(1, cycles + 1):
            name = f'{kind} cycle {i}'
            t0 = time.monotonic()
            try:
                if kind == 'pc-dimm':
                    qmp.cmd('object-add', **{'qom-type': 'memory-backend-ram', 'id': f'hpmem{i}', 'size': size})
                    qmp.cmd('device_add', driver='pc-dimm', id=f'dimm{i}', memdev=f'hpmem{i}',
                            slot=(i - 1) % slots)
                else:
                    qmp.cmd('qom-set', path='vm0', property='requested-size', value=size)
                if not guest.wait_mem(lambda m: m[0] >= start[0] + size_kb and m[2] == m[1], 120):
                    raise RuntimeError(f'guest did not report {size_kb} kB more, all online '
                                       f'(start {start}, now {guest.mem})')
                added = guest.mem
                if kind == 'pc-dimm':
                    qmp.cmd('device_del', id=f'dimm{i}')
                    if not qmp.wait_event('DEVICE_DELETED', 180, lambda d, i=i: d.get('device') == f'dimm{i}'):
                        raise RuntimeError('no DEVICE_DELETED: the guest did not eject the DIMM')
                    qmp.cmd('object-del', id=f'hpmem{i}')
                else:
                    qmp.cmd('qom-set', path='vm0', property='requested-size', value=0)
                    end = time.monotonic() + 180
                    while qmp.cmd('qom-get', path='vm0', property='size') != 0:
                        if time.monotonic() > end:
                            raise RuntimeError('virtio-mem size did not reach 0')
                        time.sleep(0.5)
                if not guest.wait_mem(lambda m: m == start, 120):
                    raise RuntimeError(f'memory not back to the start value (start {start}, now {guest.mem})')
                results.append((name, True, f'added {added}, back to {start} in {time.monotonic() - t0:.1f}s'))
            except (RuntimeError, OSError, EOFError) as err:
                results.append((name, False, str(err)))
                return


def write_ktap(path, results):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(f'KTAP version 1\n1..{len(results)}\n')
        for n, (name, ok, diag) in enumerate(results, 1):
            f.write(f'# {diag}\n')
            f.write(f'{"ok" if ok else "not ok"} {n} {name.replace(" ", "_")}\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--log', required=True)
    ap.add_argument('--timeout', type=int, required=True)
    ap.add_argument('--hotplug', default='')
    ap.add_argument('--cycles', type=int, default=10)
    ap.add_argument('--size', default='512M')
    ap.add_argument('--ktap')
    ap.add_argument('--pmem', action='append', default=[], metavar='ADDR+SIZE')
    ap.add_argument('cmd', nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ['--'] else args.cmd
    if not cmd:
        ap.error('no QEMU command line after --')
    kinds = args.hotplug.split()
    try:
        regions = [parse_region(r) for r in args.pmem]
    except ValueError:
        ap.error(f'--pmem takes ADDR+SIZE (e.g. 0xa0000000+0x1000000), not {args.pmem}')
    tmp = tempfile.mkdtemp(prefix='qemu-run-')
    qmp_path = os.path.join(tmp, 'qmp.sock')
    dtb_path = os.path.join(tmp, 'pmem.dtb')
    if regions:
        try:
            cmd = pmem_dtb(cmd, regions, dtb_path)
        except (RuntimeError, OSError, subprocess.SubprocessError) as err:
            print(f'qemu_run: --pmem: {err}', file=sys.stderr)
            shutil.rmtree(tmp, ignore_errors=True)
            return 2
    if kinds:
        cmd += ['-qmp', f'unix:{qmp_path},server=on,wait=off']
    cmd += ['-serial', 'stdio']

    guest = Guest(cmd, args.log)
    stop = {'why': None}

    def on_signal(signum, _frame):
        stop['why'] = 'interrupted'
        guest.kill()
        sys.exit(130)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    results = []
    deadline = time.monotonic() + args.timeout
    rc = 0
    try:
        if kinds:
            while not guest.ready.wait(1):
                if guest.proc.poll() is not None or time.monotonic() > deadline:
                    break
            if guest.ready.is_set():
                qmp = QMP(qmp_path)
                t0 = time.monotonic()
                hotplug(guest, qmp, kinds, args.cycles, parse_size(args.size),
                        dimm_slots(cmd), results)
                # every hot-plug step has its own time limit: --timeout is
                # for the rest, so that CYCLES= can grow without it
                deadline += time.monotonic() - t0
            else:
                results.append(('hotplug start', False, 'the guest never printed @@HOTPLUG-READY'))
            guest.send('quit\n')
        while guest.proc.poll() is None and time.monotonic() < deadline:
            if guest.crashed_at and (time.monotonic() - guest.crashed_at >
                                     (DONE_GRACE if guest.done else CRASH_GRACE)):
                break
            time.sleep(0.5)
        if guest.proc.poll() is None and guest.crashed_at:
            print(f'qemu_run: the guest crashed and did not finish: killing QEMU',
                  file=sys.stderr)
            rc = 125
        elif guest.proc.poll() is None:
            print(f'qemu_run: TIMEOUT after {args.timeout}s: killing QEMU', file=sys.stderr)
            rc = 124
        else:
            rc = guest.proc.returncode
    finally:
        guest.kill()
        if args.ktap and kinds:
            write_ktap(args.ktap, results)
        for name, ok, diag in results:
            print(f'qemu_run: {"ok  " if ok else "FAIL"} {name}: {diag}')
        shutil.rmtree(tmp, ignore_errors=True)
    if rc == 0 and any(not ok for _, ok, _ in results):
        rc = 1
    return rc


if __name__ == '__main__':
    sys.exit(main())
