"""Wire protocols, one module each, all driven by botocore's service models. A service
module never touches the wire: it receives a params dict and returns a result dict."""

from protocols.awsjson import JsonProtocol
from protocols.ec2 import Ec2Protocol
from protocols.query import QueryProtocol
from protocols.rest_json import RestJsonProtocol
from protocols.rest_xml import RestXmlProtocol

_PROTOCOLS = {p.name: p() for p in (QueryProtocol, Ec2Protocol, JsonProtocol, RestXmlProtocol, RestJsonProtocol)}


def get(name):
    return _PROTOCOLS[name]


def guess(req):
    """The protocol an unrouted request most likely speaks, to answer it in a format its
    client can read."""
    if req.header('x-amz-target'):
        return _PROTOCOLS['json']
    ctype = (req.header('content-type') or '').lower()
    if 'x-www-form-urlencoded' in ctype or 'Action=' in req.query:
        return _PROTOCOLS['query']
    return _PROTOCOLS['rest-xml']
