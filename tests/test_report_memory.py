"""tools.report's memory figure: private memory counts what a process allocated, not the file pages it maps
(the libraries of torch, a file read through mmap), which ``ru_maxrss`` counts and the page cache moves."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.report import private_memory, sample_private_memory  # noqa: E402

MB = 2**20


def child(code: str) -> subprocess.Popen:
    """A Python child that runs ``code``, prints "ready" and then waits to be killed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code + "\nprint('ready', flush=True)\nimport time\ntime.sleep(60)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_private_memory_counts_allocations_and_not_mapped_files(tmp_path):
    data = tmp_path / "data.bin"
    data.write_bytes(b"\1" * (100 * MB))
    idle = child("pass")
    allocating = child("buf = bytearray(100 * 2**20)\nbuf[::4096] = b'x' * len(buf[::4096])")
    mapping = child(
        f"import mmap\nf = open({str(data)!r}, 'rb')\nm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)\n"
        "total = sum(m[i] for i in range(0, len(m), 4096))"
    )
    try:
        base = private_memory(psutil.Process(idle.pid))
        allocated = private_memory(psutil.Process(allocating.pid)) - base
        mapped = private_memory(psutil.Process(mapping.pid)) - base
        rss_mapped = psutil.Process(mapping.pid).memory_info().rss - psutil.Process(idle.pid).memory_info().rss
        assert 95 * MB < allocated < 130 * MB, allocated / MB  # the 100 MB the child wrote to
        assert rss_mapped > 75 * MB and mapped < 20 * MB, (rss_mapped / MB, mapped / MB)  # in RSS, not private
    finally:
        for proc in (idle, allocating, mapping):
            proc.kill()
            proc.wait()


def test_the_sampler_keeps_the_peak_of_the_children():
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=sample_private_memory, args=(stop, peak, 0.05), daemon=True)
    sampler.start()
    proc = child("buf = bytearray(120 * 2**20)\nbuf[::4096] = b'x' * len(buf[::4096])")
    try:
        time.sleep(0.5)
        stop.set()
        sampler.join()
        assert peak[0] > 120 * MB, peak[0] / MB
    finally:
        proc.kill()
        proc.wait()
