"""The CloudFormation resource specification (npm @aws-cdk/cfnspec) and the template checks
the sandbox's CloudFormation makes with it.

The checks are a port of tests/support/validate_cfn_template.js (which the C++ tests run on
every generated template), so both reach the same verdicts. Each problem is classed the way
CloudFormation reports it:
  - 'template': the template's structure (unknown resource types, Ref/GetAtt/Sub targets,
    DependsOn, cycles, parameters, outputs) -> CreateStack/UpdateStack/ValidateTemplate fail
    with ValidationError "Template format error: ...";
  - 'property': a resource's properties (unknown names, missing required ones, wrong
    primitive types) -> that resource fails when CloudFormation gets to it (CREATE_FAILED
    "Property validation failure: ...") and the stack rolls back.

The specification JSON (~10 MB) is loaded once, on first use, under a lock. Its location:
$AWSDL_CFNSPEC_JSON, else <repo>/.deps/npm/node_modules/@aws-cdk/cfnspec/spec/specification.json
(installed by scripts/install-deps). Without it, resource types, properties and attributes
are not checked (logged once) and every other check still runs."""

import json
import math
import os
import re
import sys
import threading

_lock = threading.Lock()
_spec = None
_loaded = False

PSEUDO = {'AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region',
          'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix'}
TOP_LEVEL = {'AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Mappings', 'Conditions',
             'Transform', 'Rules', 'Resources', 'Outputs'}
RESOURCE_KEYS = {'Type', 'Properties', 'DependsOn', 'Condition', 'Metadata', 'DeletionPolicy',
                 'UpdateReplacePolicy', 'CreationPolicy', 'UpdatePolicy'}
DELETION_POLICIES = {'Delete', 'Retain', 'Snapshot', 'RetainExceptOnCreate'}
PARAMETER_KEYS = {'Type', 'Default', 'Description', 'AllowedPattern', 'AllowedValues', 'ConstraintDescription',
                  'MaxLength', 'MinLength', 'MaxValue', 'MinValue', 'NoEcho'}
AWS_PARAMETER_TYPES = {'AWS::EC2::AvailabilityZone::Name', 'AWS::EC2::Image::Id', 'AWS::EC2::Instance::Id',
                       'AWS::EC2::KeyPair::KeyName', 'AWS::EC2::SecurityGroup::GroupName',
                       'AWS::EC2::SecurityGroup::Id', 'AWS::EC2::Subnet::Id', 'AWS::EC2::Volume::Id',
                       'AWS::EC2::VPC::Id', 'AWS::Route53::HostedZone::Id', 'AWS::SSM::Parameter::Name'}
PLAIN_PARAMETER_TYPES = {'String', 'Number', 'List<Number>', 'CommaDelimitedList'}

LIST, SCALAR, ANY = 'list', 'scalar', 'any'


def spec_path():
    env = os.environ.get('AWSDL_CFNSPEC_JSON')
    if env:
        return env
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
    return os.path.join(repo, '.deps', 'npm', 'node_modules', '@aws-cdk', 'cfnspec', 'spec', 'specification.json')


def specification():
    """The specification as @aws-cdk/cfnspec's specification() gives it (complex attributes
    removed), or None when the package is not installed."""
    global _spec, _loaded
    with _lock:
        if not _loaded:
            _loaded = True
            try:
                with open(spec_path(), encoding='utf-8') as f:
                    spec = json.load(f)
            except (OSError, ValueError) as e:
                sys.stderr.write('sandbox cloudformation: no resource specification (%s): %s; resource types, '
                                 'properties and attributes are not checked\n' % (spec_path(), e))
                spec = None
            if spec is not None:
                for res in spec.get('ResourceTypes', {}).values():
                    res['Attributes'] = {k: a for k, a in (res.get('Attributes') or {}).items()
                                         if a.get('PrimitiveType') or a.get('Type') in ('List', 'Map')}
            _spec = spec
        return _spec


def resource_spec(rtype):
    spec = specification()
    return spec['ResourceTypes'].get(rtype) if spec else None


def parameter_type_known(t):
    if not isinstance(t, str):
        return False
    if t in PLAIN_PARAMETER_TYPES or t in AWS_PARAMETER_TYPES:
        return True
    m = re.match(r'^List<(.+)>$', t)
    if m:
        return m.group(1) in AWS_PARAMETER_TYPES
    m = re.match(r'^AWS::SSM::Parameter::Value<(.+)>$', t)
    if m:
        return parameter_type_known(m.group(1))
    return False


class Problem:
    def __init__(self, kind, path, message, resource=None):
        self.kind = kind            # 'template' or 'property'
        self.path = path
        self.message = message
        self.resource = resource    # logical id for property problems

    def __repr__(self):
        return '%s: %s: %s' % (self.kind, self.path, self.message)


def _is_obj(v):
    return isinstance(v, dict)


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _js(v):
    return json.dumps(v, separators=(',', ':'), ensure_ascii=False)


def _describe(v):
    if isinstance(v, list):
        return 'a list'
    if v is None:
        return 'null'
    if isinstance(v, dict):
        return 'an object'
    kind = 'boolean' if isinstance(v, bool) else 'number' if _is_number(v) else 'string'
    return '%s %s' % (kind, _js(v)[:60])


def _number_text(v):
    """JavaScript's Number(text) is not NaN."""
    s = v.strip()
    if s == '':
        return False
    try:
        return not math.isnan(float(s)) and s.lower() not in ('inf', '-inf', '+inf', 'infinity', '-infinity')
    except ValueError:
        return s in ('Infinity', '-Infinity', '+Infinity')


def _primitive_matches(ptype, v):
    if ptype == 'String':
        return isinstance(v, str)
    if ptype in ('Integer', 'Long'):
        if _is_number(v):
            return float(v).is_integer()
        return isinstance(v, str) and re.fullmatch(r'-?\d+', v) is not None
    if ptype == 'Double':
        return _is_number(v) or (isinstance(v, str) and _number_text(v))
    if ptype == 'Boolean':
        return isinstance(v, bool) or v in ('true', 'false')
    if ptype == 'Timestamp':
        return isinstance(v, str)
    if ptype == 'Json':
        return isinstance(v, (dict, list, str))
    return False


def check_template(tpl):
    """All problems of a parsed template (a list of Problem, empty when it is fine)."""
    return _Checker(tpl).run()


class _Checker:
    def __init__(self, tpl):
        self.tpl = tpl
        self.spec = specification()
        self.problems = []
        self.current = None
        self.deps = {}

    def template(self, path, msg):
        self.problems.append(Problem('template', path, msg))

    def prop(self, path, msg):
        self.problems.append(Problem('property', path, msg, self.current))

    def run(self):
        tpl = self.tpl
        if not _is_obj(tpl):
            self.template('(template)', 'is not a JSON object')
            return self.problems
        for k in tpl:
            if k not in TOP_LEVEL:
                self.template(k, 'unknown top-level section')
        self.resources = tpl['Resources'] if _is_obj(tpl.get('Resources')) else {}
        if not _is_obj(tpl.get('Resources')) or not self.resources:
            self.template('Resources', 'missing or empty')
        self.parameters = tpl['Parameters'] if _is_obj(tpl.get('Parameters')) else {}
        self.mappings = tpl['Mappings'] if _is_obj(tpl.get('Mappings')) else {}
        self.conditions = tpl['Conditions'] if _is_obj(tpl.get('Conditions')) else {}
        self.check_parameters()
        self.check_resources()
        self.check_outputs()
        self.check_cycles()
        return self.problems

    # ---- references
    def list_parameter(self, name):
        p = self.parameters.get(name) if isinstance(name, str) else None
        t = p.get('Type') if _is_obj(p) else None
        return isinstance(t, str) and (t.startswith('List<') or t == 'CommaDelimitedList' or re.match(
            r'^AWS::SSM::Parameter::Value<List<|^AWS::SSM::Parameter::Value<CommaDelimitedList>', t) is not None)

    def note_dep(self, target):
        if self.current and target in self.resources:
            self.deps.setdefault(self.current, set()).add(target)

    def check_ref_name(self, path, name, sub_vars):
        if not isinstance(name, str):
            return self.template(path, 'Ref needs a logical id string')
        if sub_vars and name in sub_vars:
            return
        if name in PSEUDO or name in self.parameters:
            return
        if name in self.resources:
            if self.current == name:
                self.template(path, '%s refers to itself' % name)
            return self.note_dep(name)
        self.template(path, "Ref to '%s', which is not a resource, parameter or pseudo parameter" % name)

    def check_get_att(self, path, target, attr):
        if not isinstance(target, str) or not (isinstance(attr, str) or _is_obj(attr)):
            return self.template(path, 'Fn::GetAtt needs [logicalId, attribute]')
        res = self.resources.get(target)
        if not res:
            return self.template(path, "Fn::GetAtt on '%s', which is not a resource" % target)
        if self.current == target:
            self.template(path, '%s refers to itself' % target)
        self.note_dep(target)
        if _is_obj(attr):
            return self.walk(path + '[1]', attr)
        rtype = res.get('Type') if _is_obj(res) else None
        if isinstance(rtype, str) and rtype.startswith('Custom::'):
            return
        if rtype in ('AWS::CloudFormation::CustomResource', 'AWS::CloudFormation::Stack'):
            return
        rs = self.spec['ResourceTypes'].get(rtype) if self.spec and isinstance(rtype, str) else None
        if not rs:
            return
        attrs = rs.get('Attributes') or {}
        if attr not in attrs:
            self.template(path, "%s has no attribute '%s' (it has: %s)" % (rtype, attr, ', '.join(attrs) or 'none'))

    def check_sub(self, path, text, variables):
        if not isinstance(text, str):
            return self.template(path, 'Fn::Sub needs a string')
        for m in re.finditer(r'\$\{([^}]*)\}', text):
            name = m.group(1).strip()
            if name.startswith('!'):
                continue
            if name == '':
                self.template(path, 'Fn::Sub has an empty ${}')
                continue
            if variables and name in variables:
                continue
            dot = name.find('.')
            if dot > 0 and not name.startswith('AWS::'):
                self.check_get_att('%s ${%s}' % (path, name), name[:dot], name[dot + 1:])
            elif name not in PSEUDO and name not in self.parameters and name not in self.resources:
                self.template(path, 'Fn::Sub references ${%s}, which is not a resource, parameter, pseudo parameter '
                                    'or variable' % name)
            else:
                self.check_ref_name('%s ${%s}' % (path, name), name, None)
        if len(text.split('${')) - 1 != len(re.findall(r'\$\{[^}]*\}', text)):
            self.template(path, 'Fn::Sub has an unterminated ${')

    def intrinsic(self, path, v):
        """Checks an intrinsic function; returns LIST/SCALAR/ANY, or None when v is none."""
        if not _is_obj(v) or len(v) != 1:
            return None
        fn, arg = next(iter(v.items()))
        p = '%s.%s' % (path, fn)
        if fn == 'Ref':
            self.check_ref_name(p, arg, None)
            return LIST if self.list_parameter(arg) or arg == 'AWS::NotificationARNs' else SCALAR
        if fn == 'Fn::GetAtt':
            target = attr = None
            if isinstance(arg, str):
                dot = arg.find('.')
                target, attr = (arg[:dot], arg[dot + 1:]) if dot > 0 else (arg, None)
            elif isinstance(arg, list) and len(arg) == 2:
                target, attr = arg
            self.check_get_att(p, target, attr)
            res = self.resources.get(target) if isinstance(target, str) else None
            rs = self.spec['ResourceTypes'].get(res.get('Type')) if self.spec and _is_obj(res) and isinstance(
                res.get('Type'), str) else None
            a = (rs.get('Attributes') or {}).get(attr) if rs and isinstance(attr, str) else None
            return LIST if a and a.get('Type') == 'List' else (SCALAR if a else ANY)
        if fn == 'Fn::Sub':
            if isinstance(arg, str):
                self.check_sub(p, arg, None)
            elif isinstance(arg, list) and len(arg) == 2 and _is_obj(arg[1]):
                for k, val in arg[1].items():
                    self.walk('%s[1].%s' % (p, k), val)
                self.check_sub(p, arg[0], arg[1])
            else:
                self.template(p, 'Fn::Sub needs a string or [string, {variables}]')
            return SCALAR
        if fn == 'Fn::Join':
            if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[0], str):
                self.template(p, 'Fn::Join needs [delimiter, [values]]')
            elif isinstance(arg[1], list):
                for i, x in enumerate(arg[1]):
                    self.walk('%s[1][%d]' % (p, i), x)
            elif self.intrinsic(p + '[1]', arg[1]) == SCALAR:
                self.template(p, 'Fn::Join needs a list of values')
            return SCALAR
        if fn == 'Fn::Select':
            if not isinstance(arg, list) or len(arg) != 2:
                self.template(p, 'Fn::Select needs [index, list]')
            else:
                self.walk(p + '[0]', arg[0])
                if isinstance(arg[1], list):
                    for i, x in enumerate(arg[1]):
                        self.walk('%s[1][%d]' % (p, i), x)
                elif self.intrinsic(p + '[1]', arg[1]) == SCALAR:
                    self.template(p, 'Fn::Select needs a list')
                elif not _is_obj(arg[1]):
                    self.template(p, 'Fn::Select needs a list')
            return ANY
        if fn == 'Fn::GetAZs':
            if not isinstance(arg, str):
                self.walk(p, arg)
            return LIST
        if fn == 'Fn::Base64':
            self.walk(p, arg)
            return SCALAR
        if fn == 'Fn::Split':
            if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[0], str):
                self.template(p, 'Fn::Split needs [delimiter, string]')
            else:
                self.walk(p + '[1]', arg[1])
            return LIST
        if fn == 'Fn::FindInMap':
            if not isinstance(arg, list) or len(arg) != 3:
                self.template(p, 'Fn::FindInMap needs [map, key, key]')
            elif isinstance(arg[0], str) and arg[0] not in self.mappings:
                self.template(p, "no mapping '%s'" % arg[0])
            else:
                for i, x in enumerate(arg):
                    self.walk('%s[%d]' % (p, i), x)
            return ANY
        if fn == 'Fn::If':
            if not isinstance(arg, list) or len(arg) != 3:
                self.template(p, 'Fn::If needs [condition, then, else]')
            else:
                if not isinstance(arg[0], str) or arg[0] not in self.conditions:
                    self.template(p, "no condition '%s'" % (arg[0],))
                self.walk(p + '[1]', arg[1])
                self.walk(p + '[2]', arg[2])
            return ANY
        if fn in ('Fn::ImportValue', 'Fn::Length', 'Fn::ToJsonString'):
            self.walk(p, arg)
            return SCALAR if fn != 'Fn::ImportValue' else ANY
        if fn == 'Fn::Cidr':
            if isinstance(arg, list):
                for i, x in enumerate(arg):
                    self.walk('%s[%d]' % (p, i), x)
            return LIST
        if fn.startswith('Fn::'):
            self.template(p, 'unknown intrinsic function %s' % fn)
            return ANY
        return None

    def walk(self, path, v):
        if isinstance(v, list):
            for i, x in enumerate(v):
                self.walk('%s[%d]' % (path, i), x)
            return
        if not _is_obj(v):
            return
        if self.intrinsic(path, v) is not None:
            return
        for k, x in v.items():
            self.walk('%s.%s' % (path, k), x)

    # ---- properties
    def property_type_spec(self, rtype, name):
        pts = self.spec['PropertyTypes']
        return pts.get('%s.%s' % (rtype, name)) or pts.get(name)

    def check_item(self, path, rtype, primitive, type_name, v):
        if primitive:
            return self.check_primitive(path, primitive, v)
        return self.check_struct(path, rtype, type_name, v)

    def check_primitive(self, path, primitive, v):
        r = self.intrinsic(path, v)
        if r is not None:
            if r == LIST and primitive != 'Json':
                self.prop(path, 'expected %s, got an intrinsic that yields a list' % primitive)
            return
        if primitive == 'Json':
            return self.walk(path, v)
        if not _primitive_matches(primitive, v):
            self.prop(path, 'expected %s, got %s' % (primitive, _describe(v)))

    def check_struct(self, path, rtype, type_name, v):
        if self.intrinsic(path, v) is not None:
            return
        ts = self.property_type_spec(rtype, type_name)
        if not ts:
            return self.prop(path, 'the specification has no property type %s.%s' % (rtype, type_name))
        if ts.get('PrimitiveType'):
            return self.check_primitive(path, ts['PrimitiveType'], v)
        if not _is_obj(v):
            return self.prop(path, 'expected a %s object, got %s' % (type_name, _describe(v)))
        self.check_properties(path, rtype, ts.get('Properties') or {}, v, type_name)

    def check_property(self, path, rtype, ps, v):
        if ps.get('PrimitiveType'):
            return self.check_primitive(path, ps['PrimitiveType'], v)
        if ps.get('Type') == 'List':
            r = self.intrinsic(path, v)
            if r is not None:
                if r == SCALAR:
                    self.prop(path, 'expected a list, got an intrinsic that yields a single value')
                return
            if not isinstance(v, list):
                return self.prop(path, 'expected a list, got %s' % _describe(v))
            for i, x in enumerate(v):
                self.check_item('%s[%d]' % (path, i), rtype, ps.get('PrimitiveItemType'), ps.get('ItemType'), x)
            return
        if ps.get('Type') == 'Map':
            if self.intrinsic(path, v) is not None:
                return
            if not _is_obj(v):
                return self.prop(path, 'expected a map, got %s' % _describe(v))
            for k, x in v.items():
                self.check_item('%s.%s' % (path, k), rtype, ps.get('PrimitiveItemType'), ps.get('ItemType'), x)
            return
        if ps.get('Type'):
            return self.check_struct(path, rtype, ps['Type'], v)
        self.prop(path, 'the specification gives this property no type')

    def check_properties(self, path, rtype, prop_specs, props, what):
        for name, v in props.items():
            ps = prop_specs.get(name)
            if not ps:
                self.prop('%s.%s' % (path, name), "%s has no property '%s'" % (what, name))
                continue
            self.check_property('%s.%s' % (path, name), rtype, ps, v)
        for name, ps in prop_specs.items():
            if ps.get('Required') and name not in props:
                self.prop(path, "%s requires property '%s'" % (what, name))

    # ---- sections
    def check_parameters(self):
        for name, p in self.parameters.items():
            path = 'Parameters.%s' % name
            if name in self.resources:
                self.template(path, 'has the same name as a resource')
            if not _is_obj(p):
                self.template(path, 'must be an object')
                continue
            for k in p:
                if k not in PARAMETER_KEYS:
                    self.template('%s.%s' % (path, k), 'unknown parameter attribute')
            if not parameter_type_known(p.get('Type')):
                self.template(path + '.Type', 'unknown parameter type %s' % _js(p.get('Type')))
            if 'Default' in p:
                problem = check_parameter_value(p, p['Default'], default=True)
                if problem:
                    self.template(path + '.Default', problem)

    def check_resources(self):
        for rid, r in self.resources.items():
            path = 'Resources.%s' % rid
            if not re.fullmatch(r'[A-Za-z0-9]+', rid):
                self.template(path, 'logical ids must be alphanumeric')
            if not _is_obj(r):
                self.template(path, 'must be an object')
                continue
            self.current = rid
            for k in r:
                if k not in RESOURCE_KEYS:
                    self.template('%s.%s' % (path, k), 'unknown resource attribute')
            for k in ('DeletionPolicy', 'UpdateReplacePolicy'):
                if k in r and r[k] not in DELETION_POLICIES:
                    self.template('%s.%s' % (path, k), 'unknown policy %s' % _js(r[k]))
            if 'DependsOn' in r:
                for d in r['DependsOn'] if isinstance(r['DependsOn'], list) else [r['DependsOn']]:
                    if not isinstance(d, str) or d not in self.resources:
                        self.template(path + '.DependsOn', "'%s' is not a resource" % (d,))
                    elif d == rid:
                        self.template(path + '.DependsOn', 'a resource cannot depend on itself')
                    else:
                        self.note_dep(d)
            if 'Condition' in r and (not isinstance(r['Condition'], str) or r['Condition'] not in self.conditions):
                self.template(path + '.Condition', "no condition '%s'" % (r['Condition'],))
            if 'CreationPolicy' in r:
                self.walk(path + '.CreationPolicy', r['CreationPolicy'])
            rtype = r.get('Type')
            if not isinstance(rtype, str):
                self.template(path + '.Type', 'missing')
                continue
            if rtype.startswith('Custom::') or rtype == 'AWS::CloudFormation::CustomResource':
                self.walk(path + '.Properties', r.get('Properties') or {})
                continue
            if self.spec is None:
                self.walk(path + '.Properties', r.get('Properties') or {})
                continue
            rs = self.spec['ResourceTypes'].get(rtype)
            if not rs:
                self.template(path + '.Type', 'unknown resource type %s' % rtype)
                continue
            if 'Properties' in r and not _is_obj(r['Properties']):
                self.template(path + '.Properties', 'must be an object')
                continue
            self.check_properties(path + '.Properties', rtype, rs.get('Properties') or {}, r.get('Properties') or {},
                                  rtype)
        self.current = None

    def check_outputs(self):
        outputs = self.tpl['Outputs'] if _is_obj(self.tpl.get('Outputs')) else {}
        for name, o in outputs.items():
            path = 'Outputs.%s' % name
            if not _is_obj(o) or 'Value' not in o:
                self.template(path, 'needs a Value')
                continue
            for k in o:
                if k not in ('Value', 'Description', 'Export', 'Condition'):
                    self.template('%s.%s' % (path, k), 'unknown output attribute')
            r = self.intrinsic(path + '.Value', o['Value'])
            if r is None and not isinstance(o['Value'], str):
                self.template(path + '.Value', 'must be a string or an intrinsic, got %s' % _describe(o['Value']))
            if r == LIST:
                self.template(path + '.Value', 'an output value must be a single string (join lists)')
            if 'Export' in o:
                self.walk(path + '.Export', o['Export'])

    def check_cycles(self):
        state = {}
        stack = []

        # Iterative depth-first search: templates are small, but recursion depth must not
        # depend on what a client sends.
        for start in self.resources:
            if state.get(start) == 2:
                continue
            work = [(start, iter(sorted(self.deps.get(start, ()), key=list(self.resources).index)))]
            state[start] = 1
            stack.append(start)
            while work:
                node, it = work[-1]
                nxt = next(it, None)
                if nxt is None:
                    work.pop()
                    stack.pop()
                    state[node] = 2
                    continue
                if state.get(nxt) == 2:
                    continue
                if state.get(nxt) == 1:
                    cycle = stack[stack.index(nxt):] + [nxt]
                    self.template('Resources', 'circular dependency: %s' % ' -> '.join(cycle))
                    continue
                state[nxt] = 1
                stack.append(nxt)
                work.append((nxt, iter(sorted(self.deps.get(nxt, ()), key=list(self.resources).index))))


def check_parameter_value(p, value, default=False):
    """The problem with a parameter's value (its Default, or a value given at create), or None."""
    if default and not isinstance(value, str) and not _is_number(value):
        return 'must be a string or number'
    ds = value if isinstance(value, str) else (str(int(value)) if _is_number(value) and float(value).is_integer()
                                                else str(value))
    ptype = p.get('Type')
    if ptype == 'Number':
        if not _number_text(ds):
            return '%s is not a number' % ds
        if 'MinValue' in p and float(ds) < float(p['MinValue']):
            return '%s is below MinValue %s' % (ds, p['MinValue'])
        if 'MaxValue' in p and float(ds) > float(p['MaxValue']):
            return '%s is above MaxValue %s' % (ds, p['MaxValue'])
    if ptype == 'List<Number>':
        for item in ds.split(','):
            if not _number_text(item):
                return '%s is not a list of numbers' % ds
    if 'AllowedPattern' in p:
        try:
            pattern = re.compile('(?:%s)' % p['AllowedPattern'])
        except (re.error, TypeError) as e:
            return 'AllowedPattern: %s' % e
        if not pattern.fullmatch(ds):
            return '%s does not match AllowedPattern' % _js(ds)
    if isinstance(p.get('AllowedValues'), list) and ds not in [str(x) for x in p['AllowedValues']]:
        return '%s is not one of AllowedValues' % _js(ds)
    if not default:
        if 'MinLength' in p and len(ds) < int(p['MinLength']):
            return 'length of %s is below MinLength %s' % (_js(ds), p['MinLength'])
        if 'MaxLength' in p and len(ds) > int(p['MaxLength']):
            return 'length of %s is above MaxLength %s' % (_js(ds), p['MaxLength'])
    return None


def spec_attributes(rtype):
    """Attribute name -> spec entry of a resource type ({} when unknown)."""
    rs = resource_spec(rtype)
    return dict(rs.get('Attributes') or {}) if rs else {}
