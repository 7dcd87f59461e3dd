"""Lets a service move CloudFormation's stacks on before it answers (see
CloudFormation.advance_all): stacks advance lazily, whenever anything in the sandbox is looked at."""


def tick(sandbox):
    cfn = sandbox.services.get('cloudformation')
    if cfn is not None:
        cfn.advance_all()
