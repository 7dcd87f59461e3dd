"""EC2 console output and failed bootstraps (issue 16).

Every instance has a console: once it runs, cloud-init-like lines (the kernel, cloud-init's
stages, the user data's own output) ending with cloud-init's "finished" line. AWS keeps the
output for at least an hour after its last post, so a terminated instance's output stays
readable here (GetConsoleOutput answers it).

A bootstrap failure is a rule: `POST /_sandbox/services/ec2/bootstrap-failures {"role":
"master" | "worker", "count": N, "output": "..."}` makes the next N instances launched with tag
awsdl:role = role fail their user data: the output's lines come last in the user data's part
of the console, followed by what cloud-init prints when a user-data script fails
("Failed running /var/lib/cloud/instance/scripts/part-001 [1]", "Failed to run module
scripts-user") and its finished line. Such an instance runs in EC2 but never signals or
registers: the master's group gets a FAILURE signal (its user data signals FAILURE when a mount
fails), a worker never counts as ready for the ClusterReady wait condition (it times out).
`POST .../bootstrap-failures {}` lists the rules left and the instances that failed; reset
clears both.

Hooks: ec2.py calls on_launch() for each instance it launches and answers GetConsoleOutput
with output(); _cfn_resources.py asks failed() before playing an instance's signal."""

import datetime

from core.errors import AwsError

CLOUD_INIT = '23.3.3-0ubuntu0~22.04.1'


class Console:
    def __init__(self):
        self.rules = []     # {'role', 'count', 'output'}
        self.failed_ids = []

    def control(self, body):
        if body:
            role, count, output = body.get('role'), body.get('count', 1), body.get('output')
            if role not in ('master', 'worker'):
                raise AwsError('InvalidParameterValue', 'role: "master" or "worker"', 400)
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise AwsError('InvalidParameterValue', 'count: a whole number >= 1', 400)
            if not isinstance(output, str) or not output.strip():
                raise AwsError('InvalidParameterValue', 'output: the failing step\'s output (text)', 400)
            self.rules.append({'role': role, 'count': count, 'output': output})
        return {'ok': True, 'rules': [dict(r) for r in self.rules if r['count'] > 0],
                'failed': list(self.failed_ids)}

    def on_launch(self, inst):
        role = inst['Tags'].get('awsdl:role')
        for rule in self.rules:
            if rule['count'] > 0 and rule['role'] == role:
                rule['count'] -= 1
                inst['bootstrap_failure'] = rule['output']
                self.failed_ids.append(inst['InstanceId'])
                return

    @staticmethod
    def failed(inst):
        return inst is not None and 'bootstrap_failure' in inst

    @staticmethod
    def output(inst, running_since):
        """The console text of an instance that has run since `running_since` (None: it never ran,
        no output yet)."""
        if running_since is None:
            return None
        t = running_since
        stamp = lambda s: (t + datetime.timedelta(seconds=s)).strftime('%a, %d %b %Y %H:%M:%S +0000')
        log = lambda s: (t + datetime.timedelta(seconds=s)).strftime('%Y-%m-%d %H:%M:%S,000')
        role = inst['Tags'].get('awsdl:role', 'node')
        ip = inst.get('PrivateIpAddress', '')
        lines = [
            '[    0.000000] Linux version 5.15.0-1051-aws (buildd@lcy02-amd64-047) #56~20.04.1-Ubuntu SMP',
            '[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-5.15.0-1051-aws root=LABEL=cloudimg-rootfs ro',
            '[    4.118231] cloud-init[612]: Cloud-init v. %s running \'init-local\' at %s. Up 4.09 seconds.'
            % (CLOUD_INIT, stamp(4)),
            '[    6.402310] cloud-init[701]: Cloud-init v. %s running \'init\' at %s. Up 6.38 seconds.'
            % (CLOUD_INIT, stamp(6)),
            '[    6.431152] cloud-init[701]: ci-info: |  ens5  | True | %s | 255.255.240.0 | global |' % ip,
            'Cloud-init v. %s running \'modules:final\' at %s. Up 21.54 seconds.' % (CLOUD_INIT, stamp(21)),
            'awsdl: %s %s booting' % (role, inst['InstanceId']),
        ]
        failure = inst.get('bootstrap_failure')
        if failure is not None:
            lines.extend(failure.rstrip('\n').split('\n'))
            lines.append('%s - util.py[WARNING]: Failed running /var/lib/cloud/instance/scripts/part-001 [1]' % log(95))
            lines.append('%s - cc_scripts_user.py[WARNING]: Failed to run module scripts-user (scripts in '
                         '/var/lib/cloud/instance/scripts)' % log(95))
            lines.append('%s - util.py[WARNING]: Running module scripts-user (<module '
                         '\'cloudinit.config.cc_scripts_user\' from \'/usr/lib/python3/dist-packages/cloudinit/config/'
                         'cc_scripts_user.py\'>) failed' % log(95))
            up = 95.21
        else:
            lines.append('awsdl: %s configured' % role)
            up = 31.07
        lines.append('Cloud-init v. %s finished at %s. Datasource DataSourceEc2Local.  Up %.2f seconds'
                     % (CLOUD_INIT, stamp(int(up)), up))
        return '\r\n'.join(lines) + '\r\n'
