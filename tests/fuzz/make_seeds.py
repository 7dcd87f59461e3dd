#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora into tests/data/fuzz/<target>/.

Seeds are small real inputs taken from the tests' data and recorded answers (the SigV4 test
suite, the S3 worked examples, tests/data/ec2, the example configuration files, the unit tests'
answers), a few depth bombs and truncated inputs. The files are committed; run this again
(python3 tests/fuzz/make_seeds.py, needs GNU tar and zstd) after changing it. It never removes
files, so inputs that crashed a target once, added by hand as crash-<what>, stay in place.
"""

import gzip
import io
import json
import os
import struct
import subprocess
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DATA = os.path.join(ROOT, "tests", "data")
OUT = os.path.join(DATA, "fuzz")

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    assert len(data) <= 1 << 20, (target, name, len(data))
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(*parts):
    with open(os.path.join(ROOT, *parts), "rb") as f:
        return f.read()


# ---- xml ----------------------------------------------------------------------------------
def xml_seeds():
    ec2 = read("tests", "data", "ec2", "describe_instances.xml")
    put("xml", "ec2-describe-instances.xml", ec2)
    put("xml", "ec2-describe-instances-truncated.xml", ec2[: len(ec2) // 2])
    put("xml", "s3-list-objects-v2.xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix>'
        "<KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
        "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
        "<Contents><Key>p/a%20b</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>"
        "<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size>"
        "<StorageClass>STANDARD</StorageClass></Contents>"
        "<Contents><Key>p/c</Key><Size>-1</Size></Contents></ListBucketResult>")
    put("xml", "query-member-list.xml",
        '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
        "<DescribeStacksResult><Stacks><member><StackName>maskrcnn</StackName>"
        "<StackStatus>CREATE_COMPLETE</StackStatus><Outputs><member><OutputKey>MasterIp</OutputKey>"
        "<OutputValue>203.0.113.5</OutputValue></member></Outputs></member></Stacks>"
        "<NextToken>abc</NextToken></DescribeStacksResult>"
        "<ResponseMetadata><RequestId>b9b4b068-3a41-11e5-94eb-example</RequestId></ResponseMetadata>"
        "</DescribeStacksResponse>")
    put("xml", "s3-error.xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
        "<Message>The specified key does not exist.</Message><Key>a/b</Key>"
        "<RequestId>4442587FB7D0A2F9</RequestId></Error>")
    put("xml", "entities-and-cdata.xml",
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]><r a="&amp;&#x41;&#65;">'
        "<![CDATA[<not>markup]]>&lt;&e;<?pi data?><!-- c --><Code>&#xFFFF;</Code></r>")
    put("xml", "prefixed-names.xml", '<ns:Response xmlns:ns="u"><ns:Errors><ns:Error><ns:Code>X</ns:Code>'
        "</ns:Error></ns:Errors></ns:Response>")
    put("xml", "depth-bomb.xml", "<a>" * 30000 + "</a>" * 30000)
    put("xml", "depth-bomb-unclosed.xml", "<Error>" * 20000)
    put("xml", "wide.xml", "<r>" + "<member><Key>k</Key></member>" * 3000 + "</r>")
    put("xml", "empty.xml", "")
    put("xml", "html.xml", "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>")


# ---- json ---------------------------------------------------------------------------------
def json_seeds():
    put("json", "describe-training-job.json", json.dumps({
        "TrainingJobName": "maskrcnn-1", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/maskrcnn-1",
        "TrainingJobStatus": "InProgress", "SecondaryStatus": "Training",
        "CreationTime": 1700000000.123, "TrainingStartTime": 1.7e9, "LastModifiedTime": 1e300,
        "TrainingTimeInSeconds": 12, "BillableTimeInSeconds": -1,
        "HyperParameters": {"sagemaker_mpi_enabled": "true", "sagemaker_mpi_num_of_processes_per_host": "8"},
        "SecondaryStatusTransitions": [{"Status": "Starting", "StartTime": 1700000000, "EndTime": None}],
        "AlgorithmSpecification": {"TrainingImage": "1.dkr.ecr.us-east-1.amazonaws.com/t:1",
                                   "MetricDefinitions": [{"Name": "loss", "Regex": "loss=(.*)"}]},
        "ResourceConfig": {"InstanceType": "ml.p3.16xlarge", "InstanceCount": 2, "VolumeSizeInGB": 1e20}}))
    put("json", "list-training-jobs.json",
        '{"TrainingJobSummaries":[{"TrainingJobName":"a","CreationTime":1.5e9,"TrainingJobStatus":"Completed"},'
        '"not an object",[1,2],null],"NextToken":"t"}')
    put("json", "error.json", '{"__type":"com.amazon.coral.validate#ValidationException","message":"1 validation error"}')
    put("json", "numbers.json", '[0,-0,1e308,-1e308,1e-400,9223372036854775807,9223372036854775808,'
        '-9223372036854775809,18446744073709551616,1.7976931348623157e309,0.1e1,123456789012345678901234567890]')
    put("json", "strings.json", '{"a":"\\u0000\\ud834\\udd1e\\ud800","b":"\\"\\\\\\/\\b\\f\\n\\r\\t","":1,"a":2}')
    put("json", "depth-bomb-array.json", "[" * 120000)
    put("json", "depth-bomb-object.json", '{"a":' * 60000)
    put("json", "depth-bomb-closed.json", "[" * 40000 + "]" * 40000)
    put("json", "truncated.json", '{"TrainingJobSummaries":[{"TrainingJobName":"a","Creat')
    put("json", "empty.json", "")


# ---- ini ----------------------------------------------------------------------------------
def ini_seeds():
    put("ini", "cluster.ini", read("examples", "cluster", "cluster.ini"))
    put("ini", "vm.ini", read("examples", "vm", "vm.ini"))
    put("ini", "minimal-cluster.ini", "\n[cluster]\nname = demo\nkey_name = team\nworkers = 3\n\n[network]\nssh_cidr = 198.51.100.0/24\n")
    put("ini", "quoting.ini", "\ufeff[s]\r\na = value # comment\r\nb = a#b\nc = x ;c\nd = url=http://h/#frag\n"
        "e = \"keep # this; and  spaces \"  # comment\nf = 'lit\\n'\ng = \"esc \\\" \\\\ \\t\\n\"\nh: colon\n"
        "  continued\n")
    put("ini", "errors.ini", "[s]\na=1\na=2\n[t]\n[s]\n= v\na b = v\nx = \"open\n")
    put("ini", "many-sections.ini", "".join(f"[s{i}]\nk = {i}\n" for i in range(4000)))
    put("ini", "many-keys.ini", "[cluster]\n" + "".join(f"k{i} = {i}\n" for i in range(4000)))
    put("ini", "long-line.ini", "[s]\nk = " + "x" * 200000 + "\n")
    put("ini", "truncated.ini", "[cluster]\nname = \"demo")


# ---- profile_files: config NUL credentials ---------------------------------------------
def profile_seeds():
    config = ("[default]\nregion = us-west-2\noutput = json\n[profile dev]\nregion = eu-west-1\n"
              "aws_access_key_id = FROMCONFIG\ns3 =\n  addressing_style = path\n  max_concurrent_requests = 20\n"
              "[sso-session corp]\nsso_region = us-east-1\n[services local]\ns3 =\n  endpoint_url = http://127.0.0.1:9000\n"
              "[profile   'quoted name']\nregion = eu-north-1\n[profile two words]\nregion = eu-south-1\n"
              "[profilex]\nregion = sa-east-1\n[profile default]\nregion = ca-central-1\n"
              "[profile chain]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = dev\n"
              "credential_process = /bin/echo '{\"Version\": 1}'\n")
    credentials = (f"[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = {SECRET}\n"
                   "[dev]\naws_access_key_id = AKIDEXAMPLE\nregion = ap-southeast-2\n"
                   "[profile odd]\naws_access_key_id = AKIDEXAMPLE\n; comment\n# comment\n"
                   "aws_session_token = multi\n  line\n\tvalue\n")
    put("profile_files", "config-and-credentials", config + "\0" + credentials)
    put("profile_files", "config-only", "\ufeff[default]\r\nregion=us-east-1\r\n")
    put("profile_files", "errors", "key = outside\n[\n[]\n\0[default]\nno delimiter\n")
    put("profile_files", "many-sections", "".join(f"[profile p{i}]\nregion = r\n" for i in range(3000)) + "\0")
    put("profile_files", "many-keys", "\0[default]\n" + "".join(f"k{i} = v\n" for i in range(3000)))
    put("profile_files", "nested-block-bomb", "[default]\ns3 =\n" + "".join(f"  k{i} = v\n" for i in range(3000)) + "\0")
    put("profile_files", "truncated", "[default]\naws_secret_access_key = wJalrXUt\0[dev")


# ---- manifest -----------------------------------------------------------------------------
def manifest_seeds():
    sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    put("manifest", "none", f"v1;files=12;bytes=3456;archive=8192;sha256={sha};compression=none")
    put("manifest", "gzip", f"v1;files=0;bytes=0;archive=0;sha256={sha};compression=gzip")
    put("manifest", "zstd-max", f"v1;files=18446744073709551615;bytes=18446744073709551615;archive=1;sha256={sha};compression=zstd")
    put("manifest", "overflow", f"v1;files=18446744073709551616;bytes=1;archive=1;sha256={sha};compression=none")
    put("manifest", "version2", f"v2;files=1;bytes=1;archive=1;sha256={sha};compression=none")
    put("manifest", "truncated", f"v1;files=12;bytes=3456;archive=8192;sha256={sha[:20]}")


# ---- hosts: default slots byte, then the text -----------------------------------------
def host_seeds():
    put("hosts", "openmpi-hostfile", b"\x01" + b"# workers\nnode1 slots=8\nnode2 slots=8 max_slots=8\n10.0.0.3\n")
    put("hosts", "mpich-horovod", b"\x04" + b"h1:4,h2:4 h3:2\r\n[::1]:2\n[fe80::1%eth0]\n")
    put("hosts", "ssh-targets", b"\x01" + b"ubuntu@10.0.0.1:2222, root@[::1]:22 fe80::1 user@host, a@b@c\n")
    put("hosts", "bad", b"\x00" + b"slots=4 h:0 h:1000001 :3 @h [::1 [::1]x host: -oProxyCommand=x ;rm\n")
    put("hosts", "many", b"\x02" + "".join(f"10.0.{i // 256}.{i % 256} slots=1\n" for i in range(5000)).encode())


# ---- error_parser: protocol, status index, header flags, error type NUL request id NUL body
PROTO = {"query": 0, "ec2": 1, "json": 2, "rest-xml": 3, "rest-json": 4}
STATUS = {200: 0, 400: 3, 403: 5, 404: 6, 429: 13, 500: 14, 502: 16, 503: 17, 504: 18}


def err(name, proto, status, body, error_type="", request_id="", headers=0):
    head = bytes([PROTO[proto], STATUS[status], headers])
    put("error_parser", name, head + error_type.encode() + b"\0" + request_id.encode() + b"\0" +
        (body.encode() if isinstance(body, str) else body))


def error_parser_seeds():
    err("query", "query", 400, '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
        "  <Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>\n"
        "  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>")
    err("ec2", "ec2", 400, '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InvalidParameterValue'
        "</Code><Message>Value (x) for parameter instanceType is invalid.</Message></Error></Errors>"
        "<RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>")
    err("json", "json", 400, '{"__type":"com.amazon.coral.validate#ValidationException","message":"1 validation error"}',
        request_id="req-json-1", headers=2)
    err("json-header-type", "rest-json", 404, "{}", error_type="ResourceNotFoundException:http://internal.amazon.com/coral/",
        headers=1)
    err("s3", "rest-xml", 404, '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified '
        "key does not exist.</Message><Key>a/b</Key><RequestId>4442587FB7D0A2F9</RequestId><HostId>host</HostId></Error>",
        request_id="4442587FB7D0A2F9", headers=4)
    err("s3-error-in-200", "rest-xml", 200, '<?xml version="1.0" encoding="UTF-8"?>\n\n<Error><Code>InternalError</Code>'
        "<Message>We encountered an internal error. Please try again.</Message>"
        "<RequestId>656c76696e6727732072657175657374</RequestId></Error>")
    err("s3-result-in-200", "rest-xml", 200, "<CompleteMultipartUploadResult><Location>x</Location><Bucket>b</Bucket>"
        '<Key>k</Key><ETag>"e"</ETag></CompleteMultipartUploadResult>')
    err("truncated", "query", 400, "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exc")
    err("html-502", "rest-xml", 502, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
        "Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n" + " " * 400 + "tail")
    err("plain-text", "query", 500, "upstream connect error or disconnect/reset before headers")
    err("empty-503", "ec2", 503, "")
    err("secret-in-message", "json", 400, '{"__type":"AccessDenied","message":"Authorization: AWS4-HMAC-SHA256 '
        f'Credential=AKIDEXAMPLE/x, Signature=abc aws_secret_access_key={SECRET}"' + "}")
    err("secret-in-xml", "query", 403, f"<ErrorResponse><Error><Code>X</Code><Message>{SECRET}</Message></Error>"
        "<SecretAccessKey>k</SecretAccessKey></ErrorResponse>")
    err("long-authorization-message", "json", 400, '{"__type":"X","message":"Authorization: ' + "a" * 60000 + '"}')
    err("long-signature-message", "rest-xml", 403, "<Error><Code>SignatureDoesNotMatch</Code><Message>X-Amz-Signature="
        + "0" * 60000 + "</Message></Error>")
    err("json-depth-bomb", "json", 400, "[" * 120000)
    err("xml-depth-bomb", "query", 400, "<ErrorResponse>" * 10000)


# ---- sigv4: flags, u32 time, method NUL scheme NUL host NUL path NUL query NUL region NUL
#      service NUL body NUL payload hash NUL (header name NUL value NUL)* ---------------------
def sigv4_record(flags, when, method, scheme, host, path, query, region, service, body, payload_hash, headers):
    fields = [method, scheme, host, path, query, region, service, body, payload_hash]
    for k, v in headers:
        fields += [k, v]
    return bytes([flags]) + struct.pack("<I", when) + b"\0".join(f.encode() if isinstance(f, str) else f for f in fields)


def sigv4_seeds():
    suite = os.path.join(DATA, "sigv4-test-suite")
    when = 1440938160  # 2015-08-30T12:36:00Z, the suite's time
    for case in sorted(os.listdir(suite)):
        req = os.path.join(suite, case, "request.txt")
        if not os.path.isfile(req):
            continue
        with open(req, "rb") as f:
            text = f.read().decode("utf-8")
        head, _, body = text.partition("\n\n")
        lines = head.split("\n")
        method, _, rest = lines[0].partition(" ")
        target = rest.rsplit(" ", 1)[0]
        path, _, query = target.partition("?")
        headers = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and headers:
                headers[-1] = (headers[-1][0], headers[-1][1] + "\n" + line)
                continue
            k, _, v = line.partition(":")
            headers.append((k, v))
        host = next((v for k, v in headers if k.lower() == "host"), "example.amazonaws.com")
        put("sigv4", case, sigv4_record(3, when, method, "https", host, path, query, "us-east-1", "service", body, "",
                                        headers))
        put("sigv4", case + "-presigned", sigv4_record(3 | 8 | 16, when, method, "https", host, path, query,
                                                       "us-east-1", "service", body, "", headers))
    with open(os.path.join(DATA, "s3-sigv4-examples.json")) as f:
        s3 = json.load(f)
    put_ = s3["streaming_put"]
    put("sigv4", "s3-streaming-put", sigv4_record(4, 1369353600, put_["method"], "https", put_["host"], put_["path"], "",
                                                 "us-east-1", "s3", "", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                                                 list(put_["headers"].items())))
    put("sigv4", "s3-presign-key-with-spaces", sigv4_record(16 | 8, 1369353600, "GET", "https", "examplebucket.s3.amazonaws.com:443",
                                                           "/a%20b/c%2Fd/../e", "X-Amz-Date=old&list-type=2&prefix=a+b&&=",
                                                           "us-east-1", "s3", "", "", [("x-amz-meta-Ä", " v\t v ")]))
    put("sigv4", "odd-host-and-headers", sigv4_record(7, 0xFFFFFFFF, "PUT", "HTTP", "[::1]:80", "//a/./b//../", "b=%zz&a=%41&a",
                                                     "eu-west-1", "ec2", "body", "", [("Host", ""), ("X-Amz-Date", "x"),
                                                     ("authorization", "a"), ("A", "1"), ("a", "  2  3 "), ("User-Agent", "u")]))
    put("sigv4", "long-path", sigv4_record(3, when, "GET", "https", "h", "/" + "a/../" * 20000, "", "r", "s", "", "", []))
    # Headers in descending order: insertion sort made signing this quadratic.
    put("sigv4", "crash-many-headers", sigv4_record(3, when, "GET", "https", "h", "/", "", "r", "s", "", "",
                                                    [(f"x-h{i:05d}", "v") for i in range(12000, 0, -1)]))


# ---- tar_extractor -------------------------------------------------------------------------
tarfile.RECORDSIZE = 512  # no padding to 10 KiB: smaller seeds, faster runs


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for info, data in entries:
            info.mtime = info.mtime or 1700000000
            if data is not None:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            else:
                t.addfile(info)
    return buf.getvalue()


def ti(name, kind=tarfile.REGTYPE, mode=0o644, link=""):
    i = tarfile.TarInfo(name)
    i.type = kind
    i.mode = mode
    i.linkname = link
    return i


def gz(data):
    return gzip.compress(data, mtime=0)


def zst(data):
    return subprocess.run(["zstd", "-q", "-c", "-19"], input=data, stdout=subprocess.PIPE, check=True).stdout


def tar_seeds():
    plain = tar_bytes([(ti("data", tarfile.DIRTYPE, 0o755), None), (ti("data/a.txt"), b"hello\n"),
                       (ti("data/sub", tarfile.DIRTYPE, 0o700), None), (ti("data/sub/b.bin", mode=0o600), bytes(range(256)) * 4),
                       (ti("data/link", tarfile.SYMTYPE, link="a.txt"), None),
                       (ti("data/hard", tarfile.LNKTYPE, link="data/a.txt"), None),
                       (ti("./dotted/./c"), b"c")])
    put("tar_extractor", "small.tar", plain)
    put("tar_extractor", "small.tar.gz", gz(plain))
    put("tar_extractor", "small.tar.zst", zst(plain))
    put("tar_extractor", "ustar.tar", tar_bytes([(ti("u/f"), b"x" * 1000), (ti("u/empty"), b"")], tarfile.USTAR_FORMAT))
    put("tar_extractor", "gnu-longname.tar", tar_bytes([(ti("g/" + "n" * 300), b"long"),
                                                       (ti("g/l", tarfile.SYMTYPE, link="n" * 300), None)], tarfile.GNU_FORMAT))
    put("tar_extractor", "setuid.tar", tar_bytes([(ti("s", mode=0o6755), b"#!/bin/sh\n"), (ti("d", tarfile.DIRTYPE, 0), None),
                                                 (ti("d/f"), b"in an unreadable directory")]))
    hostile = [
        ("dotdot.tar", [(ti("../escape"), b"x")]),
        ("absolute.tar", [(ti("/tmp/awsdl-fuzz-absolute"), b"x")]),
        ("symlink-out.tar", [(ti("l", tarfile.SYMTYPE, link="../../etc"), None)]),
        ("through-symlink.tar", [(ti("l", tarfile.SYMTYPE, link="."), None), (ti("l/f"), b"x")]),
        ("symlink-chain.tar", [(ti("a/b", tarfile.SYMTYPE, link=".."), None), (ti("c", tarfile.SYMTYPE, link="a/b/.."), None)]),
        ("hardlink-out.tar", [(ti("h", tarfile.LNKTYPE, link="/etc/passwd"), None)]),
        ("hardlink-to-dir.tar", [(ti("d", tarfile.DIRTYPE, 0o755), None), (ti("h", tarfile.LNKTYPE, link="d"), None)]),
        ("device.tar", [(ti("dev", tarfile.CHRTYPE), None)]),
        ("fifo.tar", [(ti("fifo", tarfile.FIFOTYPE), None)]),
        ("file-then-dir.tar", [(ti("x"), b"file"), (ti("x/y"), b"under a file")]),
        ("dir-then-file.tar", [(ti("x", tarfile.DIRTYPE, 0o755), None), (ti("x/y"), b"y"), (ti("x"), b"replaces a dir")]),
    ]
    for name, entries in hostile:
        put("tar_extractor", name, tar_bytes(entries))
    # Sparse: GNU tar's own format.
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "sparse")
        with open(p, "wb") as f:
            f.seek(1 << 20)
            f.write(b"end")
            f.seek(4096)
            f.write(b"middle")
        for fmt in ("gnu", "posix"):
            # No atime / ctime (pax records), no process id in the pax header names: the same bytes each time.
            pax = ["--pax-option=delete=atime,delete=ctime,exthdr.name=%d/PaxHeaders/%f"] if fmt == "posix" else []
            out = subprocess.run(["tar", "-C", d, "--format=" + fmt, "--sparse", "-b", "1", "--mtime=@0", "--owner=0",
                                  "--group=0", "--numeric-owner"] + pax + ["-cf", "-", "sparse"],
                                 stdout=subprocess.PIPE, check=True).stdout
            put("tar_extractor", f"sparse-{fmt}.tar", out)
    # Bombs: a deep tree from one long name, many directory entries, data beyond the bounds.
    put("tar_extractor", "deep-name.tar.gz", gz(tar_bytes([(ti("d/" * 40000 + "f"), b"bottom")])))
    put("tar_extractor", "deep-dirs.tar.gz", gz(tar_bytes([(ti("d/" * i, tarfile.DIRTYPE, 0o755), None)
                                                           for i in range(1, 1500)])))
    put("tar_extractor", "gzip-bomb.tar.gz", gz(tar_bytes([(ti("zeros"), bytes(80 << 20))])))
    put("tar_extractor", "many-files.tar.gz", gz(tar_bytes([(ti(f"f{i}"), b"") for i in range(12000)])))
    # Truncated: inside a header, inside data, at an entry boundary (no end marker), gzip cut.
    put("tar_extractor", "truncated-header.tar", plain[:700])
    put("tar_extractor", "truncated-data.tar", plain[:1024 + 300])
    put("tar_extractor", "no-end-marker.tar", plain[: len(plain) - 1024])
    put("tar_extractor", "truncated.tar.gz", gz(plain)[:200])
    put("tar_extractor", "empty", b"")
    put("tar_extractor", "not-a-tar", b"PK\x03\x04 this is a zip file, not a tar")


def main():
    xml_seeds()
    json_seeds()
    ini_seeds()
    profile_seeds()
    manifest_seeds()
    host_seeds()
    error_parser_seeds()
    sigv4_seeds()
    tar_seeds()
    for target in sorted(os.listdir(OUT)):
        files = os.listdir(os.path.join(OUT, target))
        size = sum(os.path.getsize(os.path.join(OUT, target, f)) for f in files)
        print(f"{target}: {len(files)} seeds, {size} bytes")


if __name__ == "__main__":
    main()
