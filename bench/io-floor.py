#!/usr/bin/env python3
"""The I/O a verified write of a sparse image cannot avoid, and nothing else: its data extents
(SEEK_DATA/SEEK_HOLE) written to DEV with O_DIRECT, flushed, then read back with O_DIRECT, two
requests in flight, one request per extent (4 MiB at most). No hashing, no comparing, no start-up
of a program: a lower bound for `edgeflash write SPARSE DEV`, run beside it by bench/sources.sh.

    bench/io-floor.py SPARSE DEV
"""
import mmap
import os
import sys
import threading

PIECE = 4 << 20


def data_extents(path):
    fd = os.open(path, os.O_RDONLY)
    size, offset, extents = os.fstat(fd).st_size, 0, []
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError:  # ENXIO: no data past offset
            break
        end = os.lseek(fd, start, os.SEEK_HOLE)
        extents.append((start, end - start))
        offset = end
    os.close(fd)
    return extents


def on_two_threads(device, pieces, write):
    """Every piece written (or read) once, two requests in flight, as edgeflash's I/O threads do."""
    lock, queue = threading.Lock(), list(reversed(pieces))

    def work():
        fd = os.open(device, (os.O_WRONLY if write else os.O_RDONLY) | os.O_DIRECT)
        buffer = memoryview(mmap.mmap(-1, PIECE))  # page-aligned, as O_DIRECT needs
        while True:
            with lock:
                if not queue:
                    break
                offset, length = queue.pop()
            if write:
                os.pwritev(fd, [buffer[:length]], offset)
            else:
                os.preadv(fd, [buffer[:length]], offset)
        if write:
            os.fdatasync(fd)
        os.close(fd)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main():
    image, device = sys.argv[1], sys.argv[2]
    pieces = [(offset, min(PIECE, start + length - offset))
              for start, length in data_extents(image)
              for offset in range(start, start + length, PIECE)]
    on_two_threads(device, pieces, write=True)
    on_two_threads(device, pieces, write=False)


if __name__ == "__main__":
    main()
