"""Where the sandbox's S3 keeps object bytes, and the checksums S3 computes over them.

Bodies are immutable blobs: small ones live in memory, large ones are spilled to files in
a per-process directory (objects of several GiB must not sit in RAM). A blob's file is
removed when the last object, part or copy referring to it goes away (CPython frees it
deterministically), and the whole directory at exit. An object is a list of blobs: a
completed multipart upload just keeps its parts, so completing is O(parts), not O(bytes)."""

import atexit
import base64
import hashlib
import os
import shutil
import sys
import tempfile
import threading
import uuid
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'support'))
from server_process import alive as _pid_alive  # noqa: E402  (tests/support)

SPILL_BYTES = 1 << 20          # blobs at least this large go to a file
MEMORY_BUDGET = 256 << 20      # above this many bytes in memory, every new blob is spilled

_lock = threading.Lock()
_dir = None
_in_memory = 0


def _base_dir():
    env = os.environ.get('AWSDL_SANDBOX_S3_DIR')
    if env:
        return env
    # ctl.py starts the server with --port-file STATE/sandbox.port.tmp: spill next to it.
    argv = sys.argv
    for i, a in enumerate(argv):
        if a == '--port-file' and i + 1 < len(argv):
            return os.path.dirname(os.path.abspath(argv[i + 1]))
        if a.startswith('--port-file='):
            return os.path.dirname(os.path.abspath(a.split('=', 1)[1]))
    return tempfile.gettempdir()


def spill_dir():
    global _dir
    with _lock:
        if _dir is None:
            base = _base_dir()
            os.makedirs(base, exist_ok=True)
            # Leftovers of a sandbox that was killed (SIGKILL skips atexit).
            for name in os.listdir(base):
                if name.startswith('s3-data-'):
                    try:
                        pid = int(name[len('s3-data-'):])
                    except ValueError:
                        continue
                    if pid != os.getpid() and not _pid_alive(pid):
                        shutil.rmtree(os.path.join(base, name), ignore_errors=True)
            _dir = os.path.join(base, 's3-data-%d' % os.getpid())
            os.makedirs(_dir, exist_ok=True)
            atexit.register(shutil.rmtree, _dir, True)
        return _dir


class Blob:
    """Immutable bytes, in memory or in a file. `md5` is the raw digest (ETags)."""

    __slots__ = ('size', 'md5', '_data', '_path', '__weakref__')

    def __init__(self, data, md5=None):
        global _in_memory
        self.size = len(data)
        self.md5 = md5 if md5 is not None else hashlib.md5(data).digest()
        self._data = None
        self._path = None
        spill = self.size >= SPILL_BYTES
        if not spill:
            with _lock:
                spill = _in_memory + self.size > MEMORY_BUDGET
                if not spill:
                    _in_memory += self.size
        if spill:
            path = os.path.join(spill_dir(), uuid.uuid4().hex)
            with open(path, 'wb') as f:
                f.write(data)
            self._path = path
        else:
            self._data = bytes(data)

    def read(self, offset=0, length=None):
        if length is None:
            length = self.size - offset
        length = max(0, min(length, self.size - offset))
        if length == 0:
            return b''
        if self._data is not None:
            return self._data[offset:offset + length]
        with open(self._path, 'rb') as f:
            f.seek(offset)
            return f.read(length)

    def __del__(self):
        global _in_memory
        try:
            if self._path is not None:
                os.unlink(self._path)
            elif self._data is not None:
                with _lock:
                    _in_memory -= self.size
        except (OSError, TypeError, AttributeError):
            pass  # at interpreter exit the directory is removed anyway


def read_segments(blobs, offset, length):
    """Bytes [offset, offset+length) of the concatenation of `blobs`, in one piece."""
    return b''.join(iter_segments(blobs, offset, length))


def iter_segments(blobs, offset, length, chunk=1 << 20):
    """Bytes [offset, offset+length) of the concatenation of `blobs`, as pieces of at most
    `chunk` bytes read one at a time (a GET of a multi-GiB object is streamed, never held in
    memory)."""
    pos = 0
    end = offset + length
    for b in blobs:
        if pos >= end:
            break
        nxt = pos + b.size
        if nxt > offset:
            lo = max(offset, pos) - pos
            hi = min(end, nxt) - pos
            while lo < hi:
                n = min(chunk, hi - lo)
                yield b.read(lo, n)
                lo += n
        pos = nxt


# ---------------------------------------------------------------- checksums

ALGORITHMS = ('CRC32', 'CRC32C', 'SHA1', 'SHA256')
_CRC32C_TABLE = None


def _crc32c_py(data, crc=0):
    global _CRC32C_TABLE
    if _CRC32C_TABLE is None:
        table = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
        _CRC32C_TABLE = table
    t = _CRC32C_TABLE
    crc ^= 0xFFFFFFFF
    for byte in data:
        crc = t[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


try:  # Debian's python3-awscrt has a native CRC32C; the fallback is slow but correct.
    from awscrt.checksums import crc32c as _crc32c
except ImportError:  # pragma: no cover
    _crc32c = _crc32c_py


def raw_checksum(algorithm, data):
    a = algorithm.upper()
    if a == 'CRC32':
        return (zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, 'big')
    if a == 'CRC32C':
        return (_crc32c(data) & 0xFFFFFFFF).to_bytes(4, 'big')
    if a == 'SHA1':
        return hashlib.sha1(data).digest()
    if a == 'SHA256':
        return hashlib.sha256(data).digest()
    raise ValueError(algorithm)


def checksum(algorithm, data):
    """The base64 value S3 puts in x-amz-checksum-<algorithm>."""
    return base64.b64encode(raw_checksum(algorithm, data)).decode('ascii')


def composite_checksum(algorithm, part_values):
    """A multipart object's checksum: the checksum of the parts' raw checksums, '-N'."""
    raw = b''.join(base64.b64decode(v) for v in part_values)
    return '%s-%d' % (checksum(algorithm, raw), len(part_values))


def multipart_etag(md5s):
    return '"%s-%d"' % (hashlib.md5(b''.join(md5s)).hexdigest(), len(md5s))
