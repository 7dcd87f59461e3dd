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

    def flip(self, offset):
        """Inverts the byte at `offset` in place (the tamper control: stored bytes changed
        after they were written; the recorded MD5 and checksums stay). -> (before, after)."""
        if not 0 <= offset < self.size:
            raise IndexError(offset)
        if self._data is not None:
            before = self._data[offset]
            self._data = self._data[:offset] + bytes([before ^ 0xFF]) + self._data[offset + 1:]
        else:
            with open(self._path, 'r+b') as f:
                f.seek(offset)
                before = f.read(1)[0]
                f.seek(offset)
                f.write(bytes([before ^ 0xFF]))
        return before, before ^ 0xFF

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

ALGORITHMS = ('CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256')
# The checksum types S3 allows for each algorithm in a multipart upload (S3 user guide,
# "Checking object integrity": CRC-64/NVME is full-object only, SHA-1/SHA-256 composite only,
# CRC-32/CRC-32C either); a single PUT's checksum is always FULL_OBJECT.
CHECKSUM_TYPES = {'CRC32': ('COMPOSITE', 'FULL_OBJECT'), 'CRC32C': ('COMPOSITE', 'FULL_OBJECT'),
                  'CRC64NVME': ('FULL_OBJECT',), 'SHA1': ('COMPOSITE',), 'SHA256': ('COMPOSITE',)}
DEFAULT_TYPE = {'CRC32': 'COMPOSITE', 'CRC32C': 'COMPOSITE', 'CRC64NVME': 'FULL_OBJECT', 'SHA1': 'COMPOSITE',
                'SHA256': 'COMPOSITE'}
# Reflected CRCs: algorithm -> (width in bits, reflected polynomial). All three start from and
# end with an all-ones register (init == xorout), which is what crc_combine relies on.
CRC_PARAMS = {'CRC32': (32, 0xEDB88320), 'CRC32C': (32, 0x82F63B78), 'CRC64NVME': (64, 0x9A6C9329AC4BC9B5)}
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


try:  # Debian's python3-awscrt has a native CRC32C, python3-crcmod another; the last fallback is slow.
    from awscrt.checksums import crc32c as _crc32c
except ImportError:  # pragma: no cover
    try:
        import crcmod.predefined
        _crc32c = crcmod.predefined.mkPredefinedCrcFun('crc-32c')
    except ImportError:
        _crc32c = _crc32c_py

# CRC-64/NVME (the Rocksoft/NVMe CRC S3 calls CRC64NVME): Debian's python3-crcmod, whose C
# extension does about 200 MB/s. crcmod's initCrc is the register XORed with xorOut, so 0
# here means the all-ones start of CRC-64/NVME. Check value of b"123456789": 0xae8b14860a799888.
try:
    import crcmod as _crcmod
    _crc64nvme = _crcmod.mkCrcFun(0x1AD93D23594C93659, initCrc=0, rev=True, xorOut=0xFFFFFFFFFFFFFFFF)
except ImportError:  # pragma: no cover
    _crc64nvme = None


def crc_value(algorithm, data):
    """The CRC of `data` as an integer (CRC32, CRC32C, CRC64NVME)."""
    a = algorithm.upper()
    if a == 'CRC32':
        return zlib.crc32(data) & 0xFFFFFFFF
    if a == 'CRC32C':
        return _crc32c(data) & 0xFFFFFFFF
    if a == 'CRC64NVME':
        if _crc64nvme is None:
            raise RuntimeError('CRC64NVME needs python3-crcmod (scripts/install-deps installs it)')
        return _crc64nvme(data)
    raise ValueError(algorithm)


# ---- combining CRCs: crc(A + B) from crc(A), crc(B) and len(B), as zlib's crc32_combine.
# Appending n zero bytes to a register (without init/xorout) is a linear map over GF(2); with
# init == xorout (true of all three CRCs here) crc(A + B) = Z^len(B)(crc(A)) ^ crc(B), where Z
# is that map for one zero byte. A matrix is a list of `width` column vectors (ints); the maps
# for 2^k zero bytes are squared once per (algorithm, k) and cached, so combining costs at
# most ~40 matrix-vector products however long B is.
_ZERO_POWERS = {}
_zero_lock = threading.Lock()


def _gf2_times(mat, vec):
    out = 0
    i = 0
    while vec:
        if vec & 1:
            out ^= mat[i]
        vec >>= 1
        i += 1
    return out


def _gf2_square(mat):
    return [_gf2_times(mat, col) for col in mat]


def _zero_bytes_operator(algorithm, k):
    """The matrix appending 2^k zero bytes to a register of `algorithm`."""
    with _zero_lock:
        powers = _ZERO_POWERS.get(algorithm)
        if powers is None:
            width, poly = CRC_PARAMS[algorithm]
            one_bit = [poly] + [1 << (i - 1) for i in range(1, width)]   # shift right by one, reduce
            m = one_bit
            for _ in range(3):                                           # 1 -> 2 -> 4 -> 8 bits
                m = _gf2_square(m)
            powers = _ZERO_POWERS[algorithm] = [m]
        while len(powers) <= k:
            powers.append(_gf2_square(powers[-1]))
        return powers[k]


def crc_combine(algorithm, crc1, crc2, len2):
    """The CRC of A + B given crc1 = CRC(A), crc2 = CRC(B) and len2 = len(B)."""
    k = 0
    while len2:
        if len2 & 1:
            crc1 = _gf2_times(_zero_bytes_operator(algorithm, k), crc1)
        len2 >>= 1
        k += 1
    return crc1 ^ crc2


def full_object_checksum(algorithm, parts):
    """A multipart object's FULL_OBJECT checksum from its parts' (base64 value, size), in order:
    the CRC of the concatenated parts, combined without reading them again."""
    width = CRC_PARAMS[algorithm][0] // 8
    crc = None
    for value, size in parts:
        c = int.from_bytes(base64.b64decode(value), 'big')
        crc = c if crc is None else crc_combine(algorithm, crc, c, size)
    if crc is None:
        crc = crc_value(algorithm, b'')
    return base64.b64encode(crc.to_bytes(width, 'big')).decode('ascii')


def raw_checksum(algorithm, data):
    a = algorithm.upper()
    if a in CRC_PARAMS:
        return crc_value(a, data).to_bytes(CRC_PARAMS[a][0] // 8, 'big')
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
