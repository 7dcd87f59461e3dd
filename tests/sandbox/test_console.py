"""Tests of the sandbox's EC2 console output and bootstrap failures (issue 16) through botocore:
GetConsoleOutput of a running, a pending and a terminated instance, the bootstrap-failures
control (by role, counted), and bad rules.

Uses the sandbox named by $AWSDL_SANDBOX_PORT_FILE (the ctest fixture); without it, starts its
own in a temporary directory."""

import os
import sys
import time
import unittest

from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import testkit  # noqa: E402

SANDBOX = testkit.Sandbox()
control = SANDBOX.control
client = SANDBOX.client


def setUpModule():
    SANDBOX.start('sandbox-console-test-')


def tearDownModule():
    SANDBOX.stop()


class ConsoleCase(unittest.TestCase):
    def setUp(self):
        control('reset')
        control('services/ec2/config', {'transition_seconds': 0.1})
        self.ec2 = client('ec2')
        self.addCleanup(self._restore)
        self.image = self.ec2.describe_images(Owners=['amazon'])['Images'][0]['ImageId']

    def _restore(self):
        control('reset')
        self.ec2.close()

    def launch(self, role):
        r = self.ec2.run_instances(ImageId=self.image, InstanceType='t3.micro', MinCount=1, MaxCount=1,
                                   TagSpecifications=[{'ResourceType': 'instance',
                                                       'Tags': [{'Key': 'awsdl:role', 'Value': role}]}])
        return r['Instances'][0]['InstanceId']

    def console(self, iid):
        return self.ec2.get_console_output(InstanceId=iid, Latest=True)

    def test_a_pending_instance_has_no_output_a_running_one_ends_with_cloud_init_finished(self):
        iid = self.launch('worker')
        first = self.console(iid)
        self.assertEqual(first['InstanceId'], iid)
        self.assertNotIn('Output', first)
        time.sleep(0.2)
        text = self.console(iid)['Output']  # botocore decodes base64 for the CLI only
        self.assertIn("Cloud-init v.", text)
        self.assertIn('finished at', text.splitlines()[-1])
        self.assertNotIn('Failed to run module scripts-user', text)

    def test_a_failed_bootstrap_ends_with_its_output_and_cloud_init_s_failure_and_outlives_the_instance(self):
        rules = control('services/ec2/bootstrap-failures',
                        {'role': 'master', 'count': 1, 'output': 'mount.nfs4: Connection timed out\nawsdl: EFS mount failed'})
        self.assertEqual(len(rules['rules']), 1)
        worker = self.launch('worker')
        master = self.launch('master')
        again = self.launch('master')
        time.sleep(0.2)
        text = self.console(master)['Output']
        lines = text.splitlines()
        at = lines.index('mount.nfs4: Connection timed out')
        self.assertEqual(lines[at + 1], 'awsdl: EFS mount failed')
        self.assertIn('Failed to run module scripts-user', text)
        self.assertIn('finished at', lines[-1])
        for ok in (worker, again):
            self.assertNotIn('Failed to run module scripts-user', self.console(ok)['Output'])
        listed = control('services/ec2/bootstrap-failures', {})
        self.assertEqual(listed['rules'], [])
        self.assertEqual(listed['failed'], [master])
        self.ec2.terminate_instances(InstanceIds=[master])
        time.sleep(0.3)
        self.assertIn('mount.nfs4: Connection timed out', self.console(master)['Output'])

    def test_an_unknown_instance_and_bad_rules_are_refused(self):
        with self.assertRaises(ClientError) as e:
            self.console('i-0123456789abcdef0')
        self.assertEqual(e.exception.response['Error']['Code'], 'InvalidInstanceID.NotFound')
        for bad in ({'role': 'boss', 'count': 1, 'output': 'x'}, {'role': 'worker', 'count': 0, 'output': 'x'},
                    {'role': 'worker', 'count': 1, 'output': ''}):
            with self.assertRaises(Exception):
                control('services/ec2/bootstrap-failures', bad)
        self.assertEqual(control('services/ec2/bootstrap-failures', {})['rules'], [])


if __name__ == '__main__':
    unittest.main()
