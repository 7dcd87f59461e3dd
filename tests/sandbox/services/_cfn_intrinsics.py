"""CloudFormation intrinsic functions, conditions and resource references.

`Resolver(scope).resolve(value)` evaluates Ref, Fn::GetAtt, Fn::Sub (both forms), Fn::Join,
Fn::Select, Fn::GetAZs, Fn::If (with the template's Conditions: Fn::Equals/Not/And/Or and
{"Condition": name}), Fn::Base64, Fn::Split, Fn::FindInMap, Fn::Cidr, Fn::Length and
Fn::ToJsonString. Ref AWS::NoValue removes the property or list item it stands for.
A reference the scope cannot satisfy (an unknown name, a resource without that attribute,
Fn::ImportValue) raises ResolveError with CloudFormation's wording.

`references(value)` lists the logical ids a value refers to (Ref, GetAtt, Sub), which with
DependsOn gives the creation order."""

import base64
import ipaddress
import json
import re

NO_VALUE = object()


class ResolveError(Exception):
    pass


class Scope:
    """What intrinsics can see. `ref(name)` / `attr(name, attribute)` of resources are given
    by the stack engine; parameters are already resolved (SSM types hold the value)."""

    def __init__(self, tpl, params, pseudo, ref, attr, zones):
        self.tpl = tpl
        self.params = params          # name -> str or list (list-typed parameters)
        self.pseudo = pseudo          # AWS::Region etc. -> value
        self.ref = ref                # logical id -> physical id (raises ResolveError when unknown)
        self.attr = attr              # (logical id, attribute) -> value
        self.zones = zones            # region -> [zone names]
        self._conditions = {}


def _sub_names(text):
    return [m.group(1).strip() for m in re.finditer(r'\$\{([^}]*)\}', text)]


def references(value, out=None):
    """Logical ids (or parameter names) a value refers to, in order of appearance."""
    out = [] if out is None else out
    if isinstance(value, list):
        for v in value:
            references(v, out)
    elif isinstance(value, dict):
        if len(value) == 1:
            fn, arg = next(iter(value.items()))
            if fn == 'Ref' and isinstance(arg, str):
                out.append(arg)
                return out
            if fn == 'Fn::GetAtt':
                if isinstance(arg, str):
                    out.append(arg.split('.', 1)[0])
                elif isinstance(arg, list) and arg and isinstance(arg[0], str):
                    out.append(arg[0])
                    references(arg[1:], out)
                return out
            if fn == 'Fn::Sub':
                text, variables = (arg, {}) if isinstance(arg, str) else (
                    (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else ('', {}))
                if isinstance(variables, dict):
                    references(list(variables.values()), out)
                for name in _sub_names(text if isinstance(text, str) else ''):
                    if name and not name.startswith('!') and name not in (variables or {}):
                        out.append(name.split('.', 1)[0] if not name.startswith('AWS::') else name)
                return out
        for v in value.values():
            references(v, out)
    return out


def _text(v, where):
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, (int, float)):
        return str(int(v)) if float(v).is_integer() else str(v)
    if isinstance(v, str):
        return v
    raise ResolveError('Template error: every value in %s must resolve to a string' % where)


class Resolver:
    def __init__(self, scope):
        self.s = scope

    # ---- conditions
    def condition(self, name, depth=0):
        if name in self.s._conditions:
            return self.s._conditions[name]
        conds = self.s.tpl.get('Conditions') or {}
        if name not in conds:
            raise ResolveError('Template error: unresolved condition dependency %s in Fn::If' % name)
        if depth > 50:
            raise ResolveError('Template error: circular condition dependency %s' % name)
        value = self._cond_value(conds[name], depth + 1)
        self.s._conditions[name] = value
        return value

    def _cond_value(self, v, depth):
        if isinstance(v, dict) and len(v) == 1:
            fn, arg = next(iter(v.items()))
            if fn == 'Condition':
                return self.condition(arg, depth)
            if fn == 'Fn::Equals':
                if not isinstance(arg, list) or len(arg) != 2:
                    raise ResolveError('Template error: Fn::Equals requires a list of two values')
                a, b = (self.resolve(x) for x in arg)
                return _text(a, 'Fn::Equals') == _text(b, 'Fn::Equals')
            if fn == 'Fn::Not':
                if not isinstance(arg, list) or len(arg) != 1:
                    raise ResolveError('Template error: Fn::Not requires a list of one condition')
                return not self._cond_value(arg[0], depth)
            if fn in ('Fn::And', 'Fn::Or'):
                if not isinstance(arg, list) or not 2 <= len(arg) <= 10:
                    raise ResolveError('Template error: %s requires a list of 2 to 10 conditions' % fn)
                vals = [self._cond_value(x, depth) for x in arg]
                return all(vals) if fn == 'Fn::And' else any(vals)
        if isinstance(v, bool):
            return v
        if v in ('true', 'false'):
            return v == 'true'
        raise ResolveError('Template error: a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition')

    # ---- values
    def resolve(self, v):
        if isinstance(v, list):
            out = []
            for x in v:
                r = self.resolve(x)
                if r is not NO_VALUE:
                    out.append(r)
            return out
        if not isinstance(v, dict):
            return v
        if len(v) == 1:
            fn, arg = next(iter(v.items()))
            handler = _FUNCTIONS.get(fn)
            if handler is not None:
                return handler(self, arg)
            if fn.startswith('Fn::'):
                raise ResolveError('Template format error: Unrecognized intrinsic function %s' % fn)
        out = {}
        for k, x in v.items():
            r = self.resolve(x)
            if r is not NO_VALUE:
                out[k] = r
        return out

    def ref(self, name):
        if not isinstance(name, str):
            raise ResolveError('Template format error: Ref requires a string')
        if name == 'AWS::NoValue':
            return NO_VALUE
        if name in self.s.pseudo:
            return self.s.pseudo[name]
        if name in self.s.params:
            return self.s.params[name]
        return self.s.ref(name)

    def get_att(self, arg):
        if isinstance(arg, str):
            target, _, attr = arg.partition('.')
        elif isinstance(arg, list) and len(arg) == 2:
            target, attr = arg[0], self.resolve(arg[1])
        else:
            raise ResolveError('Template error: every Fn::GetAtt object requires two non-empty parameters')
        return self.s.attr(target, attr)

    def sub(self, arg):
        if isinstance(arg, str):
            text, variables = arg, {}
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
            text, variables = arg[0], {k: self.resolve(x) for k, x in arg[1].items()}
        else:
            raise ResolveError('Template error: Fn::Sub requires a string or [string, {variables}]')

        def one(m):
            name = m.group(1).strip()
            if name.startswith('!'):
                return '${' + name[1:] + '}'
            if name in variables:
                return _text(variables[name], 'Fn::Sub')
            if '.' in name and not name.startswith('AWS::'):
                target, _, attr = name.partition('.')
                return _text(self.s.attr(target, attr), 'Fn::Sub')
            value = self.ref(name)
            if isinstance(value, list):
                raise ResolveError('Template error: variable %s in Fn::Sub expression is a list' % name)
            return _text(value, 'Fn::Sub')
        return re.sub(r'\$\{([^}]*)\}', one, text)

    def join(self, arg):
        if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[0], str):
            raise ResolveError('Template error: Fn::Join requires [delimiter, [values]]')
        values = self.resolve(arg[1])
        if not isinstance(values, list):
            raise ResolveError('Template error: Fn::Join requires a list of values')
        return arg[0].join(_text(x, 'Fn::Join') for x in values)

    def select(self, arg):
        if not isinstance(arg, list) or len(arg) != 2:
            raise ResolveError('Template error: Fn::Select requires [index, list]')
        index, values = self.resolve(arg[0]), self.resolve(arg[1])
        try:
            i = int(index)
        except (TypeError, ValueError):
            raise ResolveError('Template error: Fn::Select index %r is not a number' % (index,))
        if not isinstance(values, list):
            raise ResolveError('Template error: Fn::Select requires a list')
        if not 0 <= i < len(values):
            raise ResolveError('Template error: Fn::Select cannot select nonexistent value at index %d' % i)
        return values[i]

    def get_azs(self, arg):
        region = self.resolve(arg) or self.s.pseudo['AWS::Region']
        return list(self.s.zones(region))

    def if_(self, arg):
        if not isinstance(arg, list) or len(arg) != 3:
            raise ResolveError('Template error: Fn::If requires [condition, value if true, value if false]')
        return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])

    def base64(self, arg):
        return base64.b64encode(_text(self.resolve(arg), 'Fn::Base64').encode('utf-8')).decode('ascii')

    def split(self, arg):
        if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[0], str) or not arg[0]:
            raise ResolveError('Template error: Fn::Split requires [delimiter, string]')
        return _text(self.resolve(arg[1]), 'Fn::Split').split(arg[0])

    def find_in_map(self, arg):
        if not isinstance(arg, list) or len(arg) != 3:
            raise ResolveError('Template error: Fn::FindInMap requires [map, top level key, second level key]')
        name, top, second = (_text(self.resolve(x), 'Fn::FindInMap') for x in arg)
        mapping = (self.s.tpl.get('Mappings') or {}).get(name)
        if not isinstance(mapping, dict):
            raise ResolveError('Template error: Unable to get mapping for %s' % name)
        if top not in mapping or not isinstance(mapping[top], dict) or second not in mapping[top]:
            raise ResolveError('Template error: Unable to get mapping for %s::%s::%s' % (name, top, second))
        return mapping[top][second]

    def cidr(self, arg):
        if not isinstance(arg, list) or len(arg) != 3:
            raise ResolveError('Template error: Fn::Cidr requires [ipBlock, count, cidrBits]')
        block, count, bits = (self.resolve(x) for x in arg)
        try:
            net = ipaddress.ip_network(block, strict=False)
            prefix = net.max_prefixlen - int(bits)
            subnets = []
            for s in net.subnets(new_prefix=prefix):
                if len(subnets) >= int(count):
                    break
                subnets.append(str(s))
        except (ValueError, TypeError) as e:
            raise ResolveError('Template error: Fn::Cidr: %s' % e)
        return subnets

    def length(self, arg):
        values = self.resolve(arg)
        if not isinstance(values, list):
            raise ResolveError('Template error: Fn::Length requires a list')
        return len(values)

    def to_json(self, arg):
        return json.dumps(self.resolve(arg), separators=(',', ':'))

    def import_value(self, arg):
        raise ResolveError('No export named %s found' % (self.resolve(arg),))


_FUNCTIONS = {
    'Ref': Resolver.ref, 'Fn::GetAtt': Resolver.get_att, 'Fn::Sub': Resolver.sub, 'Fn::Join': Resolver.join,
    'Fn::Select': Resolver.select, 'Fn::GetAZs': Resolver.get_azs, 'Fn::If': Resolver.if_,
    'Fn::Base64': Resolver.base64, 'Fn::Split': Resolver.split, 'Fn::FindInMap': Resolver.find_in_map,
    'Fn::Cidr': Resolver.cidr, 'Fn::Length': Resolver.length, 'Fn::ToJsonString': Resolver.to_json,
    'Fn::ImportValue': Resolver.import_value,
}
