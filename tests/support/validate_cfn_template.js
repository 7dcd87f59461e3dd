#!/usr/bin/env node
// Validates CloudFormation templates (JSON) against the CloudFormation resource specification
// shipped in the npm package @aws-cdk/cfnspec:
//   - resource types exist; resource attributes (DependsOn, DeletionPolicy, ...) are known
//   - property names exist, required properties are present
//   - property values match their types: primitives, lists, maps, nested property types
//   - Ref targets are resources, parameters or pseudo parameters; Fn::GetAtt names an
//     attribute the target's type has; Fn::Sub ${...} references resolve
//   - DependsOn targets exist and resources do not depend on each other in a cycle
//   - parameters have known types and defaults that meet their own constraints
//   - outputs have values whose references resolve
// Usage: NODE_PATH=<dir holding @aws-cdk/cfnspec> node validate_cfn_template.js FILE...
// Prints one line per problem ("FILE: path: problem") and exits 1 if there is any,
// else prints "FILE: ok (N resources)" per file and exits 0. Exit 2: usage or unreadable input.
'use strict';

const fs = require('fs');

let spec;
try {
  spec = require('@aws-cdk/cfnspec').specification();
} catch (e) {
  console.error('validate_cfn_template: cannot load @aws-cdk/cfnspec (set NODE_PATH; run scripts/install-deps): ' + e.message);
  process.exit(2);
}

const PSEUDO = new Set(['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition',
  'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix']);
const TOP_LEVEL = new Set(['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Mappings',
  'Conditions', 'Transform', 'Rules', 'Resources', 'Outputs']);
const RESOURCE_KEYS = new Set(['Type', 'Properties', 'DependsOn', 'Condition', 'Metadata', 'DeletionPolicy',
  'UpdateReplacePolicy', 'CreationPolicy', 'UpdatePolicy']);
const DELETION_POLICIES = new Set(['Delete', 'Retain', 'Snapshot', 'RetainExceptOnCreate']);
const PARAMETER_KEYS = new Set(['Type', 'Default', 'Description', 'AllowedPattern', 'AllowedValues',
  'ConstraintDescription', 'MaxLength', 'MinLength', 'MaxValue', 'MinValue', 'NoEcho']);
const AWS_PARAMETER_TYPES = new Set(['AWS::EC2::AvailabilityZone::Name', 'AWS::EC2::Image::Id',
  'AWS::EC2::Instance::Id', 'AWS::EC2::KeyPair::KeyName', 'AWS::EC2::SecurityGroup::GroupName',
  'AWS::EC2::SecurityGroup::Id', 'AWS::EC2::Subnet::Id', 'AWS::EC2::Volume::Id', 'AWS::EC2::VPC::Id',
  'AWS::Route53::HostedZone::Id', 'AWS::SSM::Parameter::Name']);
const PLAIN_PARAMETER_TYPES = new Set(['String', 'Number', 'List<Number>', 'CommaDelimitedList']);

function parameterTypeKnown(t) {
  if (PLAIN_PARAMETER_TYPES.has(t) || AWS_PARAMETER_TYPES.has(t)) return true;
  let m = /^List<(.+)>$/.exec(t);
  if (m) return AWS_PARAMETER_TYPES.has(m[1]);
  m = /^AWS::SSM::Parameter::Value<(.+)>$/.exec(t);
  if (m) return parameterTypeKnown(m[1]);
  return false;
}

// What an intrinsic function returns, as far as type checking can tell.
const LIST = 'list', SCALAR = 'scalar', ANY = 'any';

function validateTemplate(file, tpl) {
  const problems = [];
  const report = (path, msg) => problems.push(`${file}: ${path}: ${msg}`);
  const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

  if (!isObj(tpl)) {
    report('(template)', 'is not a JSON object');
    return problems;
  }
  for (const k of Object.keys(tpl)) if (!TOP_LEVEL.has(k)) report(k, 'unknown top-level section');
  const resources = isObj(tpl.Resources) ? tpl.Resources : {};
  if (!isObj(tpl.Resources) || Object.keys(resources).length === 0) report('Resources', 'missing or empty');
  const parameters = isObj(tpl.Parameters) ? tpl.Parameters : {};
  const mappings = isObj(tpl.Mappings) ? tpl.Mappings : {};
  const conditions = isObj(tpl.Conditions) ? tpl.Conditions : {};

  const listParameter = (name) => {
    const t = parameters[name] && parameters[name].Type;
    return typeof t === 'string' && (t.startsWith('List<') || t === 'CommaDelimitedList' ||
      /^AWS::SSM::Parameter::Value<List<|^AWS::SSM::Parameter::Value<CommaDelimitedList>/.test(t));
  };

  // Resource dependencies found while walking, for the cycle check.
  const deps = {};
  let current = null;  // the resource whose properties are being walked
  const noteDep = (target) => {
    if (current && target in resources) (deps[current] = deps[current] || new Set()).add(target);
  };

  function checkRefName(path, name, subVars) {
    if (typeof name !== 'string') return report(path, 'Ref needs a logical id string');
    if (subVars && name in subVars) return;
    if (PSEUDO.has(name) || name in parameters) return;
    if (name in resources) {
      if (current === name) report(path, `${name} refers to itself`);
      return noteDep(name);
    }
    report(path, `Ref to '${name}', which is not a resource, parameter or pseudo parameter`);
  }

  function checkGetAtt(path, target, attr) {
    if (typeof target !== 'string' || (typeof attr !== 'string' && !isObj(attr)))
      return report(path, 'Fn::GetAtt needs [logicalId, attribute]');
    const res = resources[target];
    if (!res) return report(path, `Fn::GetAtt on '${target}', which is not a resource`);
    if (current === target) report(path, `${target} refers to itself`);
    noteDep(target);
    if (isObj(attr)) return walkIntrinsics(path + '[1]', attr);
    const type = res.Type;
    if (typeof type === 'string' && type.startsWith('Custom::')) return;
    if (type === 'AWS::CloudFormation::CustomResource' || type === 'AWS::CloudFormation::Stack') return;
    const rs = spec.ResourceTypes[type];
    if (!rs) return;  // reported with the resource
    const attrs = rs.Attributes || {};
    if (!(attr in attrs))
      report(path, `${type} has no attribute '${attr}' (it has: ${Object.keys(attrs).join(', ') || 'none'})`);
  }

  function checkSub(path, text, vars) {
    if (typeof text !== 'string') return report(path, 'Fn::Sub needs a string');
    const re = /\$\{([^}]*)\}/g;
    let m;
    while ((m = re.exec(text)) !== null) {
      const name = m[1].trim();
      if (name.startsWith('!')) continue;  // ${!Literal}
      if (name === '') { report(path, 'Fn::Sub has an empty ${}'); continue; }
      if (vars && name in vars) continue;
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) {
        checkGetAtt(`${path} \${${name}}`, name.slice(0, dot), name.slice(dot + 1));
      } else if (!PSEUDO.has(name) && !(name in parameters) && !(name in resources)) {
        report(path, `Fn::Sub references \${${name}}, which is not a resource, parameter, pseudo parameter or variable`);
      } else {
        checkRefName(`${path} \${${name}}`, name, null);
      }
    }
    const open = text.split('${').length - 1, closed = (text.match(/\$\{[^}]*\}/g) || []).length;
    if (open !== closed) report(path, 'Fn::Sub has an unterminated ${');
  }

  // Checks an intrinsic function object and returns what it yields (LIST, SCALAR, ANY), or
  // null when `v` is not an intrinsic.
  function intrinsic(path, v) {
    if (!isObj(v)) return null;
    const keys = Object.keys(v);
    if (keys.length !== 1) return null;
    const fn = keys[0], arg = v[fn];
    const p = `${path}.${fn}`;
    switch (fn) {
      case 'Ref':
        checkRefName(p, arg, null);
        return listParameter(arg) || arg === 'AWS::NotificationARNs' ? LIST : SCALAR;
      case 'Fn::GetAtt': {
        let target, attr;
        if (typeof arg === 'string') {
          const dot = arg.indexOf('.');
          [target, attr] = dot > 0 ? [arg.slice(0, dot), arg.slice(dot + 1)] : [arg, undefined];
        } else if (Array.isArray(arg) && arg.length === 2) {
          [target, attr] = arg;
        }
        checkGetAtt(p, target, attr);
        const rs = resources[target] && spec.ResourceTypes[resources[target].Type];
        const a = rs && rs.Attributes && typeof attr === 'string' && rs.Attributes[attr];
        return a && a.Type === 'List' ? LIST : (a ? SCALAR : ANY);
      }
      case 'Fn::Sub': {
        if (typeof arg === 'string') checkSub(p, arg, null);
        else if (Array.isArray(arg) && arg.length === 2 && isObj(arg[1])) {
          for (const [k, val] of Object.entries(arg[1])) walkIntrinsics(`${p}[1].${k}`, val);
          checkSub(p, arg[0], arg[1]);
        } else report(p, 'Fn::Sub needs a string or [string, {variables}]');
        return SCALAR;
      }
      case 'Fn::Join':
        if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string')
          report(p, 'Fn::Join needs [delimiter, [values]]');
        else if (Array.isArray(arg[1])) arg[1].forEach((x, i) => walkIntrinsics(`${p}[1][${i}]`, x));
        else if (intrinsic(`${p}[1]`, arg[1]) === SCALAR) report(p, 'Fn::Join needs a list of values');
        return SCALAR;
      case 'Fn::Select':
        if (!Array.isArray(arg) || arg.length !== 2) report(p, 'Fn::Select needs [index, list]');
        else {
          walkIntrinsics(`${p}[0]`, arg[0]);
          if (Array.isArray(arg[1])) arg[1].forEach((x, i) => walkIntrinsics(`${p}[1][${i}]`, x));
          else if (intrinsic(`${p}[1]`, arg[1]) === SCALAR) report(p, 'Fn::Select needs a list');
          else if (!isObj(arg[1])) report(p, 'Fn::Select needs a list');
        }
        return ANY;
      case 'Fn::GetAZs':
        if (typeof arg !== 'string') walkIntrinsics(p, arg);
        return LIST;
      case 'Fn::Base64':
        walkIntrinsics(p, arg);
        return SCALAR;
      case 'Fn::Split':
        if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string') report(p, 'Fn::Split needs [delimiter, string]');
        else walkIntrinsics(`${p}[1]`, arg[1]);
        return LIST;
      case 'Fn::FindInMap':
        if (!Array.isArray(arg) || arg.length !== 3) report(p, 'Fn::FindInMap needs [map, key, key]');
        else if (typeof arg[0] === 'string' && !(arg[0] in mappings)) report(p, `no mapping '${arg[0]}'`);
        else arg.forEach((x, i) => walkIntrinsics(`${p}[${i}]`, x));
        return ANY;
      case 'Fn::If':
        if (!Array.isArray(arg) || arg.length !== 3) report(p, 'Fn::If needs [condition, then, else]');
        else {
          if (!(arg[0] in conditions)) report(p, `no condition '${arg[0]}'`);
          walkIntrinsics(`${p}[1]`, arg[1]);
          walkIntrinsics(`${p}[2]`, arg[2]);
        }
        return ANY;
      case 'Fn::ImportValue':
        walkIntrinsics(p, arg);
        return ANY;
      case 'Fn::Cidr':
        if (Array.isArray(arg)) arg.forEach((x, i) => walkIntrinsics(`${p}[${i}]`, x));
        return LIST;
      case 'Fn::Length':
        walkIntrinsics(p, arg);
        return SCALAR;
      case 'Fn::ToJsonString':
        walkIntrinsics(p, arg);
        return SCALAR;
      default:
        if (fn.startsWith('Fn::')) {
          report(p, `unknown intrinsic function ${fn}`);
          return ANY;
        }
        return null;
    }
  }

  // Walks any value (Json properties, outputs) checking every intrinsic inside it.
  function walkIntrinsics(path, v) {
    if (Array.isArray(v)) return v.forEach((x, i) => walkIntrinsics(`${path}[${i}]`, x));
    if (!isObj(v)) return;
    if (intrinsic(path, v) !== null) return;
    for (const [k, x] of Object.entries(v)) walkIntrinsics(`${path}.${k}`, x);
  }

  function primitiveMatches(type, v) {
    switch (type) {
      case 'String': return typeof v === 'string';
      case 'Integer': case 'Long':
        return (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v));
      case 'Double':
        return typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && !isNaN(Number(v)));
      case 'Boolean': return typeof v === 'boolean' || v === 'true' || v === 'false';
      case 'Timestamp': return typeof v === 'string';
      case 'Json': return isObj(v) || Array.isArray(v) || typeof v === 'string';
      default: return false;
    }
  }

  function describe(v) {
    if (Array.isArray(v)) return 'a list';
    if (v === null) return 'null';
    if (isObj(v)) return 'an object';
    return `${typeof v} ${JSON.stringify(v).slice(0, 60)}`;
  }

  function propertyTypeSpec(resourceType, name) {
    return spec.PropertyTypes[`${resourceType}.${name}`] || spec.PropertyTypes[name];
  }

  function checkItem(path, resourceType, primitive, typeName, v) {
    if (primitive) return checkPrimitive(path, primitive, v);
    return checkStruct(path, resourceType, typeName, v);
  }

  function checkPrimitive(path, primitive, v) {
    const r = intrinsic(path, v);
    if (r !== null) {
      if (r === LIST && primitive !== 'Json') report(path, `expected ${primitive}, got an intrinsic that yields a list`);
      return;
    }
    if (primitive === 'Json') return walkIntrinsics(path, v);
    if (!primitiveMatches(primitive, v)) report(path, `expected ${primitive}, got ${describe(v)}`);
  }

  function checkStruct(path, resourceType, typeName, v) {
    const r = intrinsic(path, v);
    if (r !== null) return;
    const ts = propertyTypeSpec(resourceType, typeName);
    if (!ts) return report(path, `the specification has no property type ${resourceType}.${typeName}`);
    if (ts.PrimitiveType) return checkPrimitive(path, ts.PrimitiveType, v);
    if (!isObj(v)) return report(path, `expected a ${typeName} object, got ${describe(v)}`);
    checkProperties(path, resourceType, ts.Properties || {}, v, typeName);
  }

  function checkProperty(path, resourceType, ps, v) {
    if (ps.PrimitiveType) return checkPrimitive(path, ps.PrimitiveType, v);
    if (ps.Type === 'List') {
      const r = intrinsic(path, v);
      if (r !== null) {
        if (r === SCALAR) report(path, 'expected a list, got an intrinsic that yields a single value');
        return;
      }
      if (!Array.isArray(v)) return report(path, `expected a list, got ${describe(v)}`);
      v.forEach((x, i) => checkItem(`${path}[${i}]`, resourceType, ps.PrimitiveItemType, ps.ItemType, x));
      return;
    }
    if (ps.Type === 'Map') {
      if (intrinsic(path, v) !== null) return;
      if (!isObj(v)) return report(path, `expected a map, got ${describe(v)}`);
      for (const [k, x] of Object.entries(v))
        checkItem(`${path}.${k}`, resourceType, ps.PrimitiveItemType, ps.ItemType, x);
      return;
    }
    if (ps.Type) return checkStruct(path, resourceType, ps.Type, v);
    report(path, 'the specification gives this property no type');
  }

  function checkProperties(path, resourceType, propSpecs, props, what) {
    for (const [name, v] of Object.entries(props)) {
      const ps = propSpecs[name];
      if (!ps) {
        report(`${path}.${name}`, `${what} has no property '${name}'`);
        continue;
      }
      checkProperty(`${path}.${name}`, resourceType, ps, v);
    }
    for (const [name, ps] of Object.entries(propSpecs))
      if (ps.Required && !(name in props)) report(path, `${what} requires property '${name}'`);
  }

  // Parameters.
  for (const [name, p] of Object.entries(parameters)) {
    const path = `Parameters.${name}`;
    if (name in resources) report(path, 'has the same name as a resource');
    if (!isObj(p)) { report(path, 'must be an object'); continue; }
    for (const k of Object.keys(p)) if (!PARAMETER_KEYS.has(k)) report(`${path}.${k}`, 'unknown parameter attribute');
    if (!parameterTypeKnown(p.Type)) report(`${path}.Type`, `unknown parameter type ${JSON.stringify(p.Type)}`);
    if ('Default' in p) {
      const d = p.Default;
      if (typeof d !== 'string' && typeof d !== 'number') report(`${path}.Default`, 'must be a string or number');
      const ds = String(d);
      if (p.Type === 'Number' && (ds.trim() === '' || isNaN(Number(ds)))) report(`${path}.Default`, `${ds} is not a number`);
      if (p.Type === 'Number' && 'MinValue' in p && Number(ds) < Number(p.MinValue))
        report(`${path}.Default`, `${ds} is below MinValue ${p.MinValue}`);
      if (p.Type === 'Number' && 'MaxValue' in p && Number(ds) > Number(p.MaxValue))
        report(`${path}.Default`, `${ds} is above MaxValue ${p.MaxValue}`);
      if (p.AllowedPattern !== undefined) {
        let re = null;
        try { re = new RegExp(`^(?:${p.AllowedPattern})$`); } catch (e) { report(`${path}.AllowedPattern`, e.message); }
        if (re && !re.test(ds)) report(`${path}.Default`, `${JSON.stringify(ds)} does not match AllowedPattern`);
      }
      if (Array.isArray(p.AllowedValues) && !p.AllowedValues.map(String).includes(ds))
        report(`${path}.Default`, `${JSON.stringify(ds)} is not one of AllowedValues`);
    }
  }

  // Resources.
  for (const [id, r] of Object.entries(resources)) {
    const path = `Resources.${id}`;
    if (!/^[A-Za-z0-9]+$/.test(id)) report(path, 'logical ids must be alphanumeric');
    if (!isObj(r)) { report(path, 'must be an object'); continue; }
    current = id;
    for (const k of Object.keys(r)) if (!RESOURCE_KEYS.has(k)) report(`${path}.${k}`, 'unknown resource attribute');
    for (const k of ['DeletionPolicy', 'UpdateReplacePolicy'])
      if (k in r && !DELETION_POLICIES.has(r[k])) report(`${path}.${k}`, `unknown policy ${JSON.stringify(r[k])}`);
    if ('DependsOn' in r) {
      const list = Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn];
      for (const d of list) {
        if (typeof d !== 'string' || !(d in resources)) report(`${path}.DependsOn`, `'${d}' is not a resource`);
        else if (d === id) report(`${path}.DependsOn`, 'a resource cannot depend on itself');
        else noteDep(d);
      }
    }
    if ('Condition' in r && !(r.Condition in conditions)) report(`${path}.Condition`, `no condition '${r.Condition}'`);
    if ('CreationPolicy' in r) walkIntrinsics(`${path}.CreationPolicy`, r.CreationPolicy);
    const type = r.Type;
    if (typeof type !== 'string') { report(`${path}.Type`, 'missing'); continue; }
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') {
      walkIntrinsics(`${path}.Properties`, r.Properties || {});
      continue;
    }
    const rs = spec.ResourceTypes[type];
    if (!rs) { report(`${path}.Type`, `unknown resource type ${type}`); continue; }
    if ('Properties' in r && !isObj(r.Properties)) { report(`${path}.Properties`, 'must be an object'); continue; }
    checkProperties(`${path}.Properties`, type, rs.Properties || {}, r.Properties || {}, type);
  }
  current = null;

  // Outputs.
  const outputs = isObj(tpl.Outputs) ? tpl.Outputs : {};
  for (const [name, o] of Object.entries(outputs)) {
    const path = `Outputs.${name}`;
    if (!isObj(o) || !('Value' in o)) { report(path, 'needs a Value'); continue; }
    for (const k of Object.keys(o))
      if (!['Value', 'Description', 'Export', 'Condition'].includes(k)) report(`${path}.${k}`, 'unknown output attribute');
    const r = intrinsic(`${path}.Value`, o.Value);
    if (r === null && typeof o.Value !== 'string') report(`${path}.Value`, `must be a string or an intrinsic, got ${describe(o.Value)}`);
    if (r === LIST) report(`${path}.Value`, 'an output value must be a single string (join lists)');
    if ('Export' in o) walkIntrinsics(`${path}.Export`, o.Export);
  }

  // Circular dependencies (CloudFormation refuses them).
  const state = {};
  const stack = [];
  function visit(n) {
    if (state[n] === 2) return;
    if (state[n] === 1) {
      const cycle = stack.slice(stack.indexOf(n)).concat(n);
      report('Resources', `circular dependency: ${cycle.join(' -> ')}`);
      return;
    }
    state[n] = 1;
    stack.push(n);
    for (const d of deps[n] || []) visit(d);
    stack.pop();
    state[n] = 2;
  }
  for (const n of Object.keys(resources)) visit(n);

  return problems;
}

function main(files) {
  if (files.length === 0) {
    console.error('usage: validate_cfn_template.js TEMPLATE.json...');
    return 2;
  }
  let bad = 0;
  for (const file of files) {
    let tpl;
    try {
      tpl = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      console.error(`${file}: cannot read or parse: ${e.message}`);
      return 2;
    }
    const problems = validateTemplate(file, tpl);
    if (problems.length) {
      bad += problems.length;
      problems.forEach((p) => console.log(p));
    } else {
      console.log(`${file}: ok (${Object.keys(tpl.Resources).length} resources)`);
    }
  }
  return bad ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
